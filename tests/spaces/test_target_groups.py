"""Target groups: every objective averages a target set fixed for the sweep, never one the subset moves.

Hand-computed groups on a small example, then the property for every trainable's metric path (realign =
``TrialRun.metrics``, published = ``result_metrics``, proxy = ``trainables.units.proxy.result`` with its
predictions held fixed): with per-language scores fixed, no objective changes whatever the subset; and the case that the
old, subset-dependent definition got wrong.
"""

from __future__ import annotations

import math
import random
from types import SimpleNamespace

import pytest

from spaces.catalog import load_catalog
from spaces.config import load_search_config, resolve_trial
from spaces.targets import group_members, groups_of
from spaces.trial_config import RealignParams, TrialConfig
from spaces.vocab import AGGREGATES, OBJECTIVE_GROUPS, SUBSET_VIEWS
from trainables.metrics import aggregate
from trainables.published.data import result_metrics
from trainables.published.replay import measurement
from trainables.trial import Progress, TrialRun

SCORES = {"en": 0.95, "de": 0.8, "hau_Latn": 0.3, "yor_Latn": 0.5, "pcm": 0.4, "swh_Latn": 0.6}
POOL = load_catalog().realignment_pool()
N_SUBSETS = 200


def test_groups_by_hand():
    # mBERT saw de, yor, swh but not hau or pcm; pcm (Nigerian Pidgin) is evaluation-only; en is in no group
    out = aggregate(SCORES, ["de", "hau_Latn"], "bert-base-multilingual-cased")
    expected = {
        "unseen_lrl": (0.3 + 0.4) / 2,
        "seen_lrl": (0.5 + 0.6) / 2,
        "lrl": (0.3 + 0.5 + 0.4 + 0.6) / 4,
        "hrl": 0.8,
        "all": (0.8 + 0.3 + 0.5 + 0.4 + 0.6) / 5,
        "heldout": 0.4,
        "in_subset": (0.8 + 0.3) / 2,
        "out_of_subset": (0.5 + 0.4 + 0.6) / 3,
        "lrl_out_of_subset": (0.5 + 0.4 + 0.6) / 3,
    }
    assert out == pytest.approx(expected) and set(out) == set(AGGREGATES)
    # XLM-R saw hau and swh, not yor or pcm
    xlmr = aggregate(SCORES, ["de", "hau_Latn"], "xlmr")
    assert xlmr["unseen_lrl"] == pytest.approx((0.5 + 0.4) / 2) and xlmr["seen_lrl"] == pytest.approx((0.3 + 0.6) / 2)
    # the tiny encoder saw English and the pool languages XLM-R saw: the same split here
    assert aggregate(SCORES, [], "tiny")["unseen_lrl"] == pytest.approx((0.5 + 0.4) / 2)
    # a sweep whose pool is {de, hau}: every other target is held out, whatever the trial realigns on
    narrow = aggregate(SCORES, ["hau_Latn"], "xlmr", sweep_pool=("de", "hau_Latn"))
    assert narrow["heldout"] == pytest.approx((0.5 + 0.4 + 0.6) / 3)
    assert math.isnan(aggregate({"en": 0.9, "de": 0.8}, [], "xlmr")["unseen_lrl"])  # no such target: NaN, not 0


def test_tiny_encoder_groups_follow_the_world_it_pretrains():
    from trainables.tinyworld.generator import pretraining_languages

    seen = set(pretraining_languages())
    catalog = load_catalog()
    lrl = [lang.code for lang in catalog if lang.is_lrl]
    assert group_members("unseen_lrl", lrl, "tiny") == [c for c in lrl if c not in seen]
    assert group_members("seen_lrl", lrl, "tiny") == [c for c in lrl if c in seen]
    # evaluation-only languages are unseen by it, and held out of every default sweep
    assert {"pcm", "quy", "aym"} <= set(group_members("unseen_lrl", lrl, "tiny"))
    assert set(group_members("heldout", catalog.codes(), "tiny")) == set(catalog.codes()) - set(POOL) - {"en"}


def _subsets(rng: random.Random, pool=POOL) -> list[list[str]]:
    return [rng.sample(pool, rng.randint(1, len(pool))) for _ in range(N_SUBSETS)]


def _assert_objectives_fixed(results: list[dict]) -> None:
    first = results[0]
    for name in OBJECTIVE_GROUPS:
        for out in results[1:]:
            assert out[name] == pytest.approx(first[name], nan_ok=True), name
    moved = [name for name in SUBSET_VIEWS if len({round(r[name], 12) for r in results}) > 1]
    assert moved, "the subset views must move with the subset (else this test could not fail)"


def _baseline_bench_scores(model: str, task: str) -> dict[str, float]:
    return dict(measurement(model, task, (), "baseline").scores)


@pytest.mark.parametrize(
    ("model", "task"),
    [("bert-base-multilingual-cased", "ner"), ("xlm-roberta-base", "pos"), ("xlm-roberta-base", "nli")],
)
def test_published_path_objectives_do_not_depend_on_the_subset(model, task):
    scores = _baseline_bench_scores(model, task)
    rng = random.Random(f"{model}{task}")
    pool = tuple(rng.sample(POOL, 30))
    results = [result_metrics(scores, task, subset, model=model, sweep_pool=pool) for subset in _subsets(rng, pool)]
    _assert_objectives_fixed(results)
    assert math.isfinite(results[0]["heldout"]) and math.isfinite(results[0]["unseen_lrl"])


def test_realign_path_objectives_do_not_depend_on_the_subset():
    """``TrialRun.metrics`` (what the realign trainable reports) on fixed scores, for many subsets."""
    scores = {code: 0.1 + 0.8 * random.Random(code).random() for code in load_catalog().codes()}
    rng = random.Random(1)
    cfg = load_search_config()  # the default space: its trials carry the sweep's pool
    results = []
    for subset in _subsets(rng):
        trial = resolve_trial(cfg, {"languages": subset, "realign/mode": "before"})
        assert trial.sweep_pool == cfg.subset.available
        run = SimpleNamespace(
            trial=trial, data=SimpleNamespace(tests=scores, n_pairs=0, benchmarks={}), progress=Progress()
        )
        results.append(TrialRun.metrics(run, scores))
    _assert_objectives_fixed(results)
    unseen = group_members("unseen_lrl", scores, "tiny")
    assert results[0]["unseen_lrl"] == pytest.approx(sum(scores[c] for c in unseen) / len(unseen))


def test_proxy_path_objectives_do_not_depend_on_the_subset(monkeypatch):
    """The proxy unit's result with its per-language predictions held fixed."""
    from trainables import proxy
    from trainables.units import proxy as proxy_unit

    model, task = "xlm-roberta-base", "ner"
    fixed = _baseline_bench_scores(model, task)
    monkeypatch.setattr(proxy, "predict_scores", lambda *args, **kwargs: dict(fixed))
    rng = random.Random(2)
    results = [
        proxy_unit.result(TrialConfig(languages=tuple(subset), world="real", model=model, task=task).to_dict())
        for subset in _subsets(rng)
    ]
    _assert_objectives_fixed(results)


def test_absorbing_the_hardest_targets_does_not_move_unseen_lrl():
    """The flaw of the old definition (LRL targets outside the subset), on the paper's own baseline scores:
    putting the five lowest-scoring realignable LRL targets into the subset raised it without any training."""
    catalog = load_catalog()
    for model, task in (("bert-base-multilingual-cased", "ner"), ("xlm-roberta-base", "pos")):
        scores = _baseline_bench_scores(model, task)
        before = result_metrics(scores, task, [], model=model)
        lrl = sorted((before[f"score/{c}"], c) for c in POOL if catalog.get(c).is_lrl and f"score/{c}" in before)
        hardest = [c for _, c in lrl[:5]]
        after = result_metrics(scores, task, hardest, model=model)
        assert after["lrl_out_of_subset"] > before["lrl_out_of_subset"] + 0.03  # the old objective moved
        for name in OBJECTIVE_GROUPS:
            assert after[name] == pytest.approx(before[name]), name


def test_groups_of_ignores_english_and_names_each_target_once_per_group():
    assert groups_of("en", "xlmr", [], ()) == []
    for code in load_catalog().codes():
        names = groups_of(code, "mbert", ["de"], ())
        assert len(names) == len(set(names))
        assert ("lrl" in names) != ("hrl" in names) or code == "en"


def test_trial_config_refuses_a_subset_outside_its_sweep_pool():
    from spaces.errors import ConfigError

    with pytest.raises(ConfigError, match="sweep_pool"):
        TrialConfig(languages=("de", "hi"), sweep_pool=("de",), realign=RealignParams()).check()
    assert TrialConfig.from_dict(TrialConfig(languages=("de",), sweep_pool=("de", "hi")).to_dict()).sweep_pool == (
        "de",
        "hi",
    )
