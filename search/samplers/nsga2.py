"""Optuna's NSGA-II: a genetic algorithm for multi-objective search (population 50 by default)."""

from __future__ import annotations

from collections.abc import Callable

import optuna


def make(seed: int, constraints_func: Callable | None = None) -> optuna.samplers.BaseSampler:
    return optuna.samplers.NSGAIISampler(seed=seed, constraints_func=constraints_func)
