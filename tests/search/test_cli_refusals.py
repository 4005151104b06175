"""Bad input to run / resume / report: one paragraph naming the problem, exit 2, Ray never started, no run
directory left behind. Ray's start is replaced by a tripwire, so any refusal that came too late fails."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from _search_support import MINIMAL_TOML
from search.cli import main
from search.engines import ray_tune


@pytest.fixture(autouse=True)
def ray_must_not_start(monkeypatch):
    def tripwire(*args, **kwargs):
        raise AssertionError("Ray was started before the input was validated")

    monkeypatch.setattr(ray_tune, "start_ray", tripwire)  # the one place run and resume start Ray


def _config(tmp_path: Path, text: str = MINIMAL_TOML) -> Path:
    path = tmp_path / "space.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(tmp_path: Path, capsys, *argv: str) -> tuple[int, str]:
    code = main(["run", *argv, "--storage-path", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert not (tmp_path / "runs").exists(), "a run directory was created for a refused run"
    return code, err


def _refused(code: int, err: str, *needles: str) -> None:
    assert code == 2
    assert err.startswith("realign-search ") and err.count("\n") == 1, err  # one paragraph
    for needle in needles:
        assert needle in err, err


def test_malformed_toml(tmp_path, capsys):
    code, err = _run(tmp_path, capsys, str(_config(tmp_path, "[search\nnum_samples = 3\n")))
    _refused(code, err, "malformed TOML", "line 1")


def test_unknown_key(tmp_path, capsys):
    code, err = _run(tmp_path, capsys, str(_config(tmp_path, MINIMAL_TOML + "colour = 'blue'\n")))
    _refused(code, err, "search.colour", "num_samples")  # names the field and lists what is allowed


def test_wrong_type(tmp_path, capsys):
    text = MINIMAL_TOML.replace("num_samples = 3", 'num_samples = "three"')
    code, err = _run(tmp_path, capsys, str(_config(tmp_path, text)))
    _refused(code, err, "search.num_samples")


def test_unknown_language(tmp_path, capsys):
    text = MINIMAL_TOML.replace("max_languages = 4", 'max_languages = 4\nmust_include = ["klingon"]')
    code, err = _run(tmp_path, capsys, str(_config(tmp_path, text)))
    _refused(code, err, "klingon")


def test_missing_config_file(tmp_path, capsys):
    code, err = _run(tmp_path, capsys, str(tmp_path / "nope.toml"))
    _refused(code, err, "no such file")


def test_bad_num_samples(tmp_path, capsys):
    code, err = _run(tmp_path, capsys, str(_config(tmp_path)), "--num-samples", "0")
    _refused(code, err, "--num-samples")


def test_unreachable_address(tmp_path, capsys):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, err = _run(tmp_path, capsys, str(_config(tmp_path)), "--address", f"127.0.0.1:{port}")
    _refused(code, err, "--address", f"127.0.0.1:{port}", "ray start --head")


def test_malformed_address(tmp_path, capsys):
    code, err = _run(tmp_path, capsys, str(_config(tmp_path)), "--address", "nowhere")
    _refused(code, err, "--address", "HOST:PORT")


def test_unwritable_storage_path(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    code = main(["run", str(_config(tmp_path)), "--storage-path", str(blocker / "runs")])
    _refused(code, capsys.readouterr().err, "--storage-path", "not a directory")
    assert blocker.read_text() == "not a directory"


def test_existing_run_is_not_overwritten(tmp_path, capsys):
    taken = tmp_path / "runs" / "mini"
    taken.mkdir(parents=True)
    (taken / "tuner.pkl").write_bytes(b"x")
    code = main(["run", str(_config(tmp_path)), "--storage-path", str(tmp_path / "runs"), "--name", "mini"])
    _refused(code, capsys.readouterr().err, "--name", "resume")
    assert sorted(p.name for p in taken.iterdir()) == ["tuner.pkl"]


def test_bad_run_name(tmp_path, capsys):
    code, err = _run(tmp_path, capsys, str(_config(tmp_path)), "--name", "../escape")
    _refused(code, err, "--name")


@pytest.mark.parametrize("command", ["resume", "report"])
def test_resume_and_report_refuse_what_is_not_a_run(tmp_path, capsys, command):
    code = main([command, str(tmp_path)])
    _refused(code, capsys.readouterr().err, "RUN_DIR", "no Ray Tune experiment state")
    code = main([command, str(tmp_path / "missing")])
    _refused(code, capsys.readouterr().err, "RUN_DIR", "not a directory")
    assert not (tmp_path / "missing").exists()


def test_unopenable_optuna_storage(tmp_path, capsys):
    text = MINIMAL_TOML.replace("[search]", f'[search]\noptuna_storage = "sqlite:///{tmp_path}/no/such/dir/s.db"')
    code, err = _run(tmp_path, capsys, str(_config(tmp_path, text)))
    _refused(code, err, "search.optuna_storage")


@pytest.mark.parametrize(
    ("objective", "needles"),
    [
        ("in_subset", ("search.objectives", "'in_subset' depends on the trial's subset", "unseen_lrl", "heldout")),
        ("lrl_out_of_subset", ("search.objectives", "depends on the trial's subset", "seen_lrl")),
        ("unseen", ("search.objectives", "renamed 'out_of_subset'", "unseen_lrl")),
    ],
)
def test_subset_dependent_objective(tmp_path, capsys, objective, needles):
    text = MINIMAL_TOML.replace("[search]", f'[search]\nobjectives = ["{objective}:max", "n_languages:min"]')
    code, err = _run(tmp_path, capsys, str(_config(tmp_path, text)))
    _refused(code, err, *needles)


def test_subset_dependent_asha_metric(tmp_path, capsys):
    text = MINIMAL_TOML + '\n[search.asha]\nenabled = true\nmetric = "out_of_subset"\n'
    code, err = _run(tmp_path, capsys, str(_config(tmp_path, text)))
    _refused(code, err, "search.asha.metric", "depends on the trial's subset")


def test_study_refuses_a_subset_dependent_metric(capsys):
    code = main(["study", "--metric", "in_subset"])
    _refused(code, capsys.readouterr().err, "--metric", "depends on the trial's subset", "unseen_lrl")


def test_paper_strategy_at_a_size_the_paper_did_not_run(capsys):
    code = main(["select", "--strategy", "paper:most_uriel_en", "--size", "11"])
    out, err = capsys.readouterr()
    assert out == ""
    _refused(code, err, "--size", "paper:most_uriel_en", "allowed: 5, 10, 20, 40")
    code = main(["select", "--strategy", "paper:random", "--size", "10", "--seed", "3"])
    _refused(code, capsys.readouterr().err, "--seed", "allowed: 17, 23, 42, 66")
