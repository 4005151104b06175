"""The ``realign`` Ray Tune function trainable: ``run_trial`` wired to Tune's report and checkpoints.

Every report (after realignment, after each fine-tuning epoch) carries a checkpoint; when Tune restarts
a failed trial it hands the latest one back through ``ray.tune.get_checkpoint()`` and the trial
continues from it (same phase, step and epoch, same weights and optimiser state) instead of starting
over. Keep ``CheckpointConfig(num_to_keep=1)`` in the driver: each checkpoint holds full weights.
"""

from __future__ import annotations

from pathlib import Path

from spaces.trial_config import TrialConfig
from trainables.trial import run_trial


def tune_trial(config: dict, world=None) -> dict:
    """Run ``config`` (a ``TrialConfig.to_dict()``) inside a Tune session; ``world`` is for tests."""
    from ray import tune

    trial = TrialConfig.from_dict(config)

    def report(metrics: dict, checkpoint_dir: Path | None) -> None:
        checkpoint = tune.Checkpoint.from_directory(checkpoint_dir) if checkpoint_dir else None
        tune.report(metrics, checkpoint=checkpoint)  # persists the directory before returning

    checkpoint = tune.get_checkpoint()
    if checkpoint is None:
        return run_trial(trial, report, world=world)
    with checkpoint.as_directory() as directory:
        return run_trial(trial, report, resume_from=Path(directory), world=world)


def realign_trainable(config: dict) -> None:
    """Ray Tune function trainable taking ``TrialConfig.to_dict()`` (see ``trainables.registry``)."""
    tune_trial(config)
