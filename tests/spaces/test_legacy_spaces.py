"""Run folders saved before the config module was split still resume: their pickled search space (as Ray
keeps it in the experiment state) unpickles and samples exactly what a fresh one does.

The fixture was written by realign-search at de95d93: ``pickle.dumps({"default": SearchSpace(default),
"mask": SearchSpace(mask.toml), "ray_state": [...]})`` with ``search.driver.SearchSpace``, after the
subset's cached properties were computed, as a sweep leaves them; ``ray_state`` holds every object of the
product an old run folder's Ray state refers to (the trial folder namer, the callbacks, the objectives).
"""

from __future__ import annotations

import pickle
from dataclasses import replace
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import optuna
import pytest

from spaces.config import SearchSpace, load_search_config
from spaces.config.toml import default_toml

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "legacy" / "search_spaces_de95d93.pkl"
SOURCES = {"default": None, "mask": resources.files("spaces.data").joinpath("examples", "mask.toml")}


def test_everything_an_old_run_folder_refers_to_unpickles():
    namer, park, stop, keep, progress = pickle.loads(FIXTURE.read_bytes())["ray_state"]
    assert namer(SimpleNamespace(trial_id="abc")) == "trial_abc" and callable(park)
    assert [str(o) for o in keep.objectives] == ["unseen_lrl:max", "n_languages:min"]
    assert progress.space.languages({"languages": ["de"]}) == ["de"] and stop is not None


def old_default(directory: Path) -> Path:
    """The embedded default as it was when the fixture was written: strategy encoding, TPE (the default
    is now the subset sampler on the mask encoding; a run folder keeps the space it was started with)."""
    text = default_toml().replace('encoding = "mask"', 'encoding = "strategy"', 1)
    path = directory / "old_default.toml"
    path.write_text(text.replace('sampler = "subset"', 'sampler = "tpe"', 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", list(SOURCES))
def test_an_old_pickled_space_samples_what_a_fresh_one_does(name, tmp_path):
    old = pickle.loads(FIXTURE.read_bytes())[name]
    fresh = SearchSpace(load_search_config(SOURCES[name] or old_default(tmp_path)))
    then = fresh.cfg
    if name == "mask":  # omits max_failures: 0 then, now 1, the default default.toml has always documented
        then = replace(then, search=replace(then.search, max_failures=0))
    assert isinstance(old, SearchSpace) and old.cfg == then and fresh.cfg.search.max_failures == 1
    assert old.warm_start_points() == fresh.warm_start_points()
    picks = []
    for space in (old, fresh):
        study = optuna.create_study(directions=["maximize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=3))
        picks.append([space(study.ask()) for _ in range(5)])
    assert picks[0] == picks[1]
