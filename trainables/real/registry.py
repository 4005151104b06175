"""The dataset registry of the real stack, parsed from ``sources.toml``.

Ids, file layouts, split names, column names, label orders and language codes are data (the TOML), so
fixing a hub change is a one-line edit there; this module only turns the table into typed records and
answers "which source serves this language" with the catalog's canonical codes.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from spaces.catalog import ENGLISH, load_catalog
from spaces.errors import ConfigError

CONFIG_STYLES = ("code", "sorted_pair")


@dataclass(frozen=True)
class Source:
    """One dataset: where its files are and how they map onto a World schema. ``name`` is also its
    benchmark's name in the result schema (``bench/<name>/<code>``)."""

    name: str
    task: str
    dataset: str
    remote: str
    local: str
    format: str
    config: str
    files: str
    splits: Mapping[str, str]
    columns: Mapping[str, str]
    languages: Mapping[str, str]  # canonical catalog code -> the source's own code
    english: str | None = None
    labels: tuple[str, ...] = ()
    label_map: Mapping[str, str] = field(default_factory=dict)
    read: Mapping[str, Any] = field(default_factory=dict)  # extra load_dataset options (builder config)
    fields: tuple[str, ...] = ()  # format "tsv": the name of each tab-separated field

    def code_for(self, lang: str) -> str:
        """The source's code for a canonical code; English only where the source declares it."""
        if lang == ENGLISH and self.english is not None:
            return self.english
        if lang not in self.languages:
            raise ConfigError(
                "language", f"{self.name} ({self.dataset}) has no data for {lang!r}", self.canonical_languages()
            )
        return self.languages[lang]

    def canonical_languages(self) -> list[str]:
        """Canonical codes this source serves, English first when it has an English side."""
        langs = list(self.languages)
        if self.english is not None and ENGLISH not in langs:
            langs.insert(0, ENGLISH)
        return langs

    def config_for(self, lang: str) -> tuple[str, dict[str, str]]:
        """The source's config name for a language and the placeholders its templates may use."""
        code = self.code_for(lang)
        values = {"code": code, "english": self.english or ""}
        if self.config == "sorted_pair":
            if self.english is None:
                raise ValueError(f"source {self.name}: a pair config needs `english`")
            pair0, pair1 = sorted((self.english, code))
            values |= {"pair0": pair0, "pair1": pair1, "config": f"{pair0}-{pair1}"}
        else:
            values["config"] = code
        return values["config"], values

    def split_name(self, split: str) -> str:
        if split not in self.splits:
            raise ConfigError("split", f"{self.name} ({self.dataset}) has no {split!r} split", list(self.splits))
        return self.splits[split]


@dataclass(frozen=True)
class Registry:
    """All sources and, per task, the order in which they are asked for a language."""

    sources: Mapping[str, Source]
    tasks: Mapping[str, tuple[str, ...]]

    def source(self, name: str) -> Source:
        if name not in self.sources:
            raise ConfigError("source", f"unknown dataset source {name!r}", sorted(self.sources))
        return self.sources[name]

    def task_sources(self, task: str) -> list[Source]:
        if task not in self.tasks:
            raise ConfigError("task", f"unknown task {task!r}", [t for t in self.tasks if t != "parallel"])
        return [self.sources[name] for name in self.tasks[task]]

    def languages(self, task: str) -> list[str]:
        """Canonical codes covered by any source of ``task``, in catalog order (English is the pivot of
        parallel data, not one of its languages)."""
        covered = {lang for src in self.task_sources(task) for lang in src.canonical_languages()}
        if task == "parallel":
            covered.discard(ENGLISH)
        return [code for code in load_catalog().codes() if code in covered]

    def with_order(self, overrides: Mapping[str, list[str]] | None) -> Registry:
        """A registry whose task precedence follows ``overrides`` (task -> source names)."""
        if not overrides:
            return self
        tasks = dict(self.tasks)
        for task, names in overrides.items():
            allowed = [s.name for s in self.task_sources(task)]
            for name in names:
                if name not in allowed:
                    raise ConfigError(f"sources.{task}", f"{name!r} is not a {task} source", allowed)
            tasks[task] = tuple(names)
        return Registry(self.sources, tasks)


def _source(name: str, raw: dict[str, Any], task: str) -> Source:
    catalog = load_catalog()
    languages = dict(raw.get("languages", {}))
    for code in languages:
        if code not in catalog or catalog.get(code).code != code:
            raise ValueError(f"sources.toml: {name} maps {code!r}, which is not a canonical catalog code")
    if (raw["format"] == "tsv") != bool(raw.get("fields")):
        raise ValueError(f'sources.toml: {name}: `fields` goes with format = "tsv", and only with it')
    if raw["config"] not in CONFIG_STYLES:
        raise ValueError(f"sources.toml: {name}.config must be one of {CONFIG_STYLES}")
    return Source(
        name=name,
        task=task,
        dataset=raw["dataset"],
        remote=raw["remote"],
        local=raw["local"],
        format=raw["format"],
        config=raw["config"],
        files=raw["files"],
        splits=dict(raw["splits"]),
        columns=dict(raw["columns"]),
        languages=languages,
        english=raw.get("english"),
        labels=tuple(raw.get("labels", ())),
        label_map=dict(raw.get("label_map", {})),
        read=dict(raw.get("read", {})),
        fields=tuple(raw.get("fields", ())),
    )


def parse_registry(text: str) -> Registry:
    raw = tomllib.loads(text)
    tasks = {task: tuple(names) for task, names in raw["tasks"].items()}
    task_of = {name: task for task, names in tasks.items() for name in names}
    unknown = set(task_of) - set(raw["source"])
    if unknown:
        raise ValueError(f"sources.toml: [tasks] names undefined sources {sorted(unknown)}")
    sources = {name: _source(name, body, task_of.get(name, "")) for name, body in raw["source"].items()}
    return Registry(sources=sources, tasks=tasks)


@lru_cache(maxsize=1)
def load_registry() -> Registry:
    """The packaged registry, parsed once per process."""
    return parse_registry(resources.files("trainables.real").joinpath("sources.toml").read_text("utf-8"))
