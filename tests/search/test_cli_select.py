"""`realign-search select` / `diversity`: output agrees with the library, errors exit 2 naming the flag."""

from __future__ import annotations

import json

import pytest

from search.cli import main
from spaces.diversity import diversity_report
from spaces.heuristics import objective, select


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_select_json_matches_the_library(capsys):
    code, out, _ = run(
        capsys,
        "select",
        "--strategy",
        "most_uriel_en",
        "--size",
        "6",
        "--pool",
        "joshi<=2",
        "--pool",
        "seen_xlmr",
        "--exclude",
        "swa,yo",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    expected = select("most_uriel_en", 6, pool=["joshi<=2", "seen_xlmr"], exclude=["swa", "yo"])
    assert data["languages"] == expected
    assert data["pool"] == "joshi<=2 & seen_xlmr"
    assert data["objective"]["value"] == pytest.approx(objective(expected, "featural", with_english=True))
    assert data["objective"]["sense"] == "max" and data["objective"]["with_english"] is True
    assert data["diversity"] == diversity_report(expected).to_dict()


def test_select_table_lists_every_language_and_the_objective(capsys):
    code, out, _ = run(capsys, "select", "--strategy", "random", "--size", "4", "--seed", "7", "--include", "ja")
    assert code == 0
    codes = select("random", 4, seed=7, include=["ja"])
    assert out.splitlines()[1] == " ".join(codes)
    table_rows = [line.split()[0] for line in out.splitlines()[5:9]]
    assert table_rows == codes
    assert "seed 7" in out and "objective" not in out  # random optimises nothing


def test_diversity_json_and_table(capsys):
    code, out, _ = run(capsys, "diversity", "deu", "sw", "ja", "--json")
    assert code == 0
    assert json.loads(out) == diversity_report(["de", "swh_Latn", "ja"]).to_dict()
    code, out, _ = run(capsys, "diversity", "de", "sw", "ja")
    assert code == 0
    assert "swh_Latn" in out and "Swahili" in out
    assert f"mean {diversity_report(['de', 'sw', 'ja']).mean_featural_with_en:.4f}" in out


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["select", "--strategy", "most_diverse", "--size", "3"], "--strategy"),
        (["select", "--strategy", "random", "--size", "70"], "--size"),
        (["select", "--strategy", "random", "--size", "3", "--pool", "colour=red"], "--pool"),
        (["select", "--strategy", "random", "--size", "3", "--include", "xx"], "--include"),
        (["select", "--strategy", "random", "--size", "3", "--include", "de", "--exclude", "de"], "--include"),
        (["diversity", "de", "klingon"], "LANG"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_naming_the_flag(capsys, argv, flag):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith(f"realign-search {argv[0]}: {flag}:")
    assert "Traceback" not in err
