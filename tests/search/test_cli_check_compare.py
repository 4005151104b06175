"""`realign-search check` (a space fully resolved, no Ray) and `compare` (a run beside the paper)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from search.cli import main
from search.compare import compare_trials
from search.report import TrialRecord
from spaces.errors import ConfigError
from trainables.published.replay import replay

MBERT = "bert-base-multilingual-cased"
PAPER_SUBSET = ["ka", "fon_Latn", "lin_Latn", "gaz_Latn", "kaz_Cyrl"]  # most_uriel_en_5


# ------------------------------------------------------------------------------------------- check
def test_check_prints_the_resolved_space_without_starting_ray(tmp_path: Path) -> None:
    space = tmp_path / "s.toml"
    space.write_text(
        '[experiment]\nworld = "real"\nmodel = "xlmr"\ntask = "nli"\nseeds = [17, 23]\n'
        '[subset]\nencoding = "lists"\n[subset.lists]\nmine = ["sw", "de"]\n'
    )
    code = (
        "import json, sys; from search.cli import main; rc = main(['check', sys.argv[1], '--json']); "
        "assert 'ray' not in sys.modules, 'check imported ray'; sys.exit(rc)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(space)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    realign, finetune = data["config"]["realign"], data["config"]["finetune"]
    assert realign["lr"] == 7.5e-6 and realign["layer"] == -2 and realign["batching"] == "mixed"
    assert finetune["lr"] == 7.5e-6 and finetune["epochs"] == 2 and finetune["eval_max_length"] == 256
    assert data["warm_start"] == ["mine"] and data["seeds_per_trial"] == [17, 23]
    assert data["first_trial"]["languages"] == ["de", "swh_Latn"]


def test_check_toml_output_reads_back_to_the_same_space(capsys) -> None:
    import tomllib

    from spaces.config import load_search_config, parse_search_config

    assert main(["check"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# OK: 'realign' trainable")
    assert parse_search_config(tomllib.loads(text)) == load_search_config(None)


def test_check_refuses_bad_input_with_the_usual_paragraph(tmp_path: Path, capsys) -> None:
    space = tmp_path / "bad.toml"
    space.write_text('[realign]\nbatching = "sometimes"\n')
    assert main(["check", str(space)]) == 2
    err = capsys.readouterr().err
    assert "realign.batching" in err and "mixed" in err and "Traceback" not in err


# ------------------------------------------------------------------------------------------- compare
def _record(tid: str, languages: list[str], scores: dict[str, float], mode: str = "before") -> TrialRecord:
    return TrialRecord(
        trial_id=tid,
        status="ok",
        languages=languages,
        metrics={"n_seeds": 4},
        scores=scores,
        params={"realign/mode": mode},
    )


def _paper_scores(languages: list[str], method: str = "before_noaligner") -> dict[str, float]:
    mean = replay(MBERT, "ner", languages, method=method).mean
    return {k.split("/", 1)[1]: v for k, v in mean.items() if k.startswith("score/")}


def test_compare_sets_each_language_beside_the_paper() -> None:
    paper = _paper_scores(PAPER_SUBSET)
    ours = {code: value + 0.01 for code, value in paper.items() if code != "de"}  # one point better; no de
    ours["xx_not_in_paper"] = 0.5
    baseline = _paper_scores([], method="baseline")
    result = compare_trials(
        "mbert",
        "ner",
        [_record("a", PAPER_SUBSET, ours), _record("b", [], baseline, mode="none"), _record("c", ["de", "fr"], ours)],
    )
    first, base = result.trials
    assert first.label == "5 languages" and first.method == "before_noaligner" and first.n_seeds == 4
    assert [code for code, *_ in first.rows] == sorted(set(paper) - {"de"})
    assert all(d == pytest.approx(1.0) for *_, d in first.rows) and first.mean_abs_diff == pytest.approx(1.0)
    ours_agg, paper_agg = first.aggregates["unseen_lrl"]
    assert ours_agg - paper_agg == pytest.approx(0.01)
    assert base.method == "baseline" and base.mean_abs_diff == 0.0
    assert [tid for tid, _ in result.skipped] == ["c"] and "no before_noaligner measurement" in result.skipped[0][1]
    assert json.loads(json.dumps(result.to_json()))["trials"][0]["mean_abs_diff_points"] == pytest.approx(1.0)


def test_compare_refuses_a_run_the_paper_never_measured() -> None:
    with pytest.raises(ConfigError, match="none of the 1 finished trials used a subset the paper measured"):
        compare_trials("mbert", "ner", [_record("c", ["de", "fr"], {"de": 0.5})])
    with pytest.raises(ConfigError, match="model"):
        compare_trials("tiny", "ner", [_record("a", PAPER_SUBSET, {"de": 0.5})])
    with pytest.raises(ConfigError, match="no finished trial"):
        compare_trials("mbert", "ner", [TrialRecord("f", "failed", PAPER_SUBSET, {}, {}, {})])


SWEEP = """
[experiment]
name = "cmp"
trainable = "proxy"
world = "real"
model = "mbert"
task = "ner"

[subset]
encoding = "lists"

[subset.lists]
most_uriel_en_5 = ["ka", "fon_Latn", "lin_Latn", "gaz_Latn", "kaz_Cyrl"]
never_measured = ["de", "fr"]

[search]
sampler = "random"
num_samples = 2
max_concurrent = 2
"""


@pytest.mark.slow
def test_compare_on_a_run_directory(tmp_path: Path, capsys) -> None:
    """A real (proxy-trainable) sweep: the paper's subset is compared, the other one is skipped, and asking
    for the unmeasured trial alone is refused with exit status 2."""
    space = tmp_path / "cmp.toml"
    space.write_text(SWEEP)
    assert main(["run", str(space), "--storage-path", str(tmp_path / "runs"), "--no-report"]) == 0
    run_dir = str(tmp_path / "runs" / "cmp")
    capsys.readouterr()
    log = (tmp_path / "runs" / "cmp" / "console.log").read_text(encoding="utf-8")  # the console, kept
    assert "realign-search run: 2 trials" in log and log.count(" ok ") == 2 and "sweep finished" in log
    assert main(["compare", run_dir, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["label"] for t in data["trials"]] == ["most_uriel_en_5"]
    compared = data["trials"][0]
    assert compared["paper_folders"] == ["most_uriel_en_5"] and len(compared["rows"]) > 40
    assert math.isfinite(compared["mean_abs_diff_points"])
    assert len(data["skipped"]) == 1
    assert main(["compare", run_dir]) == 0
    text = capsys.readouterr().out
    assert "most_uriel_en_5 (5 languages, before_noaligner" in text and "mean |diff| over" in text
    assert "skipped 1 trial(s)" in text
    assert main(["compare", run_dir, "--trial", data["skipped"][0][0]]) == 2
    assert "paper" in capsys.readouterr().err
    assert main(["compare", run_dir, "--trial", "nope"]) == 2
