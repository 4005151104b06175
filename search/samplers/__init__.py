"""Optuna samplers by name: one module per sampler, found by its name (``search.samplers.<name>``).

Each module has ``make(seed) -> optuna.samplers.BaseSampler`` (and ``constraints_func=`` where the
sampler honours Optuna constraints); the names a search space may use are
``spaces.vocab.SAMPLERS``. A new sampler is a module here and a name there, nothing else: modules are
imported only when chosen (like Ray Tune's searcher registry), so one sampler's optional dependency
never burdens the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from spaces.config import SearchConfig

if TYPE_CHECKING:
    import optuna


def make_sampler(cfg: SearchConfig, constraints_func: Callable | None = None) -> optuna.samplers.BaseSampler:
    """The configured sampler (``search.sampler``), seeded with ``search.seed``; ``constraints_func`` (the
    space's cost caps, ``search.engines.outcomes``) goes to samplers that take one (``make(seed,
    constraints_func=...)``), and only when there is one, so a sampler without constraints needs no
    such argument."""
    module = importlib.import_module(f"{__name__}.{cfg.search.sampler}")
    if constraints_func is None:
        return module.make(seed=cfg.search.seed)
    return module.make(seed=cfg.search.seed, constraints_func=constraints_func)
