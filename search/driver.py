"""Plan and run one sweep: validation first, then the engine (Ray Tune + Optuna) runs the trials.

Order matters: everything a user can get wrong (the config, ``--address``, the storage path, a clash with
an existing run) is checked by ``plan_run`` before Ray starts or a run directory exists, so bad input
never leaves a half-made run behind. Only then does ``run_sweep`` start the engine, which creates the run
directory and saves the resolved search config into it -- ``resume`` and ``report`` need nothing but that
directory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from search.engines import engine_for
from search.engines.ray_tune import short_trial_dirname
from search.plan import RunTarget, plan_run
from search.run_files import save_run_files
from spaces.config import SearchConfig, SearchSpace

# Ray's state in run folders saved before this module was split refers to ``search.driver.SearchSpace``
# and ``search.driver.short_trial_dirname``: they stay importable from here.
__all__ = ["RunTarget", "SearchSpace", "plan_run", "prepare_shared_work", "run_sweep", "short_trial_dirname"]


def prepare_shared_work(cfg: SearchConfig) -> None:
    """Build the tiny world (first use only, with a progress bar) before trials start, instead of inside
    the first trials where it would be silent. On a cluster each node builds its own cached copy."""
    if cfg.experiment.trainable == "realign" and cfg.experiment.world == "tiny":
        from trainables.worlds import get_world

        get_world(cfg.experiment.world, model=cfg.experiment.model)


def run_sweep(
    cfg: SearchConfig,
    target: RunTarget,
    *,
    source_toml: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    space: SearchSpace | None = None,
    trainable: Callable[[dict], Any] | None = None,
    num_cpus: int | None = None,
    verbose: int = 1,
    progress: bool = True,
):
    """Run every trial of the planned sweep; returns the engine's results (Ray's ``ResultGrid``).

    ``target`` must come from ``plan_run`` (validation is not repeated here). A full disk ends it with
    ``DiskFullError`` (``search.disk_full``), the state saved before intact.
    """
    space = space or SearchSpace(cfg)
    if trainable is None and target.address is None:
        prepare_shared_work(cfg)
    info = {
        "name": target.name,
        "storage_path": target.storage_path,
        "address": target.address,
        "overrides": dict(overrides or {}),
    }
    return engine_for(cfg).run(
        cfg,
        target,
        space,
        trainable=trainable,
        num_cpus=num_cpus,
        verbose=verbose,
        progress=progress,
        save=lambda: save_run_files(target.run_dir, info, cfg, source_toml),
    )
