"""A trial's costs as the search sees them: Optuna user attributes, per-trial caps, feasibility.

Trials report their costs (``spaces.vocab.COSTS``; ``trainables.cost`` measures ``wall_s``, ``gpu_s``
and ``gpu_hours``). ``search.max_gpu_hours`` / ``search.max_wall_s`` cap them per trial: the engine sets
``cost - cap`` as an Optuna constraint of each trial (``Trial.set_constraint``; feasible when <= 0), so
TPE and NSGA-II steer away from infeasible trials and ``study.best_trials`` leaves them out; the report
(``search.report_cost``) marks them infeasible and keeps them off the front (``infeasible``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from spaces.config import SearchConfig
from spaces.vocab import COSTS


def cost_attributes(result: Mapping[str, Any] | None) -> dict[str, float]:
    """The finite costs of ``result``, as the trial's Optuna user attributes."""
    out = {}
    for name in COSTS:
        value = (result or {}).get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out[name] = float(value)
    return out


def cost_limits(cfg: SearchConfig) -> tuple[tuple[str, float], ...]:
    """The per-trial caps the space sets (0 = none): ``(cost, limit)`` pairs."""
    caps = (("gpu_hours", cfg.search.max_gpu_hours), ("wall_s", cfg.search.max_wall_s))
    return tuple((name, float(limit)) for name, limit in caps if limit > 0)


def infeasible(result: Mapping[str, Any], limits: tuple[tuple[str, float], ...]) -> list[str]:
    """The caps ``result`` breaks, as ``gpu_hours=0.31 > 0.25`` (empty when feasible)."""
    costs = cost_attributes(result)
    return [f"{name}={costs[name]:.4g} > {limit:g}" for name, limit in limits if costs.get(name, 0.0) > limit]
