"""The contract every trainable honours (``trainables.units``), held to one test parametrized over every
registered name, as Optuna's sampler tests hold every sampler to one contract.

For each unit: the in-process ``result`` and what the Ray function trainable reports last are the same
final metrics; they hold ``score/<code>`` for the targets, every aggregate, ``n_languages``, ``n_pairs``,
``phase`` and the trial's cost (``wall_s``, ``gpu_s``, ``gpu_hours``: ``trainables.cost``); and every
aggregate is exactly ``trainables.metrics.aggregate`` of the reported per-language scores (NaN where a
group is empty) -- so a sweep mixing units compares one quantity.
"""

from __future__ import annotations

import math

import pytest

from _fake_world import fake_world
from spaces.trial_config import TrialConfig
from spaces.vocab import AGGREGATES, TRAINABLES, TRIAL_COSTS, XLMR
from trainables import trial as trial_mod
from trainables.metrics import aggregate
from trainables.published.replay import measured_subsets
from trainables.registry import get_unit

REQUIRED = ("n_languages", "n_pairs", "phase", *AGGREGATES)


def _config(name: str) -> dict:
    if name == "realign":  # the minute fake world; a sweep pool that leaves one target held out
        return TrialConfig.from_dict(
            {
                "languages": ["de", "yor_Latn"],
                "sweep_pool": ["de", "yor_Latn", "swh_Latn"],
                "realign": {"steps": 6, "batch_size": 4},
                "finetune": {"epochs": 1, "batch_size": 8, "lr": 1e-3},
            }
        ).to_dict()
    subset = measured_subsets(XLMR, "nli")[0].languages  # a subset the paper measured: published can replay it
    return TrialConfig(languages=subset, world="real", model=XLMR, task="nli").to_dict()


@pytest.fixture(autouse=True)
def on_fake_world(monkeypatch):
    monkeypatch.setenv("REALIGN_SEARCH_THREADS", "1")
    monkeypatch.setattr(trial_mod, "shared_world", lambda name, model: fake_world())


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == pytest.approx(b) if isinstance(a, float) else a == b


def test_every_name_is_registered():
    for name in TRAINABLES:
        unit = get_unit(name)
        assert callable(unit.trainable) and callable(unit.result), name


@pytest.mark.parametrize("name", TRAINABLES)
def test_every_trainable_reports_the_result_schema(name, monkeypatch):
    unit, config = get_unit(name), _config(name)
    trial = TrialConfig.from_dict(config)
    result = unit.result(config)

    reported = []
    monkeypatch.setattr("ray.tune.report", lambda metrics, checkpoint=None: reported.append(dict(metrics)))
    monkeypatch.setattr("ray.tune.get_checkpoint", lambda: None)
    monkeypatch.setattr("trainables.checkpoints.trial_storage", lambda: None)  # no Tune session: no trial folder
    unit.trainable(config)
    assert reported and reported[-1].keys() == result.keys()
    schema = [k for k in result if k.startswith("score/") or k in REQUIRED]  # timings (time/*) vary by run
    assert [k for k in schema if not _same(reported[-1][k], result[k])] == [], name

    missing = [key for key in REQUIRED if key not in result]
    assert not missing, f"{name} does not report {missing}"
    assert result["phase"] == "final"
    for run in (result, reported[-1]):  # its cost (measured, so not compared): no GPU time without a GPU
        assert (
            all(key in run for key in TRIAL_COSTS)
            and run["wall_s"] > 0
            and run["gpu_s"] == 0.0
            and run["gpu_hours"] == 0.0
        ), name
    subset = trial.languages if trial.realign.mode != "none" else ()
    assert result["n_languages"] == len(subset) and result["n_pairs"] > 0
    scores = {key.split("/", 1)[1]: value for key, value in result.items() if key.startswith("score/")}
    assert len(scores) >= 3, f"{name} scores too few targets for the aggregates to mean anything"
    expected = aggregate(scores, subset, trial.model, trial.sweep_pool)
    wrong = [group for group in AGGREGATES if not _same(result[group], expected[group])]
    assert not wrong, f"{name}: {wrong} differ from the aggregates of its own per-language scores"
    assert any(not math.isnan(result[group]) for group in ("unseen_lrl", "seen_lrl", "hrl")), name
