"""Which ended trials keep their model weights (``search.keep_models``), and deleting the others'.

While a trial runs, its latest checkpoint holds weights and optimiser state, so a restarted or resumed
trial continues where it stopped. Once it has ended nothing resumes it, so its last checkpoint is only
worth its weights: the trainable writes the final one without optimiser state, and this module deletes
the checkpoints the policy does not keep:

- ``"front"``: the Pareto front's (by the sweep's objectives, over trials that finished). A trial is
  deleted as soon as a finished trial dominates it, since domination is for good: it can never return
  to the front. Everything still kept off the front goes at the end of the sweep (or of ``resume``);
- ``"all"``: every finished trial's;
- ``"none"``: nothing; a trial's checkpoints are deleted as soon as it ends.

Failed trials keep nothing under every policy: their checkpoint holds optimiser state, and ``resume
--restart-errored`` re-runs them from scratch. A trial ended early by ASHA is not finished (its score is
an intermediate one): ``"front"`` and ``"none"`` delete it, ``"all"`` keeps its last checkpoint as it is.
"""

from __future__ import annotations

import logging
import math
import shutil
from collections.abc import Sequence
from typing import Any

from ray.tune import Callback

from search.costs import infeasible
from search.pareto import pareto_front
from spaces.vocab import Objective
from trainables.checkpoints import CHECKPOINT_PREFIX

logger = logging.getLogger(__name__)


def finished(trial: Any, completed: Any = None) -> bool:
    """Ended normally with its final report. ``completed``: the trial Ray is calling back about as
    complete, which it has not marked TERMINATED yet."""
    ended = trial is completed or trial.status == "TERMINATED"
    return ended and (trial.last_result or {}).get("phase", "final") == "final"


def kept(
    trials: Sequence[Any],
    policy: str,
    objectives: Sequence[Objective],
    completed: Any = None,
    limits: tuple[tuple[str, float], ...] = (),
) -> set[str]:
    """Ids of the trials whose weights the policy keeps once they have ended. A trial over a cost cap
    (``limits``, ``search.costs``) is never on the front, so it neither keeps its weights under "front"
    nor takes a feasible trial's place there."""
    if policy == "all":
        return {t.trial_id for t in trials if t is completed or t.status == "TERMINATED"}
    if policy == "none":
        return set()
    done = [t for t in trials if finished(t, completed) and not infeasible(t.last_result or {}, limits)]
    points = [[_value(t, o.metric) for o in objectives] for t in done]
    return {done[i].trial_id for i in pareto_front(points, [o.mode for o in objectives])}


def _value(trial: Any, metric: str) -> float:
    value = (trial.last_result or {}).get(metric)
    return math.nan if not isinstance(value, (int, float)) or isinstance(value, bool) else float(value)


def prune(
    trials: Sequence[Any],
    policy: str,
    objectives: Sequence[Objective],
    completed: Any = None,
    skip: set[str] | frozenset[str] = frozenset(),
    limits: tuple[tuple[str, float], ...] = (),
) -> set[str]:
    """Delete the checkpoints of ended trials the policy does not keep; returns their ids.

    Only a trial's status says it has ended, so this must not run after Ray's clean-up marked the
    trials it stopped TERMINATED (``on_experiment_end``): the driver prunes at the end of a sweep from
    the state saved on disk instead (``prune_run``).
    """
    keep = kept(trials, policy, objectives, completed, limits)
    gone = set()
    for trial in trials:
        ended = trial is completed or trial.status in ("TERMINATED", "ERROR")
        if ended and trial.trial_id not in keep and trial.trial_id not in skip:
            delete_checkpoints(trial)
            gone.add(trial.trial_id)
    return gone


def prune_run(
    run_dir: str, policy: str, objectives: Sequence[Objective], limits: tuple[tuple[str, float], ...] = ()
) -> set[str]:
    """``prune`` over the trials of the sweep in ``run_dir``, as its saved state has them.

    Also frees the checkpoints of trial folders that state does not know: a trial started in the
    controller step whose state could not be saved (the disk was full) is started afresh, under a new
    id, by ``resume``; its old folder would otherwise hold a checkpoint for ever."""
    from pathlib import Path

    from ray.tune import ExperimentAnalysis

    from search.run_files import is_uri

    trials = ExperimentAnalysis(run_dir).trials
    gone = prune(trials, policy, objectives, limits=limits)
    if not is_uri(run_dir):
        known = {Path(t.path).name for t in trials}
        for folder in Path(run_dir).glob("trial_*"):
            if folder.name not in known:
                for checkpoint in folder.glob(f"{CHECKPOINT_PREFIX}*"):
                    shutil.rmtree(checkpoint, ignore_errors=True)
    return gone


def delete_checkpoints(trial: Any) -> int:
    """Delete every checkpoint folder of ``trial`` on its storage (local or remote); returns how many."""
    from pyarrow.fs import FileSelector, FileType

    storage = getattr(trial, "storage", None)
    if storage is None:
        return 0
    fs = storage.storage_filesystem
    try:
        infos = fs.get_file_info(FileSelector(trial.path, allow_not_found=True))
    except OSError:
        return 0
    count = 0
    for info in infos:
        if info.type == FileType.Directory and info.base_name.startswith(CHECKPOINT_PREFIX):
            try:
                fs.delete_dir(info.path)
                count += 1
            except OSError as err:  # never fail a sweep over housekeeping
                logger.warning("could not delete %s: %s", info.path, err)
    return count


class KeepModels(Callback):
    """Applies ``search.keep_models`` each time a trial ends (see ``prune`` for the end of a sweep)."""

    def __init__(
        self, policy: str, objectives: Sequence[Objective], limits: tuple[tuple[str, float], ...] = ()
    ) -> None:
        self.policy = policy
        self.objectives = list(objectives)
        self.limits = tuple(limits)
        self._pruned: set[str] = set()

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        limits = getattr(self, "limits", ())  # a callback pickled by an older version has none
        self._pruned |= prune(trials, self.policy, self.objectives, completed=trial, skip=self._pruned, limits=limits)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        limits = getattr(self, "limits", ())
        self._pruned |= prune(trials, self.policy, self.objectives, skip=self._pruned, limits=limits)

    def __getstate__(self) -> dict[str, Any]:  # pickled into tuner.pkl: start afresh on resume
        return {**self.__dict__, "_pruned": set()}
