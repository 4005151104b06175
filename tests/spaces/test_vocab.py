"""The vocabulary: objectives parsed once, model names resolved once, errors that survive Ray's pickling."""

from __future__ import annotations

import pickle

import pytest

from spaces.errors import ConfigError
from spaces.vocab import (
    MODEL_ALIASES,
    OBJECTIVE_METRICS,
    REAL_MODELS,
    REALIGN_MODES,
    SAMPLERS,
    Objective,
    canonical_model,
    short_model,
)


def test_a_space_objective_needs_a_known_metric_and_a_direction():
    assert Objective.parse("n_pairs:min", metrics=OBJECTIVE_METRICS) == Objective("n_pairs", "min")
    with pytest.raises(ConfigError) as err:
        Objective.parse("unseen_lrl", metrics=OBJECTIVE_METRICS)  # no default direction in a space
    assert err.value.allowed == ["unseen_lrl:max", "unseen_lrl:min"]
    with pytest.raises(ConfigError) as err:
        Objective.parse("in_subset:max", metrics=OBJECTIVE_METRICS)  # a subset view never ranks trials
    assert "depends on the trial's subset" in err.value.problem and "in_subset" not in err.value.allowed
    with pytest.raises(ConfigError) as err:
        Objective.parse(3, metrics=OBJECTIVE_METRICS)
    assert err.value.field == "search.objectives"


def test_an_objective_reads_back_from_its_text():
    for text in ("unseen_lrl:max", "n_languages:min"):
        assert str(Objective.parse(text)) == text
        assert Objective.parse(str(Objective.parse(text)), metrics=OBJECTIVE_METRICS) == Objective.parse(text)


def test_objective_metrics_are_the_fixed_groups_and_the_costs():
    from spaces.vocab import AGGREGATES, OBJECTIVE_GROUPS, SUBSET_VIEWS

    # every objective is a fixed target group the trainables report; no subset-dependent view is one
    assert set(OBJECTIVE_METRICS) == {*OBJECTIVE_GROUPS, "n_languages", "n_pairs", "wall_s", "gpu_s", "gpu_hours"}
    assert set(OBJECTIVE_GROUPS) <= set(AGGREGATES) and not set(SUBSET_VIEWS) & set(OBJECTIVE_METRICS)


def test_every_alias_names_a_real_model_and_each_model_has_a_short_name():
    assert {canonical_model(alias.upper()) for alias in MODEL_ALIASES} == set(REAL_MODELS)
    assert [short_model(model) for model in REAL_MODELS] == ["mbert", "xlmr"]
    assert canonical_model("tiny") == "tiny" and short_model("tiny") == "tiny"


def test_config_errors_survive_pickling_with_their_fields():
    """Ray ships a trial's exception to the driver by pickling it: a ConfigError raised in a trial (a
    subset its world cannot realign on) must reach the console as itself."""
    err = pickle.loads(pickle.dumps(ConfigError("languages", "no parallel data for 'xx'", ["de", "sw"])))
    assert isinstance(err, ConfigError)
    assert (err.field, err.problem, err.allowed) == ("languages", "no parallel data for 'xx'", ["de", "sw"])
    assert str(err) == "languages: no parallel data for 'xx' (allowed: de, sw)"


def test_objective_parsing():
    assert Objective.parse("unseen_lrl:max") == Objective("unseen_lrl", "max")
    assert Objective.parse("n_languages:min").sign() == 1.0
    assert Objective.parse("unseen_lrl").mode == "max"
    with pytest.raises(ConfigError) as err:
        Objective.parse("unseen_lrl:up")
    assert err.value.field == "search.objectives" and err.value.allowed == ["max", "min"]


def test_realign_modes_and_samplers_are_listed():
    assert set(REALIGN_MODES) == {"none", "before", "joint"} and "tpe" in SAMPLERS
