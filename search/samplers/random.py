"""Optuna's random sampler: the baseline every other sampler should beat."""

from __future__ import annotations

import optuna


def make(seed: int) -> optuna.samplers.BaseSampler:
    return optuna.samplers.RandomSampler(seed=seed)
