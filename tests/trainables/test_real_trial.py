"""One trial end to end on the real stack's code path: fixture mirror + random-init mBERT architecture.

This is what a GPU box without hub access runs (data_dir mirror, random init), shrunk to seconds. A
target two benchmarks cover (Swahili: MasakhaNER 2.0 and WikiANN) is scored by the African one and
reported under both as bench/<benchmark>/<code>.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import math  # noqa: E402
from pathlib import Path  # noqa: E402

import datasets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from test_real_models import TINY, save_tiny_tokenizer  # noqa: E402

from spaces.trial_config import TrialConfig  # noqa: E402
from trainables.data import IGNORE  # noqa: E402
from trainables.real import RealWorld  # noqa: E402
from trainables.trial import benchmark_metrics, load_trial_data, run_trial  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "real"
TARGETS = {
    "pos": ["yor_Latn", "hau_Latn", "de"],
    "ner": ["hau_Latn", "swh_Latn", "de"],
    "nli": ["fr", "hau_Latn", "aym", "gaz_Latn", "swh_Latn", "id", "mya_Mymr"],
}
# the language two benchmarks cover in each task: (code, the African benchmark, the other one)
SHARED = {
    "pos": ("yor_Latn", "masakhapos", "udpos"),
    "ner": ("swh_Latn", "masakhaner", "wikiann"),
    "nli": ("swh_Latn", "afrixnli", "xnli"),
}


def trial_config(task: str) -> TrialConfig:
    return TrialConfig.from_dict(
        {
            "world": "real",
            "model": "mbert",
            "task": task,
            "languages": ["fr", "amh_Ethi"],
            "targets": TARGETS[task],
            "realign": {"steps": 4, "batch_size": 2},
            "finetune": {"epochs": 1, "batch_size": 2, "lr": 1e-3},
        }
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> RealWorld:
    root = tmp_path_factory.mktemp("real-trial")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REALIGN_SEARCH_CACHE", str(root / "cache"))
        patch.setenv("REALIGN_SEARCH_THREADS", "1")
        save_tiny_tokenizer(root / "models" / "bert-base-multilingual-cased")
        patch.setenv("REALIGN_SEARCH_MODEL_DIR", str(root / "models"))
        datasets.disable_progress_bars()
        yield RealWorld("mbert", data_dir=FIXTURES, cache_dir=root / "real", random_init=True, model_overrides=TINY)


@pytest.mark.parametrize("task", ["pos", "ner", "nli"])
def test_a_before_trial_runs_on_the_real_code_path(world: RealWorld, task: str) -> None:
    metrics = run_trial(trial_config(task), world=world)
    assert metrics["n_languages"] == 2
    assert metrics["n_pairs"] == 6  # en-fr: 3 non-empty pairs, amh_Ethi-eng_Latn: 3
    for lang in TARGETS[task]:
        assert 0.0 <= metrics[f"score/{lang}"] <= 1.0
    assert math.isfinite(metrics["all"])
    code, african, other = SHARED[task]
    assert metrics[f"bench/{african}/{code}"] == metrics[f"score/{code}"]
    assert 0.0 <= metrics[f"bench/{other}/{code}"] <= 1.0
    scored_by = {
        bench: [lang for lang in TARGETS[task] if f"bench/{bench}/{lang}" in metrics] for bench in (african, other)
    }
    assert code in scored_by[african] and code in scored_by[other]
    for bench, langs in scored_by.items():  # a benchmark's mean over the targets it scores
        assert metrics[f"bench/{bench}"] == pytest.approx(np.mean([metrics[f"bench/{bench}/{x}"] for x in langs]))


def test_the_other_benchmark_is_evaluated_on_its_own_test_set(world: RealWorld) -> None:
    data = load_trial_data(trial_config("ner"), world)
    assert data.benchmarks == {"hau_Latn": ("masakhaner",), "swh_Latn": ("masakhaner", "wikiann"), "de": ("wikiann",)}
    assert list(data.bench_tests) == ["bench/wikiann/swh_Latn"]
    words = {
        name: int((enc.row("labels", 0) != IGNORE).sum())
        for name, enc in (
            ("masakhaner", data.tests["swh_Latn"]),
            ("wikiann", data.bench_tests["bench/wikiann/swh_Latn"]),
        )
    }
    assert words == {"masakhaner": 4, "wikiann": 3}  # "Rais Samia alisema jana" / "Juma alienda Nairobi"


def test_benchmark_metrics_by_hand() -> None:
    scores = {"swh_Latn": 0.5, "hau_Latn": 0.25, "de": 0.75, "en": 0.9, "bench/wikiann/swh_Latn": 0.125}
    benchmarks = {
        "swh_Latn": ("masakhaner", "wikiann"),
        "hau_Latn": ("masakhaner",),
        "de": ("wikiann",),
        "en": ("wikiann",),
    }
    assert benchmark_metrics(scores, benchmarks) == {
        "bench/masakhaner/swh_Latn": 0.5,
        "bench/wikiann/swh_Latn": 0.125,
        "bench/masakhaner/hau_Latn": 0.25,
        "bench/wikiann/de": 0.75,
        "bench/wikiann/en": 0.9,
        "bench/masakhaner": 0.375,
        "bench/wikiann": (0.125 + 0.75) / 2,
    }  # English is in no mean
    unscored = benchmark_metrics({}, benchmarks)  # the report after realignment: no task head yet
    assert set(unscored) == set(benchmark_metrics(scores, benchmarks))
    assert all(math.isnan(value) for value in unscored.values())
