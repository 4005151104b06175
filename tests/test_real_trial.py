"""One trial end to end on the real stack's code path: fixture mirror + random-init mBERT architecture.

This is what a GPU box without hub access runs (data_dir mirror, random init), shrunk to seconds.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import math  # noqa: E402
from pathlib import Path  # noqa: E402

import datasets  # noqa: E402
import pytest  # noqa: E402
from test_real_models import TINY, save_tiny_tokenizer  # noqa: E402

from spaces.trial_config import TrialConfig  # noqa: E402
from trainables.real import RealWorld  # noqa: E402
from trainables.trial import run_trial  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "real"
TARGETS = {"pos": ["yor_Latn", "hau_Latn", "de"], "ner": ["hau_Latn", "swh_Latn", "de"],
           "nli": ["fr", "hau_Latn", "aym", "gaz_Latn"]}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> RealWorld:
    root = tmp_path_factory.mktemp("real-trial")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REALIGN_SEARCH_CACHE", str(root / "cache"))
        patch.setenv("REALIGN_SEARCH_THREADS", "1")
        save_tiny_tokenizer(root / "models" / "bert-base-multilingual-cased")
        patch.setenv("REALIGN_SEARCH_MODEL_DIR", str(root / "models"))
        datasets.disable_progress_bars()
        yield RealWorld("mbert", data_dir=FIXTURES, cache_dir=root / "real", random_init=True,
                        model_overrides=TINY)


@pytest.mark.parametrize("task", ["pos", "ner", "nli"])
def test_a_before_trial_runs_on_the_real_code_path(world: RealWorld, task: str) -> None:
    config = TrialConfig.from_dict({
        "world": "real", "model": "mbert", "task": task, "languages": ["fr", "amh_Ethi"],
        "targets": TARGETS[task], "realign": {"steps": 4, "batch_size": 2},
        "finetune": {"epochs": 1, "batch_size": 2, "lr": 1e-3}})
    metrics = run_trial(config, world=world)
    assert metrics["n_languages"] == 2
    assert metrics["n_pairs"] == 6  # en-fr: 3 non-empty pairs, amh_Ethi-eng_Latn: 3
    for lang in TARGETS[task]:
        assert 0.0 <= metrics[f"score/{lang}"] <= 1.0
    assert math.isfinite(metrics["all"])
