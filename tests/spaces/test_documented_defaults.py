"""The defaults and bounds a user reads in ``spaces/data/default.toml`` are the ones the parser applies.

``default.toml`` says "an omitted key takes the default shown here": every key it sets is checked
against the empty config (``parse_search_config({})``), except the few it deliberately sets otherwise to
keep the tiny sweep short, which are listed below with the reason and whose comment must name the
default. Then the three bad inputs a new user tried (``temperature = inf``, a 20-digit ``steps``,
``targets = ["en"]``) and their kin are refused before Ray starts, naming the field.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import fields

import pytest

from spaces.config import default_toml, load_search_config, parse_search_config
from spaces.config.sections import AshaConfig, ExperimentConfig, SearchSettings, SubsetConfig
from spaces.config.tracking import TrackingConfig
from spaces.errors import ConfigError
from spaces.fields import rules
from spaces.trial_config import FinetuneParams, RealignParams

# key -> why default.toml sets it differently from the default (its comment must give the default)
DELIBERATE = {
    "experiment.name": "the run folder of the default sweep is named after it",
    "subset.strategies": "four strategies keep the tiny sweep's warm starts within ~10 minutes",
    "realign.lr": "a range: the default sweep searches the learning rate",
    "realign.temperature": "a range: the default sweep searches the temperature",
    "realign.steps": "a choice: the default sweep searches the number of steps",
    "finetune.epochs": "1 epoch keeps the tiny sweep ~10 minutes (default 2 on the tiny encoder)",
    "finetune.max_length": "the tiny world's sentences fit in 64 subwords",
    "search.warm_start_sizes": "two sizes keep the tiny sweep's warm starts short",
}
SECTIONS = {
    "experiment": ExperimentConfig,
    "subset": SubsetConfig,
    "realign": RealignParams,
    "finetune": FinetuneParams,
    "search": SearchSettings,
    "search.asha": AshaConfig,
    "tracking": TrackingConfig,
}


def _leaves(table: dict, prefix: str = "") -> dict[str, object]:
    out = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and name in SECTIONS:
            out |= _leaves(value, f"{name}.")
        else:
            out[name] = value
    return out


def _value(cfg, key: str):
    """The parsed value of ``key`` (a domain's TOML form for [realign]/[finetune]), as TOML holds it."""
    section, name = key.rsplit(".", 1)
    if section in ("realign", "finetune"):
        return getattr(cfg, section).get(name).to_toml()
    holder = cfg
    for part in section.split("."):
        holder = getattr(holder, part)
    value = holder.to_dict()[name]
    return value


def _comment(key: str) -> str:
    """The comment lines of ``key`` in default.toml: its own line and the indented ones under it."""
    section, name = key.rsplit(".", 1)
    lines = default_toml().splitlines()
    start = lines.index(next(ln for ln in lines if ln.startswith(f"[{section}]")))
    at = next(i for i in range(start + 1, len(lines)) if re.match(rf"{name}\s*=", lines[i]))
    block = [lines[at]] + [ln for ln in lines[at + 1 : at + 4] if ln.startswith(" ")]
    return " ".join(ln.split("#", 1)[1] for ln in block if "#" in ln)


def test_every_key_of_default_toml_is_the_default_of_an_omitted_key():
    documented = _leaves(tomllib.loads(default_toml()))
    shown, empty = load_search_config(None), parse_search_config({})
    differing = {key for key in documented if _value(shown, key) != _value(empty, key)}
    assert differing == set(DELIBERATE), "a documented default that the parser does not apply (or a stale exception)"
    for key in DELIBERATE:
        assert "default" in _comment(key), f"default.toml's comment on {key} must give the default"
    assert parse_search_config({}).search.max_failures == 1  # the mismatch the issue found (was 0)


def test_default_toml_shows_every_field():
    text = default_toml()
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            if f.name in ("asha", "lists"):  # a table of its own / an example table
                continue
            assert re.search(rf"(^|[\s(#]){f.name}\s*=|# {f.name}\b", text, re.M), f"{section}.{f.name} undocumented"


@pytest.mark.parametrize(
    "cls", [ExperimentConfig, SubsetConfig, AshaConfig, SearchSettings, RealignParams, FinetuneParams]
)
def test_every_integer_field_has_a_maximum(cls):
    for name, rule in rules(cls).items():
        if rule.kind is int:
            assert rule.bound is not None and rule.bound.maximum is not None, f"{cls.__name__}.{name}"
            assert rule.bound.maximum < 2**63, name  # what a C long (numpy, torch) holds


@pytest.mark.parametrize(
    "data,field",
    [
        ({"realign": {"temperature": math.inf}}, "realign.temperature"),
        ({"realign": {"temperature": -math.inf}}, "realign.temperature"),
        ({"realign": {"temperature": math.nan}}, "realign.temperature"),
        ({"realign": {"lr": {"low": 1e-4, "high": math.inf, "log": True}}}, "realign.lr.high"),
        ({"realign": {"joint_coef": [1.0, math.nan]}}, "realign.joint_coef"),
        ({"realign": {"temperature": {"low": 0.1, "high": 0.3, "step": math.nan}}}, "realign.temperature.step"),
        ({"finetune": {"warmup": math.nan}}, "finetune.warmup"),
        ({"search": {"time_budget_s": math.inf}}, "search.time_budget_s"),
        ({"search": {"cpus_per_trial": math.nan}}, "search.cpus_per_trial"),
        ({"search": {"max_gpu_hours": math.inf}}, "search.max_gpu_hours"),
        ({"search": {"asha": {"reduction_factor": math.inf}}}, "search.asha.reduction_factor"),
    ],
)
def test_non_finite_floats_are_refused_anywhere(data, field):
    with pytest.raises(ConfigError) as err:
        parse_search_config(data)
    assert err.value.field == field and "finite" in str(err.value)


@pytest.mark.parametrize(
    "data,field",
    [
        ({"realign": {"steps": 10000000000000000000}}, "realign.steps"),
        ({"realign": {"steps": [100, 10**12]}}, "realign.steps"),
        ({"realign": {"steps": {"low": 1, "high": 10**12}}}, "realign.steps.high"),
        ({"finetune": {"epochs": 10**6}}, "finetune.epochs"),
        ({"search": {"num_samples": 10**7}}, "search.num_samples"),
        ({"search": {"seed": 2**32}}, "search.seed"),
        ({"experiment": {"seeds": [1, 2**40]}}, "experiment.seeds"),
        ({"subset": {"max_pairs": 10**10}}, "subset.max_pairs"),
        ({"search": {"asha": {"max_t": 10**5}}}, "search.asha.max_t"),
    ],
)
def test_integers_beyond_their_maximum_are_refused(data, field):
    with pytest.raises(ConfigError) as err:
        parse_search_config(data)
    assert err.value.field == field and "too large" in str(err.value)


def test_the_maximum_itself_is_allowed():
    assert parse_search_config({"realign": {"steps": 10**7}}).realign.get("steps").to_toml() == 10**7
    assert parse_search_config({"search": {"seed": 2**32 - 1}}).search.seed == 2**32 - 1


def test_a_target_list_on_which_the_objectives_are_empty_is_refused():
    with pytest.raises(ConfigError) as err:
        parse_search_config({"experiment": {"targets": ["en"]}})
    assert err.value.field == "experiment.targets" and "unseen_lrl" in str(err.value)
    # a high-resource target alone leaves the default unseen_lrl objective empty too ...
    with pytest.raises(ConfigError):
        parse_search_config({"experiment": {"targets": ["de"]}})
    # ... but is fine for an objective whose group it is in; ASHA's metric is held to the same rule
    ok = {"experiment": {"targets": ["de"]}, "search": {"objectives": ["hrl:max", "n_languages:min"]}}
    assert parse_search_config(ok).experiment.targets == ("de",)
    with pytest.raises(ConfigError) as err:
        parse_search_config({**ok, "search": {**ok["search"], "asha": {"enabled": True}}})
    assert err.value.field == "experiment.targets"


def test_asha_max_t_is_validated():
    assert parse_search_config({"search": {"asha": {"max_t": 7}}}).search.asha.max_t == 7
    with pytest.raises(ConfigError) as err:  # below the first rung
        parse_search_config({"search": {"asha": {"grace_period": 3, "max_t": 2}}})
    assert err.value.field == "search.asha.max_t"
    with pytest.raises(ConfigError) as err:  # shorter than a trial: every trial would be cut before the end
        parse_search_config(
            {
                "experiment": {"seeds": [1, 2]},
                "finetune": {"epochs": 3},
                "search": {"asha": {"enabled": True, "max_t": 5}},
            }
        )
    assert err.value.field == "search.asha.max_t" and ">= 6" in str(err.value)


def test_cost_objectives_and_caps_parse():
    cfg = parse_search_config(
        {"search": {"objectives": ["unseen_lrl:max", "gpu_hours:min"], "max_gpu_hours": 0.5, "gpus_per_trial": 1}}
    )
    assert [str(o) for o in cfg.search.objectives] == ["unseen_lrl:max", "gpu_hours:min"]
    assert cfg.search.max_gpu_hours == 0.5
    with pytest.raises(ConfigError) as err:  # costs are costs; the subset views stay refused
        parse_search_config({"search": {"objectives": ["in_subset:max", "wall_s:min"]}})
    assert err.value.field == "search.objectives"
    with pytest.raises(ConfigError) as err:
        parse_search_config({"search": {"max_wall_s": -1}})
    assert err.value.field == "search.max_wall_s"
