"""One interface over the embedded tiny world and the real stack, so trainables cannot tell them apart.

See docs/ARCHITECTURE.md ("Worlds") for the dataset schemas every World must honour.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import datasets
from transformers import PreTrainedTokenizerBase

from spaces.errors import ConfigError
from spaces.vocab import TINY_MODEL, WORLDS


@runtime_checkable
class World(Protocol):
    """Data and a pretrained encoder for one (world, model) pair."""

    name: str

    def tokenizer(self) -> PreTrainedTokenizerBase: ...

    def model_path(self) -> str: ...

    def parallel(self, lang: str) -> datasets.Dataset: ...

    def parallel_languages(self) -> list[str]: ...

    def task(self, task: str, lang: str, split: str) -> datasets.Dataset: ...

    def task_languages(self, task: str) -> list[str]: ...


def get_world(name: str, model: str = TINY_MODEL, **options: object) -> World:
    """The world called ``name``; imports lazily so the tiny world never loads the real registry."""
    if name == "tiny":
        from trainables.tinyworld import load_world

        return load_world(**options)  # type: ignore[arg-type]
    if name == "real":
        from trainables.real import RealWorld

        return RealWorld(model=model, **options)  # type: ignore[arg-type]
    raise ConfigError("experiment.world", f"unknown world {name!r}", WORLDS)
