"""Shared fixtures. ``tiny_world`` builds the default tiny world at most once per test session (it is
cached on disk under ``trainables.cache.cache_dir``, so later sessions only load it)."""

from __future__ import annotations

import os

import pytest

# Nothing in the test suite may reach a model or dataset hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_world():
    """The default tiny world (seed 0), built on first use."""
    from trainables.tinyworld import load_world

    return load_world(0, progress=False)
