"""Search-space config: TOML -> SearchConfig, every refusal, define-by-run under a real Optuna study."""

from __future__ import annotations

import copy
import math
import pickle
import random
from importlib import resources
from pathlib import Path

import optuna
import pytest

from spaces import heuristics
from spaces.catalog import load_catalog
from spaces.config import (
    SearchConfig,
    define_by_run,
    dump_search_config,
    flatten_params,
    heuristic_languages,
    languages_for,
    load_search_config,
    named_warm_start_points,
    parse_search_config,
    resolve_trial,
    warm_start_points,
)
from spaces.errors import ConfigError
from spaces.trial_config import RealignParams, TrialConfig

optuna.logging.set_verbosity(optuna.logging.WARNING)
EXAMPLES = sorted(
    p.name for p in resources.files("spaces.data").joinpath("examples").iterdir() if p.name.endswith(".toml")
)


def small(**sections) -> dict:
    """A small strategy-encoded space over the 29 LRLs; keyword sections are merged in."""
    data = {
        "experiment": {"name": "t"},
        "subset": {
            "encoding": "strategy",
            "pool": "joshi<=2",
            "strategies": ["random", "most_distinct_script"],
            "min_languages": 2,
            "max_languages": 6,
        },
        "realign": {"lr": {"low": 1e-4, "high": 1e-2, "log": True}, "steps": [10, 20]},
        "search": {"num_samples": 4},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return data


def refused(data: dict) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_search_config(data)
    return info.value


def check_constraints(cfg: SearchConfig, languages: list[str], pairs_per_language: int, mode: str) -> None:
    sub = cfg.subset
    if mode == "none":
        assert languages == []
        return
    assert len(set(languages)) == len(languages)
    assert sub.lower <= len(languages) <= sub.upper(pairs_per_language)
    assert set(sub.must_include) <= set(languages)
    assert not set(languages) & (set(sub.must_exclude) | set(sub.held_out))
    assert set(languages) <= set(sub.available)
    if sub.max_pairs:
        assert len(languages) * pairs_per_language <= sub.max_pairs


# -- defaults, examples, round trip ------------------------------------------------------------


def test_embedded_default_is_the_tiny_multi_objective_job():
    cfg = load_search_config()
    assert (cfg.experiment.world, cfg.experiment.model, cfg.experiment.task) == ("tiny", "tiny", "pos")
    assert cfg.experiment.trainable == "realign"
    assert cfg.search.metrics == ["unseen_lrl", "n_languages"] and cfg.search.modes == ["max", "min"]
    assert cfg.subset.encoding == "mask"
    assert (cfg.subset.min_languages, cfg.subset.max_languages) == (1, 65)
    # the whole pool is allowed, so the all-pool run is among the warm starts (the report marks it)
    assert "all@65" in [name for name, _ in named_warm_start_points(cfg)]
    assert cfg.subset.available == tuple(load_catalog().realignment_pool())
    assert cfg.realign.get("lr").kind == "float" and cfg.realign.get("lr").log
    assert cfg.search.sampler == "subset" and cfg.search.warm_start and cfg.search.max_concurrent == 2
    assert cfg.search.cpus_per_trial == 1.0


@pytest.mark.parametrize("name", [None, *EXAMPLES])
def test_every_shipped_config_round_trips(name):
    path = None if name is None else resources.files("spaces.data").joinpath("examples", name)
    cfg = load_search_config(path)
    again = parse_search_config(copy.deepcopy(cfg.to_dict()))
    assert again == cfg
    assert again.to_dict() == cfg.to_dict()


@pytest.mark.parametrize("name", [None, *EXAMPLES])
def test_dumped_toml_reads_back_equal(name, tmp_path: Path):
    path = None if name is None else resources.files("spaces.data").joinpath("examples", name)
    cfg = load_search_config(path)
    out = tmp_path / "space.toml"
    out.write_text(dump_search_config(cfg))
    assert load_search_config(out) == cfg


def test_examples_cover_mask_real_and_proxy():
    configs = [load_search_config(resources.files("spaces.data").joinpath("examples", n)) for n in EXAMPLES]
    assert any(c.subset.encoding == "mask" for c in configs)
    assert any(c.experiment.world == "real" and c.search.gpus_per_trial > 0 for c in configs)
    assert any(c.experiment.trainable == "proxy" for c in configs)


def test_round_trip_of_every_spec_kind_and_canonical_codes():
    data = small(
        experiment={"targets": ["swh", "yor"], "model": "tiny"},
        subset={"must_include": ["hau"], "held_out": ["yor"], "must_exclude": ["wol_Latn"]},
        realign={
            "mode": ["before", "joint"],
            "temperature": {"low": 0.05, "high": 0.25, "step": 0.05},
            "batch_size": {"low": 8, "high": 32, "step": 8},
            "pairs_per_language": 50,
        },
        finetune={"warmup": 0.2, "epochs": [1, 2]},
        search={"asha": {"enabled": True, "reduction_factor": 3}, "optuna_storage": "sqlite:///x.db"},
    )
    cfg = parse_search_config(data)
    assert cfg.experiment.targets == ("swh_Latn", "yor_Latn")  # ISO 639-3 resolved to canonical codes
    assert cfg.subset.must_include == ("hau_Latn",)
    assert cfg.realign.get("batch_size").kind == "int" and cfg.realign.get("batch_size").step == 8
    assert cfg.realign.get("temperature").kind == "float"
    assert parse_search_config(cfg.to_dict()) == cfg


def test_model_aliases_are_stored_canonically():
    cfg = parse_search_config({"experiment": {"world": "real", "model": "xlmr"}})
    assert cfg.experiment.model == "xlm-roberta-base"
    assert (
        parse_search_config({"experiment": {"trainable": "proxy", "model": "mbert"}}).experiment.model
        == "bert-base-multilingual-cased"
    )


def test_omitted_max_languages_means_everything_available():
    cfg = parse_search_config({"subset": {"pool": "group=african", "held_out": ["yor"]}})
    assert cfg.subset.max_languages == len(load_catalog().group("african")) - 1


# -- refusals ------------------------------------------------------------------------------------


def test_malformed_toml_names_file_and_line(tmp_path: Path):
    path = tmp_path / "bad.toml"
    path.write_text('[experiment]\nname = "x"\nseed = \n')
    with pytest.raises(ConfigError) as info:
        load_search_config(path)
    assert info.value.field == str(path)
    assert "line 3" in str(info.value)


def test_missing_file_is_refused(tmp_path: Path):
    with pytest.raises(ConfigError) as info:
        load_search_config(tmp_path / "nope.toml")
    assert info.value.field.endswith("nope.toml") and "no such file" in info.value.problem


# (mutation applied to small(), expected field, a value that must be listed in `allowed` or None)
REFUSALS = [
    # unknown keys, at every level, listing the allowed ones
    ({"experimnt": {}}, "experimnt", "experiment"),
    ({"subset": {"sizes": 3}}, "subset.sizes", "max_languages"),
    ({"realign": {"learning_rate": 1e-3}}, "realign.learning_rate", "lr"),
    ({"finetune": {"epoch": 2}}, "finetune.epoch", "epochs"),
    ({"realign": {"lr": {"low": 1e-4, "hi": 1e-3}}}, "realign.lr.hi", "high"),
    ({"search": {"asha": {"enable": True}}}, "search.asha.enable", "enabled"),
    ({"experiment": {"nmae": "x"}}, "experiment.nmae", "name"),
    # wrong types
    ({"experiment": {"seed": "0"}}, "experiment.seed", None),
    ({"search": {"warm_start": "yes"}}, "search.warm_start", "true"),
    ({"search": {"num_samples": True}}, "search.num_samples", None),
    ({"subset": {"must_include": "hau"}}, "subset.must_include", None),
    ({"realign": {"steps": 1.5}}, "realign.steps", None),
    ({"realign": {"lr": "fast"}}, "realign.lr", None),
    ({"realign": "fast"}, "realign", None),
    ({"search": {"cpus_per_trial": 0}}, "search.cpus_per_trial", None),
    ({"finetune": {"warmup": 1.5}}, "finetune.warmup", "between 0 and 1"),
    ({"realign": {"batch_size": 1}}, "realign.batch_size", None),
    # unknown language codes, anywhere
    ({"subset": {"must_include": ["xx"]}}, "subset.must_include", "en"),
    ({"subset": {"must_exclude": ["klingon"]}}, "subset.must_exclude", "en"),
    ({"subset": {"held_out": ["zz"]}}, "subset.held_out", "en"),
    ({"experiment": {"targets": ["yor", "qq"]}}, "experiment.targets", "en"),
    # empty pools and size bounds
    ({"subset": {"pool": "joshi<0"}}, "subset.pool", None),
    (
        {"subset": {"pool": "script=Geor", "must_exclude": ["ka"], "max_languages": 1, "min_languages": 1}},
        "subset.pool",
        None,
    ),
    ({"subset": {"pool": "nonsense"}}, "subset.pool", "joshi<=2 (< <= = >= > != with 0-5)"),
    ({"subset": {"max_languages": 30}}, "subset.max_languages", "1..29"),
    ({"subset": {"min_languages": 7}}, "subset.min_languages", "1..6"),
    ({"subset": {"min_languages": 0}}, "subset.min_languages", ">= 1"),
    (
        {"subset": {"must_include": ["hau", "yor", "ibo"], "max_languages": 2, "min_languages": 1}},
        "subset.must_include",
        None,
    ),
    # contradictions
    ({"subset": {"must_include": ["hau"], "must_exclude": ["hau"]}}, "subset.must_include", None),
    ({"subset": {"must_include": ["yor"], "held_out": ["yor"]}}, "subset.must_include", None),
    ({"subset": {"must_include": ["de"]}}, "subset.must_include", "yor_Latn"),  # outside joshi<=2
    ({"subset": {"must_include": ["en"]}}, "subset.must_include", None),  # not realignable
    # bad ranges
    ({"realign": {"lr": {"low": 1e-3, "high": 1e-4}}}, "realign.lr", None),
    ({"realign": {"temperature": {"low": 0.1, "high": 0.1}}}, "realign.temperature", None),
    ({"realign": {"joint_coef": {"low": 0.0, "high": 1.0, "log": True}}}, "realign.joint_coef", None),
    ({"realign": {"lr": {"low": 0.0, "high": 1e-3, "log": True}}}, "realign.lr.low", "> 0"),
    ({"realign": {"steps": {"low": 1.5, "high": 10}}}, "realign.steps.low", None),
    ({"realign": {"steps": {"low": 10}}}, "realign.steps", "high"),
    ({"realign": {"steps": {"low": 10, "high": 100, "step": 7}}}, "realign.steps.step", None),
    ({"realign": {"steps": {"low": 10, "high": 100, "step": 10, "log": True}}}, "realign.steps.step", None),
    ({"realign": {"lr": {"low": 1e-4, "high": 1e-3, "log": "yes"}}}, "realign.lr.log", "true"),
    ({"realign": {"mode": {"low": 0, "high": 1}}}, "realign.mode", "joint"),
    ({"realign": {"steps": []}}, "realign.steps", None),
    ({"realign": {"steps": [10, 10]}}, "realign.steps", None),
    # unknown names in closed sets
    ({"subset": {"strategies": ["random", "most_diverse"]}}, "subset.strategies", "most_uriel_en"),
    ({"subset": {"strategies": []}}, "subset.strategies", "random"),
    ({"subset": {"strategies": ["all"]}}, "subset.strategies", None),  # max 6 < 29 available
    ({"subset": {"encoding": "bits"}}, "subset.encoding", "mask"),
    ({"search": {"sampler": "cmaes"}}, "search.sampler", "nsga2"),
    ({"realign": {"mode": "after"}}, "realign.mode", "joint"),
    ({"realign": {"mode": ["before", "after"]}}, "realign.mode", "none"),
    ({"realign": {"sampling": "temperature"}}, "realign.sampling", "proportional"),
    ({"search": {"objectives": ["accuracy:max"]}}, "search.objectives", "unseen_lrl"),
    ({"search": {"objectives": ["unseen_lrl"]}}, "search.objectives", "unseen_lrl:max"),
    ({"search": {"objectives": ["unseen_lrl:max", "unseen_lrl:min"]}}, "search.objectives", None),
    ({"search": {"objectives": []}}, "search.objectives", "n_pairs"),
    ({"search": {"asha": {"metric": "n_languages"}}}, "search.asha.metric", "unseen_lrl"),
    # subset-dependent views and the old names are refused as objectives (they score trials on different
    # languages); the allowed list names the fixed groups
    ({"search": {"objectives": ["in_subset:max"]}}, "search.objectives", "heldout"),
    ({"search": {"objectives": ["lrl_out_of_subset:max"]}}, "search.objectives", "unseen_lrl"),
    ({"search": {"objectives": ["unseen:max", "n_languages:min"]}}, "search.objectives", "seen_lrl"),
    ({"search": {"objectives": ["seen:max"]}}, "search.objectives", "unseen_lrl"),
    ({"search": {"asha": {"metric": "out_of_subset"}}}, "search.asha.metric", "unseen_lrl"),
    ({"subset": {"strategies": ["paper:most_diverse"]}}, "subset.strategies", "paper:most_uriel_en"),
    ({"subset": {"strategies": ["paper:most_uriel_en"]}}, "subset.strategies", None),  # no list in joshi<=2
    ({"search": {"asha": {"reduction_factor": 1}}}, "search.asha.reduction_factor", "> 1"),
    ({"search": {"optuna_storage": "study.db"}}, "search.optuna_storage", "sqlite:///study.db"),
    ({"experiment": {"trainable": "replay"}}, "experiment.trainable", "published"),
    ({"experiment": {"world": "small"}}, "experiment.world", "tiny"),
    ({"experiment": {"task": "qa"}}, "experiment.task", "nli"),
    ({"experiment": {"model": "xlm-roberta-base"}}, "experiment.model", "tiny"),  # tiny world
    ({"experiment": {"world": "real", "model": "tiny"}}, "experiment.model", "xlm-roberta-base"),
    ({"experiment": {"name": "a b/c"}}, "experiment.name", None),
    # pair budget
    ({"subset": {"max_pairs": 500}}, "subset.max_pairs", None),  # pairs_per_language 0 = unknown
    ({"subset": {"max_pairs": 100}, "realign": {"pairs_per_language": [20, 60]}}, "subset.max_pairs", ">= 120"),
]


@pytest.mark.parametrize(("mutation", "field", "listed"), REFUSALS, ids=[f"{i}-{r[1]}" for i, r in enumerate(REFUSALS)])
def test_invalid_configs_are_refused_naming_the_field(mutation, field, listed):
    data = small()
    for section, values in mutation.items():
        if isinstance(values, dict) and isinstance(data.get(section), dict):
            data[section] = {**data[section], **values}
        else:
            data[section] = values
    err = refused(data)
    assert err.field == field, str(err)
    if listed is not None:
        assert err.allowed is not None and listed in err.allowed, str(err)


# -- define-by-run under a real Optuna study -----------------------------------------------------


def sample_many(cfg: SearchConfig, n: int, sampler: optuna.samplers.BaseSampler) -> list[tuple[dict, dict]]:
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)
    space = define_by_run(cfg)
    rng = random.Random(0)
    out = []

    def objective(trial: optuna.Trial):
        constants = space(trial)
        out.append((dict(trial.params), constants))
        return rng.random(), len(constants["languages"])

    study.optimize(objective, n_trials=n)
    return out


CONSTRAINED = small(
    subset={
        "strategies": ["random", "most_distinct_script", "least_same_script"],
        "must_include": ["hau"],
        "must_exclude": ["ibo"],
        "held_out": ["yor", "wol"],
        "min_languages": 2,
        "max_languages": 8,
        "max_pairs": 600,
    },
    realign={"pairs_per_language": [50, 100], "mode": ["before", "none"]},
)


@pytest.mark.parametrize("encoding", ["strategy", "mask"])
@pytest.mark.parametrize("sampler", ["random", "tpe"])
def test_every_sampled_trial_respects_every_constraint(encoding, sampler):
    data = copy.deepcopy(CONSTRAINED)
    data["subset"]["encoding"] = encoding
    cfg = parse_search_config(data)
    samplers = {"random": optuna.samplers.RandomSampler(seed=1), "tpe": optuna.samplers.TPESampler(seed=1)}
    trials = sample_many(cfg, 60, samplers[sampler])
    sizes = set()
    for params, constants in trials:
        ppl, mode = params["realign/pairs_per_language"], params["realign/mode"]
        check_constraints(cfg, constants["languages"], ppl, mode)
        assert constants["languages"] == languages_for(cfg, params)  # the constant is the resolution
        assert params["realign/steps"] in (10, 20) and constants["realign/batch_size"] == 16  # fixed
        if mode != "none":
            sizes.add(len(constants["languages"]))
        if encoding == "mask" and mode != "none":
            assert {k for k in params if k.startswith("lang/")} == {f"lang/{c}" for c in cfg.subset.free}
        if encoding == "strategy" and mode != "none":
            assert ("subset/seed" in params) == (params["subset/strategy"] == "random")
    # the bounds are not trivially met by one size (a random mask over 25 languages mostly exceeds
    # max_languages, so mask sizes gather at the pair-budget bounds 6 and 8)
    assert len(sizes) >= (3 if encoding == "strategy" else 2)
    assert any(p["realign/mode"] == "none" for p, _ in trials)


def test_pair_budget_clips_the_size_per_trial():
    cfg = parse_search_config(copy.deepcopy(CONSTRAINED))
    assert cfg.subset.upper(50) == 8 and cfg.subset.upper(100) == 6
    params = {
        "realign/mode": "before",
        "realign/pairs_per_language": 100,
        "subset/size": 8,
        "subset/strategy": "random",
        "subset/seed": 3,
    }
    assert len(languages_for(cfg, params)) == 6
    assert len(languages_for(cfg, {**params, "realign/pairs_per_language": 50})) == 8


def test_strategy_languages_are_the_heuristic_subset():
    cfg = parse_search_config(small())
    params = {"subset/strategy": "random", "subset/size": 5, "subset/seed": 7}
    assert languages_for(cfg, params) == heuristics.select("random", 5, pool="joshi<=2", seed=7)
    assert languages_for(cfg, {**params, "subset/size": 40}) == heuristics.select(
        "random", 6, pool="joshi<=2", seed=7
    )  # clipped to max_languages


def test_infeasible_heuristic_size_is_topped_up_not_failed():
    # only 2 Ethiopic/Myanmar... languages: most_same_script picks Latn (the largest script) here,
    # so narrow the pool to two scripts where the largest has 1 language and ask for 2.
    cfg = parse_search_config(
        {
            "subset": {
                "pool": "script!=Latn & joshi<=2",
                "strategies": ["most_same_script"],
                "min_languages": 2,
                "max_languages": 3,
            }
        }
    )
    available = cfg.subset.available
    scripts = {load_catalog().get(c).script for c in available}
    assert len(scripts) == len(available)  # every script has one language: the strategy can give 1
    with pytest.raises(ConfigError):
        heuristics.select("most_same_script", 2, pool=cfg.subset.pool)
    langs = languages_for(cfg, {"subset/strategy": "most_same_script", "subset/size": 2})
    assert len(langs) == 2 and set(langs) <= set(available)


def test_define_by_run_is_deterministic_and_picklable():
    cfg = parse_search_config(copy.deepcopy(CONSTRAINED))
    space = pickle.loads(pickle.dumps(define_by_run(cfg)))
    first = sample_many(cfg, 15, optuna.samplers.TPESampler(seed=3))
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=optuna.samplers.TPESampler(seed=3))
    rng = random.Random(0)
    again = []

    def objective(trial):
        constants = space(trial)
        again.append((dict(trial.params), constants))
        return rng.random(), len(constants["languages"])

    study.optimize(objective, n_trials=15)
    assert again == first


# -- mask repair ---------------------------------------------------------------------------------


def mask_cfg(**subset) -> SearchConfig:
    return parse_search_config(small(subset={"encoding": "mask", "pool": "group=african", **subset}))


def test_mask_repair_adds_and_drops_to_the_bounds_deterministically():
    cfg = mask_cfg(min_languages=3, max_languages=5, must_include=["hau"], held_out=["yor"])
    free = cfg.subset.free
    assert "hau_Latn" not in free and "yor_Latn" not in free
    none = {f"lang/{c}": False for c in free}
    grown = languages_for(cfg, none)
    assert len(grown) == 3 and "hau_Latn" in grown and "yor_Latn" not in grown
    assert grown == languages_for(cfg, none)  # deterministic
    one = {**none, f"lang/{free[4]}": True}
    assert len(languages_for(cfg, one)) == 3 and free[4] in languages_for(cfg, one)  # kept what was chosen
    everything = {f"lang/{c}": True for c in free}
    shrunk = languages_for(cfg, everything)
    assert len(shrunk) == 5 and "hau_Latn" in shrunk
    exact = {**none, **{f"lang/{c}": True for c in free[:3]}}
    assert languages_for(cfg, exact) == [c for c in cfg.subset.available if c in {"hau_Latn", *free[:3]}]


def test_mask_repair_does_not_favour_the_first_catalog_languages():
    cfg = mask_cfg(min_languages=1, max_languages=4)
    free = cfg.subset.free
    rng = random.Random(5)
    kept = set()
    for _ in range(40):
        mask = {f"lang/{c}": rng.random() < 0.6 for c in free}
        kept |= set(languages_for(cfg, mask))
    assert free[-1] in kept and free[-2] in kept  # a catalog-order truncation would never keep these


# -- warm start ---------------------------------------------------------------------------------


def test_warm_start_points_are_the_heuristics_at_the_clipped_sizes():
    cfg = parse_search_config(small(search={"warm_start_sizes": [1, 4, 40]}))
    points = warm_start_points(cfg)
    subsets = [languages_for(cfg, p) for p in points]
    expected = []
    for strategy in ("random", "most_distinct_script"):
        for size in (2, 4, 6):  # 1 -> min_languages, 40 -> max_languages
            langs = heuristics.select(strategy, size, pool="joshi<=2", seed=0)
            if langs not in expected:
                expected.append(langs)
    assert subsets == expected
    for point in points:
        assert point["realign/lr"] == pytest.approx(math.sqrt(1e-4 * 1e-2))  # log midpoint
        assert point["realign/steps"] == 10  # default 200 not a choice: first choice
    assert warm_start_points(parse_search_config(small(search={"warm_start": False}))) == []


def test_warm_start_points_replay_exactly_through_optuna():
    for data in (
        copy.deepcopy(CONSTRAINED),
        {**copy.deepcopy(CONSTRAINED), "subset": {**CONSTRAINED["subset"], "encoding": "mask"}},
    ):
        cfg = parse_search_config(data)
        points = warm_start_points(cfg)
        assert any(p["realign/mode"] == "none" for p in points)  # the baseline
        study = optuna.create_study(directions=["maximize", "minimize"])
        for point in points:
            study.enqueue_trial(point)
        space = define_by_run(cfg)
        for point in points:
            trial = study.ask()
            constants = space(trial)
            assert trial.params == point  # every value lies inside its distribution, nothing extra
            check_constraints(cfg, constants["languages"], point["realign/pairs_per_language"], point["realign/mode"])
            study.tell(trial, [0.0, float(len(constants["languages"]))])


def test_warm_start_includes_the_whole_pool_when_allowed():
    cfg = parse_search_config(
        {"subset": {"pool": "group=african", "strategies": ["most_uriel_en"]}, "search": {"warm_start_sizes": [5]}}
    )
    named = named_warm_start_points(cfg)
    assert [label for label, _ in named] == ["most_uriel_en@5", "all@21"]
    assert languages_for(cfg, named[1][1]) == list(cfg.subset.available)
    assert (
        languages_for(cfg, named[0][1])
        == heuristic_languages(cfg, "most_uriel_en", 5)
        == heuristics.select("most_uriel_en", 5, pool="group=african")
    )


@pytest.mark.parametrize("mode", ["none", ["none"], ["none", "joint"]])
def test_baseline_only_and_baseline_first_mode_specs(mode):
    cfg = parse_search_config(small(realign={"mode": mode}))
    named = named_warm_start_points(cfg)
    assert named[-1][0] == "baseline" and languages_for(cfg, named[-1][1]) == []
    realigning = [point for label, point in named if label != "baseline"]
    assert len(realigning) == (4 if mode == ["none", "joint"] else 0)
    assert all(point["realign/mode"] == "joint" for point in realigning)


# -- resolve_trial -------------------------------------------------------------------------------


def test_resolve_trial_from_flat_and_nested_dicts():
    cfg = parse_search_config(copy.deepcopy(CONSTRAINED))
    flat = {
        "realign/lr": 3e-3,
        "realign/mode": "before",
        "realign/pairs_per_language": 50,
        "subset/size": 4,
        "subset/strategy": "random",
        "subset/seed": 11,
    }
    nested = {
        "realign": {"lr": 3e-3, "mode": "before", "pairs_per_language": 50},
        "subset": {"size": 4, "strategy": "random", "seed": 11},
    }
    assert flatten_params(nested) == flat
    trial = resolve_trial(cfg, flat)
    assert isinstance(trial, TrialConfig)
    assert trial == resolve_trial(cfg, nested)
    assert trial.languages == tuple(languages_for(cfg, flat)) and len(trial.languages) == 4
    assert trial.realign.lr == 3e-3 and trial.realign.pairs_per_language == 50
    assert trial.realign.steps == 10  # missing sampled value: the space default (first choice)
    assert trial.realign.batch_size == RealignParams().batch_size  # fixed
    with_languages = resolve_trial(cfg, {**nested, "languages": list(trial.languages)})
    assert with_languages == trial
    assert TrialConfig.from_dict(trial.to_dict()) == trial


def test_resolve_trial_checks_given_languages_and_keys():
    cfg = parse_search_config(copy.deepcopy(CONSTRAINED))
    base = {"realign/mode": "before", "realign/pairs_per_language": 100}
    with pytest.raises(ConfigError) as info:
        resolve_trial(cfg, {**base, "languages": ["hau", "yor"]})  # yor is held out
    assert info.value.field == "languages"
    with pytest.raises(ConfigError):
        resolve_trial(cfg, {**base, "languages": ["amh", "bam"]})  # must_include hau missing
    with pytest.raises(ConfigError):  # 7 languages at 100 pairs each exceed max_pairs=600
        resolve_trial(cfg, {**base, "languages": list(cfg.subset.available[:7])})
    assert resolve_trial(cfg, {**base, "languages": ["hau", "amh"]}).languages == ("amh_Ethi", "hau_Latn")
    with pytest.raises(ConfigError) as info:
        resolve_trial(cfg, {**base, "realign/lrate": 1.0})
    assert info.value.field == "realign/lrate" and "realign/lr" in info.value.allowed
    with pytest.raises(ConfigError):
        resolve_trial(cfg, {**base, "realign/mode": "sideways"})
    baseline = resolve_trial(cfg, {"realign/mode": "none"})
    assert baseline.languages == () and baseline.realign.mode == "none"


def test_ray_optuna_search_suggests_resolvable_nested_configs():
    """The real consumer: Ray's OptunaSearch, its '/' unflattening, warm start and pickled save."""
    from ray.tune.search.optuna import OptunaSearch

    cfg = parse_search_config(copy.deepcopy(CONSTRAINED))
    points = warm_start_points(cfg)
    searcher = OptunaSearch(
        space=define_by_run(cfg), metric=cfg.search.metrics, mode=cfg.search.modes, points_to_evaluate=points, seed=0
    )
    for i in range(len(points) + 3):
        suggested = searcher.suggest(f"t{i}")
        assert isinstance(suggested["realign"], dict) and "languages" in suggested
        trial = resolve_trial(cfg, suggested)
        assert list(trial.languages) == suggested["languages"]
        if i < len(points):
            assert flatten_params({k: v for k, v in suggested.items() if k != "languages"}) == {
                **points[i],
                **{s.name: s.value for s in cfg.specs() if not s.sampled},
            }
        searcher.on_trial_complete(f"t{i}", {"unseen_lrl": 0.5, "n_languages": len(trial.languages)})


# ------------------------------------------------------------------------------------------- lists
LISTS = {"encoding": "lists", "lists": {"two": ["sw", "de"], "three": ["yor_Latn", "hau_Latn", "fr"]}}


def test_lists_encoding_samples_only_the_named_subsets() -> None:
    cfg = parse_search_config({"subset": LISTS, "realign": {"mode": ["before", "none"]}})
    assert cfg.subset.lists == (("two", ("de", "swh_Latn")), ("three", ("fr", "hau_Latn", "yor_Latn")))
    assert [label for label, _ in named_warm_start_points(cfg)] == ["two", "three", "baseline"]
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(20):
        trial = study.ask()
        out = define_by_run(cfg)(trial)
        if trial.params["realign/mode"] == "before":
            assert tuple(out["languages"]) == cfg.subset.named_list(trial.params["subset/list"])
            seen.add(trial.params["subset/list"])
        study.tell(trial, 0.0)
    assert seen == {"two", "three"}
    assert resolve_trial(cfg, {"subset/list": "three"}).languages == ("fr", "hau_Latn", "yor_Latn")


def test_lists_round_trip_through_toml() -> None:
    import tomllib

    cfg = parse_search_config({"subset": LISTS})
    assert parse_search_config(tomllib.loads(dump_search_config(cfg))) == cfg


@pytest.mark.parametrize(
    "subset, field",
    [
        ({"encoding": "lists"}, "subset.lists"),
        ({"encoding": "strategy", "lists": {"a": ["de"]}}, "subset.lists"),
        ({"encoding": "lists", "lists": {"a": ["de", "xx"]}}, "subset.lists.a"),
        ({"encoding": "lists", "lists": {"a": ["de", "de"]}}, "subset.lists.a"),
        ({"encoding": "lists", "lists": {"a": ["de"], "b": ["deu"]}}, "subset.lists.b"),
        ({"encoding": "lists", "must_exclude": ["de"], "lists": {"a": ["de"]}}, "subset.lists.a"),
        ({"encoding": "lists", "must_include": ["fr"], "lists": {"a": ["de"]}}, "subset.lists.a"),
        ({"encoding": "lists", "max_languages": 1, "lists": {"a": ["de", "fr"]}}, "subset.lists.a"),
    ],
)
def test_bad_lists_name_the_field(subset: dict, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_search_config({"subset": subset})
    assert err.value.field == field
