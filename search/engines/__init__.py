"""The engine that runs a sweep's trials: what ``run`` and ``resume`` hand a planned sweep to.

An engine is a module with

* ``run(cfg, target, space, *, save, trainable=None, num_cpus=None, verbose=1, progress=True)``: start,
  call ``save()`` once the run folder may be written, run every trial, return the results;
* ``resume(run_dir, cfg, space, *, address=None, restart_errored=False, trainable=None, num_cpus=None)``,
  and ``num_samples`` where the engine can extend a sweep (``resume --num-samples``);

both return a sequence of results whose items carry ``error`` (None when the trial finished). Ray Tune
(``search.engines.ray_tune``) is the one engine today: it runs any trainable, locally or on a cluster,
with checkpoints, resume and ASHA. ``engine_for`` is where a sweep would pick another one (an in-process
loop for trainables that cost milliseconds, say) by its config.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from spaces.config import SearchConfig

ENGINES = {"ray_tune": "search.engines.ray_tune"}


def engine_for(cfg: SearchConfig) -> ModuleType:
    """The engine that runs ``cfg``'s trials."""
    return importlib.import_module(ENGINES["ray_tune"])
