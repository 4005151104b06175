"""The engine that runs a sweep's trials: what ``run`` and ``resume`` hand a planned sweep to.

An engine is a module with

* ``run(cfg, target, space, *, save, trainable=None, num_cpus=None, verbose=1, progress=True)``: start,
  call ``save()`` once the run folder may be written, run every trial, return the results;
* ``resume(run_dir, cfg, space, *, address=None, restart_errored=False, trainable=None, num_cpus=None)``,
  and ``num_samples`` where the engine can extend a sweep (``resume --num-samples``);

both return a sequence of results whose items carry ``error`` (None when the trial finished). Ray Tune
(``search.engines.ray_tune``) runs any trainable, locally or on a cluster, with checkpoints, resume and
ASHA; the local engine (``search.engines.local``) runs the same searcher in-process for trainables that
answer in milliseconds. ``engine_for`` picks by ``search.engine`` (``auto``: local for
``spaces.vocab.CHEAP_TRAINABLES``).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from spaces.config import SearchConfig
from spaces.vocab import CHEAP_TRAINABLES

ENGINES = {"ray": "search.engines.ray_tune", "local": "search.engines.local"}


def engine_name(cfg: SearchConfig) -> str:
    """``search.engine``, with ``auto`` decided: in-process for the trainables that cost milliseconds."""
    if cfg.search.engine != "auto":
        return cfg.search.engine
    return "local" if cfg.experiment.trainable in CHEAP_TRAINABLES else "ray"


def engine_for(cfg: SearchConfig) -> ModuleType:
    """The engine that runs ``cfg``'s trials."""
    return importlib.import_module(ENGINES[engine_name(cfg)])


def engine_of_run(run_dir: str, cfg: SearchConfig) -> ModuleType:
    """The engine that started the sweep in ``run_dir`` (by the state it left, whatever the config says now:
    a folder from before ``search.engine`` existed ran under Ray)."""
    from search.engines.local import is_local_run

    return importlib.import_module(ENGINES["local" if is_local_run(run_dir) else "ray"])


def check_engine(cfg: SearchConfig, *, is_uri: bool, address: str | None) -> None:
    """Refuse what the local engine cannot do, before anything is created."""
    from spaces.errors import ConfigError

    if engine_name(cfg) != "local":
        return
    if is_uri:
        raise ConfigError("search.engine", "the local engine writes a local run folder, not a URI", ["ray"])
    if address not in (None, "local"):
        raise ConfigError("search.engine", f"the local engine runs in this process, not on {address!r}", ["ray"])
    trackers = [name for name in cfg.tracking.trackers if name != "tensorboard"]
    if trackers:  # Ray Tune's logger callbacks do the tracking; TensorBoard files are simply not written
        raise ConfigError(
            "search.engine",
            f"[tracking] {', '.join(trackers)} runs as Ray Tune logger callbacks, which the local engine "
            f'(chosen for the {cfg.experiment.trainable!r} trainable) does not have; set search.engine = "ray"',
            ["ray"],
        )
