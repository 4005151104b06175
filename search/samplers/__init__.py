"""Optuna samplers by name: one module per sampler, found by its name (``search.samplers.<name>``).

Each module has ``make(seed) -> optuna.samplers.BaseSampler``, or ``for_space(cfg)`` when the sampler
needs the space itself (``subset``: the free languages, bounds, objectives and targets); the names a
search space may use are ``spaces.vocab.SAMPLERS``. A new sampler is a module here and a name there,
nothing else: modules are imported only when chosen (like Ray Tune's searcher registry), so one
sampler's optional dependency never burdens the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from spaces.config import SearchConfig

if TYPE_CHECKING:
    import optuna


def make_sampler(cfg: SearchConfig) -> optuna.samplers.BaseSampler:
    """The configured sampler (``search.sampler``), seeded with ``search.seed``."""
    module = importlib.import_module(f"{__name__}.{cfg.search.sampler}")
    if hasattr(module, "for_space"):
        return module.for_space(cfg)
    return module.make(seed=cfg.search.seed)
