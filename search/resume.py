"""Continue an interrupted sweep from its run directory alone.

Ray's experiment checkpoint holds the trial table and the pickled Optuna searcher (study, sampler state,
the mapping of Ray trials to Optuna trials) written together at every controller step, so after a crash
``Tuner.restore`` brings both back consistently: finished trials keep their results and are not run
again, unfinished ones continue under their original trial id (from their checkpoint when the trainable
saved one) and are told to the same Optuna trial, and the sampler goes on from the study it had.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from search.driver import (
    CONFIG_JSON, EXPERIMENT_CHECKPOINT_PERIOD_S, RUN_INFO, SearchSpace, check_address, fit, is_uri,
    make_trainable, quiet_output, read_text, start_ray, sweep_callbacks,
)
from spaces.errors import ConfigError


def normalise_run_dir(run_dir: str | os.PathLike) -> str:
    text = str(run_dir)
    return text.rstrip("/") if is_uri(text) else str(Path(text).expanduser().resolve())


def check_run_dir(run_dir: str) -> None:
    """Refuse a path that is not a sweep Ray can restore (before Ray starts)."""
    from ray import tune

    if not is_uri(run_dir) and not Path(run_dir).is_dir():
        raise ConfigError("RUN_DIR", f"{run_dir!r} is not a directory; give the run directory `run` printed")
    try:
        ok = tune.Tuner.can_restore(run_dir)
    except Exception as err:  # unreadable remote stores raise pyarrow / OS errors
        raise ConfigError("RUN_DIR", f"{run_dir!r} cannot be read: {err}") from None
    if not ok:
        raise ConfigError("RUN_DIR", f"{run_dir!r} holds no Ray Tune experiment state (no tuner.pkl); "
                          "was the sweep started with `realign-search run`?")


def run_info(run_dir: str) -> dict[str, Any]:
    text = read_text(run_dir, RUN_INFO)
    return json.loads(text) if text else {}


def load_saved_config(run_dir: str) -> Any:
    """The SearchConfig the sweep ran with (CLI overrides included), from the run directory's JSON."""
    from spaces.config import parse_search_config

    text = read_text(run_dir, CONFIG_JSON)
    if text is None:
        raise ConfigError("RUN_DIR", f"{run_dir!r} has no {CONFIG_JSON}; it was not started by `realign-search run`")
    return parse_search_config(json.loads(text), source=f"{run_dir}/{CONFIG_JSON}")


def resume_sweep(run_dir: str, *, address: str | None = None, restart_errored: bool = False,
                 cfg: Any | None = None, space: SearchSpace | None = None,
                 trainable: Callable[[dict], Any] | None = None, num_cpus: int | None = None):
    """Restore and finish the sweep in ``run_dir``; returns Ray's ``ResultGrid``.

    ``restart_errored`` re-runs trials that had failed (from scratch); by default they stay failed and
    keep their error. ``address`` overrides where Ray runs (default: where the sweep ran).
    """
    from ray import tune

    from search.disk_full import guard_ray

    run_dir = normalise_run_dir(run_dir)
    check_run_dir(run_dir)
    cfg = cfg if cfg is not None else load_saved_config(run_dir)
    address = address if address is not None else run_info(run_dir).get("address")
    check_address(address)
    os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", EXPERIMENT_CHECKPOINT_PERIOD_S)
    quiet_output()
    start_ray(address, num_cpus=num_cpus)
    guard_ray()
    space = space or SearchSpace(cfg)
    tuner = tune.Tuner.restore(
        run_dir,
        trainable=make_trainable(cfg, space, trainable),
        resume_unfinished=True,
        resume_errored=False,
        restart_errored=restart_errored,
    )
    add_missing_callbacks(tuner, sweep_callbacks(cfg, space, progress=False))
    return fit(tuner, cfg, run_dir)


def add_missing_callbacks(tuner: Any, wanted: list) -> None:
    """The callbacks a sweep started by an older version lacks. A restored Tuner brings back the ones
    pickled into its ``tuner.pkl``; Ray has no public way to add more, hence its run config."""
    try:
        run_config = tuner._local_tuner.get_run_config()
    except AttributeError:  # a Ray whose Tuner is laid out differently: run without them
        return
    callbacks = list(run_config.callbacks or [])
    present = {type(c) for c in callbacks}
    run_config.callbacks = callbacks + [c for c in wanted if type(c) not in present]
