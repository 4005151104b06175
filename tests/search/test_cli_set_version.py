"""``run --set`` / ``check --set`` and ``--version``: overrides validated before anything starts."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest

from _search_support import MINIMAL_TOML
from search.cli import main
from search.engines import ray_tune


@pytest.fixture(autouse=True)
def ray_must_not_start(monkeypatch):
    def tripwire(*args, **kwargs):
        raise AssertionError("Ray was started before the input was validated")

    monkeypatch.setattr(ray_tune, "start_ray", tripwire)


def _space(tmp_path: Path) -> str:
    path = tmp_path / "space.toml"
    path.write_text(MINIMAL_TOML, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "assignment, needle",
    [
        ("realign.lr=fast", "realign.lr: expected a number, got 'fast'"),
        ("search.num_samples=0", "search.num_samples: 0 is too small"),
        ("search.nosuch=1", "search.nosuch: unknown key"),
        ('subset.must_include=["zz"]', "subset.must_include"),
        ("tracking.wandb.mode=cloud", "tracking.wandb.mode: 'cloud' is not allowed (allowed: offline, online)"),
    ],
)
def test_run_refuses_a_bad_override_in_one_paragraph_before_ray(tmp_path, capsys, assignment, needle):
    code = main(["run", _space(tmp_path), "--set", assignment, "--storage-path", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("realign-search run: ") and err.count("\n") == 1, err
    assert needle in err, err
    assert not (tmp_path / "runs").exists()


def test_check_applies_overrides(tmp_path, capsys):
    code = main(["check", _space(tmp_path), "--set", "realign.steps=7", "--set", "search.num_samples=9", "--json"])
    out = capsys.readouterr().out
    assert code == 0
    assert '"steps": 7' in out and '"num_samples": 9' in out
    assert main(["check", _space(tmp_path), "--set", "realign.steps=-1"]) == 2
    assert "realign.steps" in capsys.readouterr().err


def test_version_is_the_package_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"realign-search {version('realign-search')}"
