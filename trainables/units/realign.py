"""The ``realign`` trainable: a trained trial (``trainables.trial.run_trial``) wired to Tune's report and
checkpoints.

Every report (after realignment, after each fine-tuning epoch) carries a checkpoint; when Tune restarts
a failed trial it hands the latest one back through ``ray.tune.get_checkpoint()`` and the trial
continues from it (same phase, step and epoch, same weights and optimiser state) instead of starting
over. Keep ``CheckpointConfig(num_to_keep=1)`` in the driver: each checkpoint holds full weights.

Two faults are turned into something the driver can act on:

- a full disk while Ray copies a checkpoint into the run directory becomes ``DiskFullError`` naming the
  trial's directory, and the driver stops the sweep (``search.disk_full``);
- a checkpoint Tune hands back that cannot be read, or none handed back where the trial's folder holds
  some (the disk filled between Ray writing a checkpoint and saving the state that names it), gives way
  to the newest readable checkpoint in that folder (``trainables.checkpoints``), so the trial goes on
  from its last good checkpoint; with none readable it starts over.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

from spaces.errors import as_disk_full
from spaces.trial_config import TrialConfig
from trainables.checkpoints import checkpoint_candidates, trial_storage
from trainables.cost import TrialClock, with_cost
from trainables.trial import UnreadableCheckpoint, run_trial


def tune_trial(config: dict, world=None) -> dict:
    """Run ``config`` (a ``TrialConfig.to_dict()``) inside a Tune session; ``world`` is for tests."""
    from ray import tune

    trial = TrialConfig.from_dict(config)
    clock = TrialClock()

    def report(metrics: dict, checkpoint_dir: Path | None) -> None:
        checkpoint = tune.Checkpoint.from_directory(checkpoint_dir) if checkpoint_dir else None
        try:
            tune.report({**metrics, **clock.cost()}, checkpoint=checkpoint)  # persists the directory before returning
        except Exception as err:
            located = trial_storage()
            full = as_disk_full(err, located[1] if located else "the trial's run directory")
            if full is None:
                raise
            raise full from err

    handed = tune.get_checkpoint()
    for candidate in checkpoint_candidates(handed):
        with ExitStack() as stack:
            try:
                directory = Path(stack.enter_context(candidate.as_directory()))
            except OSError as err:  # listed but gone, or a download that failed
                if as_disk_full(err, candidate.path) is not None:
                    raise
                _skip(candidate, err)
                continue
            try:
                return run_trial(trial, report, resume_from=directory, world=world)
            except UnreadableCheckpoint as err:
                _skip(candidate, err)
    if handed is not None:
        print("realign-search: no readable checkpoint; the trial starts over", file=sys.stderr)
    return run_trial(trial, report, world=world)


def _skip(candidate, err: BaseException) -> None:
    print(f"realign-search: skipping checkpoint {candidate.path}: {err}", file=sys.stderr)


@with_cost
def result(config: dict, world=None) -> dict:
    """The trial's final metrics, trained in-process without Ray (``world`` is for tests)."""
    return run_trial(TrialConfig.from_dict(config), world=world)


def trainable(config: dict) -> None:
    """Ray Tune function trainable taking ``TrialConfig.to_dict()`` (see ``trainables.units``)."""
    tune_trial(config)
