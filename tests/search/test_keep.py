"""``search.keep_models``: which ended trials keep their weights, and the deletion of the others'."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from search.keep import KeepModels, kept, prune
from spaces.config import parse_search_config
from spaces.errors import ConfigError
from spaces.vocab import Objective

OBJECTIVES = [Objective("unseen_lrl", "max"), Objective("n_languages", "min")]


@dataclass
class Storage:
    storage_filesystem: object


@dataclass
class FakeTrial:
    """What ``search.keep`` reads of a Ray ``Trial``: id, status, last result, storage and folder."""

    trial_id: str
    status: str
    score: float
    size: int
    phase: str = "final"
    path: str = ""
    storage: Storage | None = None
    last_result: dict = field(default_factory=dict)

    def __post_init__(self):
        self.last_result = {"unseen_lrl": self.score, "n_languages": self.size, "phase": self.phase}


def _trials(root: Path) -> list[FakeTrial]:
    import pyarrow.fs

    specs = [  # id, status, score, size, phase
        ("a", "TERMINATED", 0.40, 5, "final"),  # front
        ("b", "TERMINATED", 0.30, 5, "final"),  # dominated by a
        ("c", "TERMINATED", 0.45, 20, "final"),  # front (higher score, larger)
        ("d", "TERMINATED", 0.50, 3, "epoch"),  # stopped early by ASHA: not finished
        ("e", "ERROR", 0.90, 1, "epoch"),  # failed
        ("f", "RUNNING", 0.10, 40, "epoch"),  # still running: never touched
    ]
    trials = []
    for trial_id, status, score, size, phase in specs:
        folder = root / f"trial_{trial_id}"
        for i in range(2):
            (folder / f"checkpoint_00000{i}").mkdir(parents=True)
            (folder / f"checkpoint_00000{i}" / "trial_weights.pt").write_bytes(b"w")
        (folder / "result.json").write_text("{}\n")
        trials.append(
            FakeTrial(trial_id, status, score, size, phase, str(folder), Storage(pyarrow.fs.LocalFileSystem()))
        )
    return trials


def _with_weights(root: Path) -> set[str]:
    return {p.parent.name[len("trial_") :] for p in root.glob("trial_*/checkpoint_*")}


@pytest.mark.parametrize("policy, expected", [("front", {"a", "c"}), ("all", {"a", "b", "c", "d"}), ("none", set())])
def test_policy_keeps_exactly_its_trials(tmp_path, policy, expected):
    trials = _trials(tmp_path)
    assert kept(trials, policy, OBJECTIVES) == expected
    prune(trials, policy, OBJECTIVES)
    assert _with_weights(tmp_path) == expected | {"f"}  # the running trial keeps its resume checkpoint
    assert all((tmp_path / f"trial_{t.trial_id}" / "result.json").exists() for t in trials)  # results stay


def test_callback_prunes_as_trials_end_and_counts_the_one_completing(tmp_path):
    trials = _trials(tmp_path)
    newcomer = trials[-1]
    newcomer.last_result = {"unseen_lrl": 0.42, "n_languages": 4, "phase": "final"}  # dominates a, not c
    callback = KeepModels("front", OBJECTIVES)
    callback.on_trial_complete(0, trials, newcomer)  # Ray calls back before marking it TERMINATED
    assert _with_weights(tmp_path) == {"c", "f"}
    assert callback.__getstate__()["_pruned"] == set()  # pickled into tuner.pkl without its memory


def test_keep_models_is_validated_and_defaults_to_front():
    assert parse_search_config({}).search.keep_models == "front"
    assert parse_search_config({"search": {"keep_models": "none"}}).search.keep_models == "none"
    with pytest.raises(ConfigError) as err:
        parse_search_config({"search": {"keep_models": "best"}})
    assert "search.keep_models" in str(err.value) and "front, all, none" in str(err.value)


def test_an_infeasible_trial_neither_keeps_weights_nor_displaces_a_feasible_one(tmp_path):
    trials = _trials(tmp_path)
    trials[2].last_result["wall_s"] = 50.0  # c breaks max_wall_s = 30
    trials[1].last_result["wall_s"] = 10.0
    newcomer = trials[-1]  # dominates every finished trial, but costs too much
    newcomer.last_result = {"unseen_lrl": 0.60, "n_languages": 2, "phase": "final", "wall_s": 31.0}
    assert kept(trials, "front", OBJECTIVES, completed=newcomer) == {"f"}  # uncapped, a would lose its weights
    assert kept(trials, "front", OBJECTIVES, completed=newcomer, limits=(("wall_s", 30.0),)) == {"a"}
