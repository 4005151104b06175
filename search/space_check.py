"""Refuse a sweep that cannot fit on its disk before it starts, instead of failing trial after trial.

The estimate (``SpaceEstimate``) counts checkpoints, the only large files of a sweep:

- each running trial keeps one resumable checkpoint (weights + Adam state, ``trainables.footprint``),
  and for a moment two: Ray writes the new checkpoint before it deletes the previous one;
- each finished trial that ``search.keep_models`` keeps holds its weights: every trial for ``"all"``,
  none for ``"none"``, and for ``"front"`` the Pareto front's -- at least one, at most every trial, which
  is the uncertain part.

A sweep is refused (ConfigError, exit 2, before Ray starts) when the free space at the storage path is
below what it needs for certain: one checkpoint per running trial plus the models it certainly keeps. It
is only warned about when free space is below the peak, which counts both checkpoints of every running
trial and the largest number of kept models. Every trial writes its checkpoint to the local temp folder
first, so a local sweep also needs room there for one per running trial.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

from spaces.config import ParamSpace, SearchConfig
from spaces.errors import ConfigError, free_bytes
from spaces.formats import format_bytes


@dataclass(frozen=True)
class SpaceEstimate:
    parameters: int
    resumable: int  # bytes of one running trial's checkpoint
    weights: int  # bytes of one kept model
    running: int  # trials that run at once
    kept_min: int  # finished trials that certainly keep their weights
    kept_max: int
    policy: str

    @property
    def needed(self) -> int:
        return self.running * self.resumable + self.kept_min * self.weights

    @property
    def peak(self) -> int:
        return 2 * self.running * self.resumable + self.kept_max * self.weights

    def describe(self, peak: bool) -> str:
        """The estimate spelled out: ``needed`` (peak=False) or ``peak``."""
        amount = self.peak if peak else self.needed
        kept = (
            f"up to {self.kept_max}"
            if peak and self.kept_max != self.kept_min
            else str(self.kept_max if peak else self.kept_min)
        )
        return (
            f"{format_bytes(amount)} ({self.running} running trial(s) x {2 if peak else 1} checkpoint(s) "
            f"of {format_bytes(self.resumable)} (weights + Adam state of {self.parameters:,} parameters) "
            f"+ {kept} kept model(s) x {format_bytes(self.weights)} with search.keep_models = "
            f'"{self.policy}")'
        )


def running_trials(cfg: SearchConfig, local: bool) -> int:
    """Trials that can run at once: the concurrency cap, the sample count and, locally, the CPUs."""
    s = cfg.search
    running = min(s.max_concurrent, s.num_samples)
    if local and s.cpus_per_trial > 0:
        running = min(running, max(1, int((os.cpu_count() or 1) // s.cpus_per_trial)))
    return max(1, running)


def estimate(cfg: SearchConfig, local: bool = True) -> SpaceEstimate | None:
    """The sweep's checkpoint footprint; None for trainables that write no checkpoints."""
    if cfg.experiment.trainable != "realign":
        return None
    from trainables.footprint import checkpoint_size, encoder_config

    modes = _values(cfg.realign, "mode")
    size = checkpoint_size(
        encoder_config(cfg.experiment.world, cfg.experiment.model),
        cfg.experiment.task,
        realign=modes != {"none"},
        joint="joint" in modes,
        proj_dim=max(int(v) for v in _values(cfg.realign, "proj_dim")),
    )
    n = cfg.search.num_samples
    kept = {"all": (n, n), "none": (0, 0), "front": (1, n)}[cfg.search.keep_models]
    return SpaceEstimate(
        size.parameters, size.resumable, size.weights, running_trials(cfg, local), *kept, cfg.search.keep_models
    )


def _values(space: ParamSpace, name: str) -> set:
    """Every value a hyperparameter may take: the fixed value, the choices, or a range's bounds."""
    return space.get(name).values()


def check_space(cfg: SearchConfig, storage_path: str, local: bool = True) -> str | None:
    """Raise ConfigError when the disk is clearly too small; return a warning when it may be."""
    from search.run_files import is_uri

    sweep = estimate(cfg, local)
    if sweep is None:
        return None
    if local:  # every checkpoint is written to the temp folder first, one per running trial at a time
        scratch, free = sweep.running * sweep.resumable, free_bytes(tempfile.gettempdir())
        if free is not None and free < scratch:
            raise ConfigError(
                "TMPDIR",
                f"the temp folder {tempfile.gettempdir()!r} has {format_bytes(free)} "
                f"free, but each of {sweep.running} running trial(s) writes a checkpoint of "
                f"{format_bytes(sweep.resumable)} there first; point TMPDIR at a larger disk "
                "or lower search.max_concurrent",
            )
    free = None if is_uri(storage_path) else free_bytes(storage_path)
    if free is None:
        return None
    to_fit = ["free space", "lower search.max_concurrent"]
    if sweep.policy != "none":
        to_fit.append(f'set search.keep_models = "none" (saves up to {format_bytes(sweep.kept_max * sweep.weights)})')
    if free < sweep.needed:
        raise ConfigError(
            "search.storage_path",
            f"{storage_path!r} has {format_bytes(free)} free, but the sweep "
            f"needs at least {sweep.describe(peak=False)}; to fit: {', '.join(to_fit)}",
        )
    if free < sweep.peak:
        return (
            f"{storage_path} has {format_bytes(free)} free and the sweep may need up to "
            f"{sweep.describe(peak=True)}. If the disk fills, the sweep stops and `realign-search resume` "
            f"continues it; to fit: {', '.join(to_fit)}"
        )
    return None
