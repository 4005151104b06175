"""Optuna's TPE (multivariate off, Optuna's defaults): the default for the strategy and lists encodings."""

from __future__ import annotations

import optuna


def make(seed: int) -> optuna.samplers.BaseSampler:
    return optuna.samplers.TPESampler(seed=seed)
