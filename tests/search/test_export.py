"""``realign-search export``: a trial's encoder as a Hugging Face folder, from a real Ray sweep on the tiny
world whose trials save the realign trainable's checkpoint layout (``_search_support.model_trainable``)."""

from __future__ import annotations

import json
import shutil
from functools import partial
from pathlib import Path

import pytest

from _search_support import base_model_state, model_trainable, write_config
from search.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """2 trials, both kept: the warm starts [kaz_Cyrl] (size 1) and the whole 4-language pool (size 4)."""
    import ray

    from search.driver import plan_run, run_sweep
    from search.engines.ray_tune import start_ray
    from spaces.config import load_search_config

    tmp = tmp_path_factory.mktemp("export")
    cfg = load_search_config(write_config(tmp, num_samples=2, keep_models="all"))
    trainable = partial(model_trainable, base=str(base_model_state(tmp / "base.pt")))
    target = plan_run(cfg, storage_path=str(tmp / "runs"), name="mini", trainable=trainable)
    start_ray(None, num_cpus=2)
    try:
        results = run_sweep(cfg, target, trainable=trainable, progress=False, verbose=0)
    finally:
        ray.shutdown()
    assert [r.error for r in results] == [None, None]
    return target.run_dir


def _checkpoint_of(run_dir: str, size: int) -> Path:
    for state in Path(run_dir).glob("trial_*/checkpoint_*/trial_state.json"):
        if len(json.loads(state.read_text())["trial"]["languages"]) == size:
            return state.parent
    raise AssertionError(f"no checkpoint of size {size}")


def test_export_loads_with_the_auto_classes_and_holds_the_trial_s_encoder(run_dir, tmp_path, capsys):
    import torch
    from safetensors import safe_open
    from transformers import AutoModel, AutoTokenizer

    from trainables.worlds import get_world

    out = tmp_path / "model"
    assert main(["export", run_dir, "--size", "1", "--out", str(out)]) == 0
    assert "kaz_Cyrl" in capsys.readouterr().out
    model = AutoModel.from_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(out)
    saved = torch.load(_checkpoint_of(run_dir, 1) / "trial_weights.pt", weights_only=True)["model"]
    encoder = {k.removeprefix("encoder."): v for k, v in saved.items() if k.startswith("encoder.")}
    exported = model.state_dict()
    assert encoder and all(torch.equal(exported[k], v) for k, v in encoder.items())
    pretrained = AutoModel.from_pretrained(get_world("tiny", model="tiny").model_path()).state_dict()
    assert not torch.equal(
        exported["embeddings.word_embeddings.weight"], pretrained["embeddings.word_embeddings.weight"]
    )
    world_tok = get_world("tiny", model="tiny").tokenizer()
    assert tokenizer("a b c")["input_ids"] == world_tok("a b c")["input_ids"]
    with safe_open(str(out / "model.safetensors"), "pt") as weights:  # the model alone: no optimizer state
        assert set(weights.keys()) == set(exported)
    assert not list(out.glob("*.pt")) and not list(out.glob("*.bin"))
    card = (out / "README.md").read_text(encoding="utf-8")
    for needle in ("kaz_Cyrl (Kazakh)", "| sw (Swahili) | 0.0700 |", "realign.lr", run_dir, "Rethinking what Matters"):
        assert needle in card, needle


def test_size_off_the_front_is_refused_with_the_front_sizes(run_dir, tmp_path, capsys):
    assert main(["export", run_dir, "--size", "3", "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "--size" in err and "allowed: 1, 4" in err
    assert main(["export", run_dir, "--trial", "nosuch", "--out", str(tmp_path / "m")]) == 2
    assert "no trial 'nosuch'" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_a_trial_without_its_model_is_refused_naming_keep_models(run_dir, tmp_path, capsys):
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    for checkpoint in _checkpoint_of(str(copy), 4).parent.glob("checkpoint_*"):
        shutil.rmtree(checkpoint)  # as keep_models does for a trial it does not keep
    assert main(["export", str(copy), "--size", "4", "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert 'search.keep_models = "all"' in err and "kept no model" in err and err.count("\n") == 1
