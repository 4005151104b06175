"""``RealWorld``: the World interface over the real datasets and mBERT / XLM-R.

Language codes in and out are canonical catalog codes; the registry translates them to each source's
own codes. Parallel corpora are streamed once up to ``max_pairs`` pairs and kept as parquet in the cache,
so a second trial (or a second process) reads a local file instead of the hub.

A language that two benchmarks cover in a task (Swahili in MasakhaNER 2.0 and WikiANN) is served by the
first in the registry's precedence order, and the other stays readable by name: ``task_benchmarks`` lists
them, ``task(..., benchmark=...)`` reads one, and the trial reports each as ``bench/<benchmark>/<code>``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import datasets
from transformers import PreTrainedTokenizerBase

from spaces.catalog import ENGLISH, load_catalog
from spaces.errors import ConfigError
from spaces.vocab import SPLITS, TASKS
from trainables.real.loading import data_files, normalise_task, parallel_pairs, read_split
from trainables.real.models import load_tokenizer, local_model_dir, random_init_dir, real_model_id
from trainables.real.registry import Registry, Source, load_registry
from trainables.schema import PARALLEL_FEATURES

DATA_DIR_ENV = "REALIGN_SEARCH_DATA_DIR"
RANDOM_INIT_ENV = "REALIGN_SEARCH_RANDOM_INIT"
DEFAULT_MAX_PAIRS = 400_000  # >= the paper's 24,544 steps x 16 pairs, even with one language


class RealWorld:
    """Data and a pretrained encoder for one real model (see docs/ARCHITECTURE.md, "Worlds").

    ``data_dir`` (default ``$REALIGN_SEARCH_DATA_DIR``, else the hub) is a local mirror with each source's
    hub layout; ``random_init`` (default ``$REALIGN_SEARCH_RANDOM_INIT``) swaps the pretrained weights for
    a seeded random model of the same architecture; ``sources`` reorders a task's sources (task -> names);
    ``max_pairs`` caps each language's parallel corpus; ``model_overrides`` shrink the random model.
    """

    name = "real"

    def __init__(
        self,
        model: str,
        data_dir: str | Path | None = None,
        cache_dir: str | Path | None = None,
        random_init: bool | None = None,
        *,
        tokenizer_dir: str | Path | None = None,
        max_pairs: int | None = DEFAULT_MAX_PAIRS,
        seed: int = 0,
        sources: Mapping[str, list[str]] | None = None,
        model_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self.model = real_model_id(model)
        data_dir = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV) or None
        if data_dir is not None and not Path(data_dir).is_dir():
            raise ConfigError("data_dir", f"{data_dir} is not a directory")
        if max_pairs is not None and max_pairs < 1:
            raise ConfigError("max_pairs", f"must be a positive number of pairs, got {max_pairs}")
        self.data_dir = None if data_dir is None else Path(data_dir)
        if cache_dir is None:
            from trainables.cache import cache_dir as default_cache_dir  # platformdirs only when needed

            cache_dir = default_cache_dir("real")
        self.cache_dir = Path(cache_dir)
        if random_init is None:  # trials build worlds as get_world(name, model): the env var reaches them
            random_init = os.environ.get(RANDOM_INIT_ENV, "").strip().lower() in {"1", "true", "yes", "on"}
        self.random_init = random_init
        self.tokenizer_dir = tokenizer_dir
        self.max_pairs = max_pairs
        self.seed = seed
        self.model_overrides = dict(model_overrides or {})
        self.registry: Registry = load_registry().with_order(sources)
        self._tokenizer: PreTrainedTokenizerBase | None = None

    # ------------------------------------------------------------------ model
    def tokenizer(self) -> PreTrainedTokenizerBase:
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.model, self.tokenizer_dir)
        return self._tokenizer

    def model_path(self) -> str:
        """A dir (random init or ``$REALIGN_SEARCH_MODEL_DIR/<model>``) or the hub id."""
        if self.random_init:
            root = self.cache_dir / "models"
            root.mkdir(parents=True, exist_ok=True)
            return str(random_init_dir(self.model, self.tokenizer(), root, self.seed, self.model_overrides))
        local = local_model_dir(self.model)
        if local is not None and (local / "config.json").exists():
            return str(local)
        return self.model

    # ------------------------------------------------------------------ parallel data
    def parallel_languages(self) -> list[str]:
        """Languages with pairs: the registry's, or with a ``data_dir`` those whose file is mirrored."""
        return [
            code
            for code in self.registry.languages("parallel")
            if self._has_files(self.parallel_source(code), code, "train")
        ]

    def _has_files(self, source: Source, lang: str, split: str) -> bool:
        """Always true for the hub; for a local mirror, whether the split's file is there."""
        if self.data_dir is None:
            return True
        try:
            data_files(source, lang, split, self.data_dir)
        except ConfigError:
            return False
        return True

    def parallel_source(self, lang: str) -> Source:
        """The source of ``lang``'s pairs: the catalog's (the paper's) choice when the registry has it."""
        catalog = load_catalog()
        code = catalog.get(lang).code
        candidates = self.registry.task_sources("parallel")
        preferred = catalog.get(code).parallel  # the paper's source for this language
        ordered = sorted(candidates, key=lambda s: s.name != preferred)
        for source in ordered:
            if code in source.languages:
                return source
        raise ConfigError("language", f"no parallel data for {lang!r}", self.registry.languages("parallel"))

    def parallel(self, lang: str) -> datasets.Dataset:
        """English-``lang`` pairs (``src`` English, ``tgt`` the translation), at most ``max_pairs``."""
        code = load_catalog().get(lang).code
        source = self.parallel_source(code)
        config, _ = source.config_for(code)
        origin = (
            "hub"
            if self.data_dir is None
            else "local-" + hashlib.sha1(str(self.data_dir.resolve()).encode()).hexdigest()[:10]
        )
        limit = "all" if self.max_pairs is None else str(self.max_pairs)
        target = self.cache_dir / "parallel" / origin / source.name / config / f"{limit}.parquet"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            rows = parallel_pairs(
                source, code, data_dir=self.data_dir, cache_dir=self.cache_dir / "hf", limit=self.max_pairs
            )
            partial = target.with_suffix(".partial")
            datasets.Dataset.from_list(rows, features=PARALLEL_FEATURES).to_parquet(str(partial))
            partial.replace(target)
        return datasets.Dataset.from_parquet(
            str(target), features=PARALLEL_FEATURES, cache_dir=str(self.cache_dir / "hf")
        )

    # ------------------------------------------------------------------ task data
    def task_languages(self, task: str) -> list[str]:
        """Languages with a test set: the registry's, or with a ``data_dir`` those mirrored there (so a
        partial mirror evaluates what it has; ``task()`` on a missing one still says what is missing)."""
        _check_task(task)
        return [code for code in self.registry.languages(task) if self.task_benchmarks(task, code)]

    def task_benchmarks(self, task: str, lang: str) -> list[str]:
        """The benchmarks (registry source names) with a ``lang`` test set, in precedence order: the
        first scores the language, the others are reported beside it. With a ``data_dir``, only those
        mirrored there."""
        code = load_catalog().get(lang).code
        return [source.name for source in self._candidates(task, code) if self._has_files(source, code, "test")]

    def _candidates(self, task: str, code: str) -> list[Source]:
        _check_task(task)
        return [source for source in self.registry.task_sources(task) if code in source.canonical_languages()]

    def task_source(self, task: str, lang: str, benchmark: str | None = None) -> Source:
        """The source that serves ``lang`` for ``task``: the named ``benchmark``, else the first in the
        task's precedence order (with a ``data_dir``, the first that is mirrored, if any is)."""
        code = load_catalog().get(lang).code
        candidates = self._candidates(task, code)
        if not candidates:
            raise ConfigError("language", f"no {task} test data for {lang!r}", self.registry.languages(task))
        if benchmark is not None:
            for source in candidates:
                if source.name == benchmark:
                    return source
            raise ConfigError(
                "benchmark", f"no {task} benchmark {benchmark!r} for {lang!r}", [source.name for source in candidates]
            )
        available = [source for source in candidates if self._has_files(source, code, "test")]
        return (available or candidates)[0]

    def task(self, task: str, lang: str, split: str, benchmark: str | None = None) -> datasets.Dataset:
        """A task split in the World schema, from ``benchmark`` or the language's first benchmark."""
        _check_task(task)
        if split not in SPLITS:
            raise ConfigError("split", f"unknown split {split!r}", SPLITS)
        code = load_catalog().get(lang).code
        if split != "test" and code != ENGLISH:
            raise ConfigError("split", f"{split} data exists for English only (asked for {lang!r})", ["test"])
        source = self.task_source(task, code, benchmark)
        raw = read_split(source, code, split, data_dir=self.data_dir, cache_dir=self.cache_dir / "hf")
        return normalise_task(raw, source, task)


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise ConfigError("task", f"unknown task {task!r}", TASKS)
