"""Optuna's NSGA-II: a genetic algorithm for multi-objective search (population 50 by default)."""

from __future__ import annotations

import optuna


def make(seed: int) -> optuna.samplers.BaseSampler:
    return optuna.samplers.NSGAIISampler(seed=seed)
