"""The proxy fidelity: features against hand computation, ridge, schema, and held-out-only validation."""

from __future__ import annotations

import numpy as np
import pytest

import trainables.proxy as proxy
from spaces.errors import ConfigError
from spaces.trial_config import RealignParams, TrialConfig
from spaces.typology import load_typology
from spaces.vocab import TRIAL_COSTS
from trainables.published.replay import replay
from trainables.units import proxy as proxy_unit

XLMR = "xlm-roberta-base"


def test_ridge_recovers_an_exact_linear_relation_with_a_tiny_penalty():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)) * [1.0, 5.0, 0.2] + [0.0, 2.0, -1.0]
    y = x @ np.array([0.5, -0.1, 3.0]) + 0.7
    ridge = proxy.fit_ridge(x, y, penalty=1e-9)
    assert ridge.predict(x) == pytest.approx(y, abs=1e-6)
    assert ridge.coef / ridge.scale == pytest.approx([0.5, -0.1, 3.0], abs=1e-6)


def test_features_match_hand_computation():
    base = {"wikiann/nl": 0.8, "masakhaner/yor_Latn": 0.3}
    rows = proxy.features(XLMR, ["af", "de"], list(base), base)
    f = dict(zip(proxy.FEATURES, rows[0], strict=True))
    typ = load_typology()
    d_af, d_de = typ.distance("featural", "nl", "af"), typ.distance("featural", "nl", "de")
    assert f["min_dist"] == pytest.approx(min(d_af, d_de)) and f["mean_dist"] == pytest.approx((d_af + d_de) / 2)
    assert (f["in_subset"], f["same_family"], f["same_script"], f["n_families"], f["n_scripts"]) == (0, 1, 1, 1, 1)
    assert (f["log2_size"], f["seen"], f["seen_fraction"], f["baseline"]) == (1.0, 1, 1.0, 0.8)
    pairs = [typ.distance("featural", a, b) for a, b in [("en", "af"), ("en", "de"), ("af", "de")]]
    assert f["diversity"] == pytest.approx(sum(pairs) / 3)
    g = dict(zip(proxy.FEATURES, proxy.features(XLMR, ["yo"], list(base), base)[1], strict=True))
    assert (g["in_subset"], g["unseen_in_subset"], g["min_dist"], g["joshi"]) == (1, 1, 0.0, 2)  # XLM-R lacks yor


def test_cross_validation_never_trains_on_a_held_out_strategy(monkeypatch):
    subsets = proxy.measured_subsets(XLMR, "pos")
    x, _, where = proxy._design(XLMR, "pos", subsets)
    rows_of = {}
    for row, (i, _) in zip(x, where, strict=True):
        rows_of.setdefault(i, set()).add(row.tobytes())
    training_sets = []
    real_fit = proxy.fit_ridge
    monkeypatch.setattr(
        proxy, "fit_ridge", lambda xs, ys, *a: training_sets.append({r.tobytes() for r in xs}) or real_fit(xs, ys, *a)
    )
    result = proxy.cross_validate(XLMR, "pos")
    strategies = sorted({s for sub in subsets for s in sub.strategies})
    assert len(training_sets) == len(strategies) == result.n_strategies
    for strategy, trained in zip(strategies, training_sets, strict=True):
        held = [i for i, sub in enumerate(subsets) if strategy in sub.strategies]
        assert held and all(not (rows_of[i] & trained) for i in held)
        kept = [i for i in rows_of if i not in held]
        assert all(rows_of[i] <= trained for i in kept)  # everything else is used
    # the shared subset of most_uriel_40 / most_uriel_en_40 is held out under either name
    shared = [s for s in subsets if {"most_uriel", "most_uriel_en"} <= s.strategies]
    assert shared and all(len(s.languages) == 40 for s in shared)
    assert result.mae_language < result.mae_language_naive
    assert -1.0 <= result.spearman["unseen_lrl"] <= 1.0 and result.n_subsets == len(subsets)


def test_predict_is_deterministic_and_the_empty_subset_is_the_published_baseline():
    langs = ["af", "yo", "ibo_Latn", "zh", "hau_Latn", "kin_Latn"]
    first = proxy.predict("xlmr", "ner", langs)
    assert proxy.predict("xlmr", "ner", reversed(langs)) == first
    baseline = replay("xlmr", "ner", []).mean
    assert first["bench/masakhaner"] > baseline["bench/masakhaner"]  # realigning on African languages helps
    assert proxy.predict("xlmr", "ner", []) == pytest.approx(baseline, nan_ok=True)


def test_trainable_reports_the_replay_schema(monkeypatch):
    reported = []
    monkeypatch.setattr("ray.tune.report", lambda metrics, **_: reported.append(metrics))
    sub = proxy.measured_subsets(XLMR, "nli")[0]
    proxy_unit.trainable(TrialConfig(languages=sub.languages, world="real", model=XLMR, task="nli").to_dict())
    (metrics,) = reported
    measured = replay(XLMR, "nli", sub.languages).mean
    assert set(metrics) - {"n_languages", "n_pairs", "phase", *TRIAL_COSTS} == set(measured)
    assert metrics["phase"] == "final" and metrics["n_languages"] == len(sub.languages)
    assert abs(metrics["unseen_lrl"] - measured["unseen_lrl"]) < 0.05  # in-sample: close to the measurement


def test_refusals_name_the_field():
    with pytest.raises(ConfigError, match="pcm cannot be realignment"):
        proxy.predict(XLMR, "pos", ["af", "pcm"])
    with pytest.raises(ConfigError, match="realign.mode"):
        proxy_unit.result(
            TrialConfig(languages=("af",), model=XLMR, task="pos", realign=RealignParams(mode="joint")).to_dict()
        )
    with pytest.raises(ConfigError, match="task"):
        proxy.predict(XLMR, "qa", ["af"])


def test_registry_names_resolve_to_the_proxy():
    from trainables.registry import get_trainable

    assert get_trainable("proxy") is proxy_unit.trainable
