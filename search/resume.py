"""Continue an interrupted sweep from its run directory alone.

The engine restores its saved state (for Ray Tune: the trial table and the pickled Optuna searcher,
written together at every controller step), so finished trials keep their results and are not run
again, unfinished ones continue under their original trial id from their checkpoint, and the sampler
goes on from the study it had.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from search.engines import engine_of_run
from search.plan import check_address
from search.run_files import check_run_dir, load_saved_config, normalise_run_dir, run_info
from spaces.config import SearchConfig, SearchSpace
from spaces.errors import ConfigError


def resume_sweep(
    run_dir: str,
    *,
    address: str | None = None,
    restart_errored: bool = False,
    cfg: SearchConfig | None = None,
    space: SearchSpace | None = None,
    trainable: Callable[[dict], Any] | None = None,
    num_cpus: int | None = None,
    num_samples: int | None = None,
):
    """Restore and finish the sweep in ``run_dir``; returns the engine's results (Ray's ``ResultGrid``).

    ``restart_errored`` re-runs trials that had failed (from scratch); by default they stay failed and
    keep their error. ``address`` overrides where Ray runs (default: where the sweep ran).
    ``num_samples`` extends the sweep to that many trials in all (finished or not): the Optuna study goes
    on from every trial it was told, and the saved config records the new total.
    """
    run_dir = normalise_run_dir(run_dir)
    check_run_dir(run_dir)
    cfg = cfg if cfg is not None else load_saved_config(run_dir)
    address = address if address is not None else run_info(run_dir).get("address")
    check_address(address)
    if num_samples is not None:
        cfg = extended_config(run_dir, cfg, num_samples)
    return engine_of_run(run_dir, cfg).resume(
        run_dir,
        cfg,
        space or SearchSpace(cfg),
        address=address,
        restart_errored=restart_errored,
        trainable=trainable,
        num_cpus=num_cpus,
        **({"num_samples": num_samples} if num_samples is not None else {}),
    )


def extended_config(run_dir: str, cfg: SearchConfig, num_samples: int) -> SearchConfig:
    """``cfg`` with ``num_samples`` trials, saved into the run folder (what ``report`` and a later
    ``resume`` read); refused unless it is at least the sweep's current total."""
    from dataclasses import replace

    from search.run_files import save_config

    if num_samples < cfg.search.num_samples:
        raise ConfigError(
            "--num-samples",
            f"{num_samples} is fewer than the {cfg.search.num_samples} trials the sweep already has; "
            "it is the new total, not the number to add",
            [f">= {cfg.search.num_samples}"],
        )
    cfg = replace(cfg, search=replace(cfg.search, num_samples=num_samples))
    save_config(run_dir, cfg)
    return cfg
