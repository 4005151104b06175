"""The default sampler (``search.samplers.subset``): seeded proposals repeat, every subset constraint holds
without repair, no subset is proposed twice, it pickles mid-study and continues identically, other
parameters come from TPE; its hypervolume gain and surrogate agree with hand computation; the config
refuses it with an encoding it cannot decide."""

from __future__ import annotations

import pickle

import numpy as np
import optuna
import pytest

from search.pareto import hypervolume_2d
from search.samplers import make_sampler
from search.samplers.subset import PREFIX, SubsetSampler, objective_targets
from search.samplers.subset_model import BayesLinear, hvi_2d
from spaces.catalog import load_catalog
from spaces.config import SearchSpace, parse_search_config
from spaces.errors import ConfigError
from spaces.targets import group_members

POOL = ("de", "ru", "hi", "ar", "ja", "id", "ta", "swh_Latn", "yor_Latn", "hau_Latn", "amh_Ethi", "mya_Mymr")
GAIN = dict(zip(POOL, (0.02, 0.01, 0.03, 0.0, -0.01, 0.02, 0.01, 0.08, 0.06, 0.05, 0.04, 0.0), strict=True))

optuna.logging.set_verbosity(optuna.logging.WARNING)


def space_cfg(subset: dict | None = None, realign: dict | None = None, search: dict | None = None):
    outside = [c for c in load_catalog().realignment_pool() if c not in POOL]
    return parse_search_config(
        {
            "experiment": {"name": "t", "trainable": "proxy", "world": "real", "model": "xlmr", "task": "ner"},
            "subset": {"pool": "all", "must_exclude": outside, "strategies": ["most_uriel_en"]} | (subset or {}),
            "realign": {"lr": {"low": 1e-6, "high": 1e-4, "log": True}} | (realign or {}),
            "search": {"warm_start_sizes": [2], "seed": 3} | (search or {}),
        }
    )


def score(languages, params) -> list[float]:
    """A closed-form objective: per-language gains that saturate, a small penalty on lr far from 1e-5."""
    quality = sum(GAIN[c] for c in languages) / (1 + 0.2 * len(languages))
    quality -= 0.01 * abs(np.log10(params.get("realign/lr", 1e-5)) + 5)
    return [quality, float(len(languages))]


def run(cfg, sampler, n, study=None):
    """``n`` ask/tell trials through the product's define-by-run space; the subsets realigned on."""
    space = SearchSpace(cfg)
    if study is None:
        study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)
        for point in space.warm_start_points():
            study.enqueue_trial(point)
    record = []
    for _ in range(n):
        trial = study.ask()
        constants = space(trial)
        chosen = [k[len(PREFIX) :] for k, v in trial.params.items() if k.startswith(PREFIX) and v]
        record.append((tuple(constants["languages"]), tuple(chosen), dict(trial.params)))
        study.tell(trial, score(constants["languages"], {**trial.params, **constants}))
    return study, record


def test_default_space_gets_the_subset_sampler_with_the_objective_targets():
    cfg = space_cfg()
    assert (cfg.search.sampler, cfg.subset.encoding) == ("subset", "mask")
    sampler = make_sampler(cfg)
    assert isinstance(sampler, SubsetSampler) and isinstance(sampler.inner, optuna.samplers.TPESampler)
    assert sampler.languages == cfg.subset.free and sampler.seed == 3
    expected = group_members("unseen_lrl", load_catalog().codes(), "xlm-roberta-base", sweep_pool=cfg.subset.available)
    assert sampler.targets == tuple(expected) and expected
    assert all(not load_catalog().get(c).seen_by("xlm-roberta-base") for c in sampler.targets)
    # a non-group first objective has no targets
    costs_only = space_cfg(search={"objectives": ["n_pairs:min", "n_languages:min"]})
    assert objective_targets(costs_only) == ()


def test_seeded_sampler_gives_the_same_proposals_twice_and_another_seed_differs():
    cfg = space_cfg()
    first = [r[0] for r in run(cfg, make_sampler(cfg), 14)[1]]
    again = [r[0] for r in run(cfg, make_sampler(cfg), 14)[1]]
    other_cfg = space_cfg(search={"seed": 4})
    other = [r[0] for r in run(other_cfg, make_sampler(other_cfg), 14)[1]]
    assert first == again
    assert first != other


def test_proposals_respect_every_constraint_need_no_repair_and_never_repeat():
    cfg = space_cfg(
        subset={
            "must_include": ["de"],
            "held_out": ["yor_Latn"],
            "min_languages": 2,
            "max_languages": 6,
            "max_pairs": 8000,
        },
        realign={"pairs_per_language": [1000, 2000, 4000], "mode": ["before", "none"]},
    )
    _, record = run(cfg, make_sampler(cfg), 24)
    subsets = [langs for langs, _, params in record if params.get("realign/mode") != "none"]
    assert len(subsets) > 15
    for langs, chosen, params in record:
        if params.get("realign/mode") == "none":
            assert langs == () and chosen == ()  # the baseline suggests no subset
            continue
        ppl = params["realign/pairs_per_language"]
        assert "de" in langs and "yor_Latn" not in langs
        assert 2 <= len(langs) <= min(6, 8000 // ppl)
        assert set(chosen) | {"de"} == set(langs)  # the proposal is what runs: repair left it alone
    assert len(set(subsets)) == len(subsets)


def test_pickled_mid_study_continues_identically():
    cfg = space_cfg()
    study, _ = run(cfg, make_sampler(cfg), 8)
    clone = pickle.loads(pickle.dumps(study))
    assert isinstance(clone.sampler, SubsetSampler)
    assert [r[0] for r in run(cfg, None, 6, study)[1]] == [r[0] for r in run(cfg, None, 6, clone)[1]]


def test_other_parameters_come_from_the_inner_sampler():
    cfg = space_cfg()
    _, record = run(cfg, make_sampler(cfg), 12)
    lrs = {params["realign/lr"] for _, _, params in record}
    assert len(lrs) > 5 and all(1e-6 <= lr <= 1e-4 for lr in lrs)


def test_model_proposals_beat_random_on_a_closed_form_objective():
    """After the start-up, the surrogate should find the highest-gain singleton and pairs quickly."""
    cfg = space_cfg(search={"warm_start": False})
    _, record = run(cfg, make_sampler(cfg), 16)
    best = max(score(langs, params)[0] for langs, _, params in record if len(langs) == 1)
    assert best == pytest.approx(max(score((c,), {"realign/lr": 1e-5})[0] for c in POOL), abs=0.01)


def test_hypervolume_gain_is_the_difference_of_two_hypervolumes():
    rng = np.random.default_rng(0)
    front = np.column_stack([rng.uniform(0, 1, 7), rng.integers(1, 10, 7).astype(float)])
    ref = (0.0, 11.0)
    for v, c in zip(rng.uniform(0, 1.2, 20), rng.integers(1, 12, 20).astype(float), strict=True):
        before = hypervolume_2d(front.tolist(), ["max", "min"], ref)
        after = hypervolume_2d([*front.tolist(), [v, c]], ["max", "min"], ref)
        assert hvi_2d(front, ref, np.array(v), np.array(c)) == pytest.approx(after - before, abs=1e-12)


def test_bayes_linear_recovers_known_coefficients():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((200, 4))
    theta = np.array([1.0, -0.5, 0.25, 0.0])
    y = z @ theta + 0.01 * rng.standard_normal(200)
    model = BayesLinear({"lang": [slice(0, 2)], "size": [slice(2, 4)]}, 4).fit(z, y)
    assert model.mean() == pytest.approx(theta, abs=0.01)
    draws = model.samples(200, rng)
    assert draws.mean(axis=1) == pytest.approx(theta, abs=0.01) and draws.std(axis=1).max() < 0.01


def test_config_refuses_the_subset_sampler_with_another_encoding_and_defaults_to_tpe_there():
    with pytest.raises(ConfigError) as err:
        space_cfg(subset={"encoding": "strategy"}, search={"sampler": "subset"})
    assert err.value.field == "search.sampler"
    assert "subset.encoding" in str(err.value) and "mask" in str(err.value)
    assert "tpe" in err.value.allowed and "subset" not in err.value.allowed
    assert space_cfg(subset={"encoding": "strategy"}).search.sampler == "tpe"  # omitted: TPE there
    assert space_cfg(subset={"encoding": "strategy"}, search={"sampler": "nsga2"}).search.sampler == "nsga2"
