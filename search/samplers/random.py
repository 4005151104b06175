"""Optuna's random sampler: the baseline every other sampler should beat."""

from __future__ import annotations

from collections.abc import Callable

import optuna


def make(seed: int, constraints_func: Callable | None = None) -> optuna.samplers.BaseSampler:
    """``constraints_func`` is accepted and not needed: random sampling learns nothing from feasibility
    (the report still leaves infeasible trials off the front)."""
    return optuna.samplers.RandomSampler(seed=seed)
