"""Optuna's TPE (multivariate off, Optuna's defaults): the default sampler."""

from __future__ import annotations

from collections.abc import Callable

import optuna


def make(seed: int, constraints_func: Callable | None = None) -> optuna.samplers.BaseSampler:
    return optuna.samplers.TPESampler(seed=seed, constraints_func=constraints_func)
