"""The dataset schema every World honours (docs/ARCHITECTURE.md, "Worlds"), defined once.

The tiny world generates data in it and the real loaders normalise every source into it, so the
trainables read either without knowing which world they are in.
"""

from __future__ import annotations

from datasets import ClassLabel, Features, List, Value

from spaces.vocab import TOKEN_TASKS
from trainables.labels import LABELS

PARALLEL_FEATURES = Features({"src": Value("string"), "tgt": Value("string")})


def task_features(task: str) -> Features:
    """``tokens``/``tags`` for token tasks, ``premise``/``hypothesis``/``label`` for NLI."""
    names = list(LABELS[task])
    if task in TOKEN_TASKS:
        return Features({"tokens": List(Value("string")), "tags": List(ClassLabel(names=names))})
    return Features({"premise": Value("string"), "hypothesis": Value("string"), "label": ClassLabel(names=names)})
