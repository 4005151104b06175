"""Trainables by name, so a search config can pick its fidelity without importing them all.

Every trainable is a Ray Tune *function trainable* taking a ``TrialConfig.to_dict()`` and reporting the
metrics of ``trainables.metrics`` — the search cannot tell a replayed or predicted score from a trained
one, which is what makes multi-fidelity search (proxy first, confirm with real trials) possible.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from spaces.errors import ConfigError

TRAINABLES: dict[str, str] = {
    "realign": "trainables.trainable:realign_trainable",      # trains: tiny world (CPU) or real stack
    "published": "trainables.published:published_trainable",  # replays the paper's measurements
    "proxy": "trainables.proxy:proxy_trainable",              # predicts from published results, ms/trial
}


def get_trainable(name: str) -> Callable[[dict], None]:
    if name not in TRAINABLES:
        raise ConfigError("experiment.trainable", f"unknown trainable {name!r}", TRAINABLES)
    module, attr = TRAINABLES[name].split(":")
    return getattr(importlib.import_module(module), attr)
