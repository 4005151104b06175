"""The space check before a sweep: checkpoint size from the parameter count, the sweep's need, the refusal."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

import search.space_check as space_check
from _fake_world import fake_world
from _search_support import MINIMAL_TOML
from search.cli import main
from search.engines import ray_tune
from search.space_check import check_space, estimate
from spaces.config import load_search_config, parse_search_config
from spaces.errors import ConfigError
from spaces.trial_config import TrialConfig
from trainables.footprint import checkpoint_size
from trainables.trial import _tensor_bytes


def _bert_parameters(c, labels: int, proj_dim: int) -> int:
    """BERT without pooler, by hand: embeddings (+LayerNorm), L layers, a token head, the projection."""
    h, i = c.hidden_size, c.intermediate_size
    embeddings = (c.vocab_size + c.max_position_embeddings + c.type_vocab_size) * h + 2 * h
    layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h
    return embeddings + c.num_hidden_layers * layer + (h * labels + labels) + (h * h + h * proj_dim)


def test_checkpoint_size_counts_weights_and_two_adam_moments():
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(fake_world().model_path())
    size = checkpoint_size(config, "pos", realign=True, joint=False, proj_dim=128)
    assert size.parameters == _bert_parameters(config, labels=17, proj_dim=128)
    projection = config.hidden_size * (config.hidden_size + 128)
    assert size.trained == size.parameters - projection  # `before` mode: fine-tuning leaves the head alone
    assert size.weights == 4 * size.parameters and size.optimizer == 8 * size.trained
    joint = checkpoint_size(config, "pos", joint=True)
    assert joint.trained == joint.parameters


def test_estimate_matches_the_checkpoint_a_trial_writes(tmp_path, monkeypatch):
    """The bytes a running trial's checkpoint really takes (after an epoch: Adam state exists)."""
    from transformers import AutoConfig

    from trainables.device import select_device
    from trainables.trial import TrialRun

    monkeypatch.setenv("REALIGN_SEARCH_THREADS", "1")
    trial = TrialConfig.from_dict(
        {"languages": ["de"], "realign": {"steps": 2, "batch_size": 4}, "finetune": {"epochs": 2, "batch_size": 16}}
    )
    run = TrialRun(trial, fake_world(), select_device())
    run.make_finetune_optimizer()
    run.finetune_epoch(0)
    run.save(tmp_path / "running")
    run.save(tmp_path / "finished", optimizer=False)
    size = checkpoint_size(AutoConfig.from_pretrained(fake_world().model_path()), "pos")

    def tensor_bytes(name: str) -> int:  # what the checkpoint holds, less torch.save's own headers
        import torch

        state = torch.load(tmp_path / name / "trial_weights.pt", weights_only=True)
        return _tensor_bytes(state)

    # Adam's per-parameter `step` counter: one scalar each, beside the two moments the estimate counts
    step_counters = sum(state["step"].element_size() for state in run.finetune_opt.state.values())
    assert tensor_bytes("running") == size.resumable + step_counters
    assert tensor_bytes("finished") == size.weights


def _cfg(**search):
    cfg = load_search_config()
    return replace(cfg, search=replace(cfg.search, **search))


def _free(monkeypatch, n_bytes: int, under: Path) -> None:
    """``n_bytes`` free on the disk of ``under``, plenty everywhere else (the temp folder)."""
    monkeypatch.setattr(
        space_check, "free_bytes", lambda path: n_bytes if str(path).startswith(str(under)) else 1 << 40
    )


def test_needed_and_peak_follow_the_keep_policy():
    front, everything, nothing = (
        estimate(_cfg(keep_models=k, num_samples=10, max_concurrent=2), local=False) for k in ("front", "all", "none")
    )
    one = front.resumable
    assert front.needed == 2 * one + 1 * front.weights and front.peak == 2 * 2 * one + 10 * front.weights
    assert everything.needed == 2 * one + 10 * front.weights == everything.peak - 2 * one
    assert nothing.needed == 2 * one and nothing.peak == 4 * one
    assert estimate(_cfg(num_samples=1, max_concurrent=4), local=False).running == 1
    proxy = load_search_config(Path(__file__).parents[2] / "spaces" / "data" / "examples" / "proxy.toml")
    assert estimate(proxy) is None  # no checkpoints: nothing to check


def test_too_little_space_is_refused_naming_the_estimate_and_the_keep_setting(monkeypatch, tmp_path):
    cfg = _cfg(keep_models="all", num_samples=8, max_concurrent=2)
    sweep = estimate(cfg, local=False)
    _free(monkeypatch, sweep.needed - 1, tmp_path)
    with pytest.raises(ConfigError) as err:
        check_space(cfg, str(tmp_path), local=False)
    text = str(err.value)
    assert text.startswith("search.storage_path") and "needs at least" in text
    assert f"{sweep.parameters:,} parameters" in text and 'search.keep_models = "none"' in text
    _free(monkeypatch, sweep.needed, tmp_path)  # enough for certain, not for the peak: a warning only
    warning = check_space(cfg, str(tmp_path), local=False)
    assert "may need up to" in warning and "realign-search resume" in warning
    _free(monkeypatch, sweep.peak, tmp_path)
    assert check_space(cfg, str(tmp_path), local=False) is None
    assert check_space(cfg, "s3://bucket/runs", local=False) is None  # free space unknown: no opinion


def test_a_small_temp_folder_is_refused(monkeypatch, tmp_path):
    import tempfile

    cfg = _cfg()
    _free(monkeypatch, 1 << 20, tempfile.gettempdir())
    with pytest.raises(ConfigError, match="TMPDIR"):
        check_space(cfg, str(tmp_path / "elsewhere-with-room"), local=True)
    assert check_space(cfg, "s3://bucket/runs", local=False) is None  # a cluster: workers' temp folders


def test_run_refuses_before_ray_starts(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(ray_tune, "start_ray", lambda *a, **k: pytest.fail("Ray started before the check"))
    _free(monkeypatch, 1 << 20, tmp_path / "runs")
    config = tmp_path / "space.toml"
    config.write_text(MINIMAL_TOML)
    code = main(["run", str(config), "--storage-path", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "needs at least" in err, err
    assert not (tmp_path / "runs").exists()


def test_the_issue_reproduction_is_refused_on_a_real_3_mib_disk(tmp_path, capsys, monkeypatch):
    """Issue 15: a 4-trial tiny-world sweep on a 3 MB filesystem. It is now refused up front."""
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); test_run_refuses_before_ray_starts covers this")
    monkeypatch.setattr(ray_tune, "start_ray", lambda *a, **k: pytest.fail("Ray started before the check"))
    try:
        code = main(["run", "--num-samples", "4", "--storage-path", str(disk), "--name", "full"])
        err = capsys.readouterr().err
        assert code == 2 and "has 3.0 MiB free, but the sweep needs at least" in err, err
        assert not any(disk.iterdir())
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_keep_models_is_documented_in_the_default_space():
    text = (Path(__file__).parents[2] / "spaces" / "data" / "default.toml").read_text()
    assert 'keep_models = "front"' in text
    assert parse_search_config({"search": {"keep_models": "all"}}).to_dict()["search"]["keep_models"] == "all"
