"""What each Optuna trial stores as user attributes (``search.engines.study_attributes``)."""

from __future__ import annotations

import math

from _search_support import MINIMAL_TOML
from search.engines.study_attributes import trial_attributes
from spaces.config import SearchSpace, parse_search_config


def _space() -> SearchSpace:
    import tomllib

    return SearchSpace(parse_search_config(tomllib.loads(MINIMAL_TOML)))


def test_languages_and_scores_from_tune_s_flattened_result():
    result = {
        "config/languages": ["ru", "bg"],
        "config/realign/lr": 1e-3,
        "score/sw": 0.5,
        "score/yo": math.nan,  # JSON storages refuse NaN
        "unseen_lrl": 0.5,
        "scores_note": "not a score",
    }
    assert trial_attributes(result, _space()) == {
        "languages": ["ru", "bg"],
        "n_languages": 2,
        "score/sw": 0.5,
        "score/yo": None,
    }


def test_languages_resolved_from_the_sampled_subset_when_not_given():
    sampled = {"realign": {"lr": 1e-3}, "lang": {"bg": True, "ru": False, "uk": True, "kaz_Cyrl": False}}
    attrs = trial_attributes({"config": sampled}, _space())
    assert sorted(attrs["languages"]) == ["bg", "uk"] and attrs["n_languages"] == 2


def test_a_failed_trial_gets_no_attributes():
    assert trial_attributes(None, _space()) == {}
