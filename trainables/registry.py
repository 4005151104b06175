"""Trainables by name, so a search config can pick its fidelity without importing them all.

The names are ``spaces.vocab.TRAINABLES``; each is the module ``trainables.units.<name>``, imported only
when asked for (like Ray Tune's searcher registry), so the proxy never loads torch and a sweep never
loads a trainable it does not run. Every unit honours one result contract (``trainables.units``): the
search cannot tell a replayed or predicted score from a trained one, which is what makes multi-fidelity
search (proxy first, confirm with real trials) possible.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

from spaces.errors import ConfigError
from spaces.vocab import TRAINABLES


def get_unit(name: str) -> ModuleType:
    """The module of trainable ``name``: ``trainable(config)`` for Ray, ``result(config)`` without."""
    if name not in TRAINABLES:
        raise ConfigError("experiment.trainable", f"unknown trainable {name!r}", TRAINABLES)
    return importlib.import_module(f"trainables.units.{name}")


def get_trainable(name: str) -> Callable[[dict], None]:
    """The Ray Tune function trainable called ``name``."""
    return get_unit(name).trainable
