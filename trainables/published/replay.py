"""Replay the paper: a trial's result for a subset the paper measured, without training anything.

A subset is matched by its SET of canonical codes (order and code form do not matter), so a search that
samples ``most_uriel_en``'s 10 languages gets the paper's numbers for them. Several folders can hold the
same set (``most_uriel_40`` and ``most_uriel_en_40`` chose the same 40); their runs are pooled. Any other
subset is refused: a replay never invents a number (use the ``proxy`` trainable for that).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property

from spaces.catalog import load_catalog
from spaces.errors import ConfigError
from trainables.published.data import METHODS, OURS, Run, check_model, check_task, load_runs, result_metrics


@dataclass(frozen=True)
class SeedResult:
    """One published run's metrics (the result schema) for the replayed subset."""

    seed: int
    folder: str
    metrics: Mapping[str, float]


@dataclass(frozen=True)
class Replay:
    """A measured subset: per-run metrics and their mean over runs (seeds)."""

    model: str
    task: str
    method: str
    languages: tuple[str, ...]
    folders: tuple[str, ...]
    per_seed: tuple[SeedResult, ...]
    mean: Mapping[str, float]

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(r.seed for r in self.per_seed)


@dataclass(frozen=True)
class Measured:
    """One subset the paper measured for a (model, task, method): its languages (sorted canonical codes)
    and every run of it, whichever folders (strategies) and seeds ran it."""

    languages: tuple[str, ...]
    runs: tuple[Run, ...]

    @cached_property
    def scores(self) -> dict[str, float]:
        """Seed-mean score per ``<benchmark>/<code>``."""
        return mean_scores(self.runs)

    @cached_property
    def strategies(self) -> frozenset[str]:
        return frozenset(run.strategy for run in self.runs)

    @property
    def folders(self) -> tuple[str, ...]:
        return tuple(sorted({run.folder for run in self.runs}))


def measured_subsets(
    model: str, task: str, method: str = OURS, runs: Sequence[Run] | None = None
) -> tuple[Measured, ...]:
    """Every subset the paper ran for (model, task, method), in the order of its sorted languages, from
    the shipped runs (cached) or from ``runs``."""
    if runs is None:
        return _measured(model, task, method)
    return _group(runs, model, task, method)


@cache
def _measured(model: str, task: str, method: str) -> tuple[Measured, ...]:
    return _group(load_runs(), model, task, method)


def _group(runs: Iterable[Run], model: str, task: str, method: str) -> tuple[Measured, ...]:
    found: dict[frozenset[str], list[Run]] = defaultdict(list)
    for run in runs:
        if (run.model, run.task, run.method) == (model, task, method):
            found[frozenset(run.languages)].append(run)
    return tuple(
        Measured(tuple(sorted(key)), tuple(group))
        for key, group in sorted(found.items(), key=lambda item: sorted(item[0]))
    )


@cache
def _by_subset(model: str, task: str, method: str) -> dict[frozenset[str], Measured]:
    return {frozenset(m.languages): m for m in measured_subsets(model, task, method)}


def measurement(model: str, task: str, languages: Iterable[str], method: str = OURS) -> Measured:
    """The paper's measurement of ``languages`` (any code form, in any order); a ConfigError naming the
    nearest measured subsets when it never ran that subset. ``method="baseline"`` (or no language)
    is fine-tuning without realignment."""
    model, task = check_model(model), check_task(task)
    if method not in METHODS:
        raise ConfigError("method", f"unknown method {method!r}", METHODS)
    codes = tuple(sorted(load_catalog().resolve(languages)))
    if not codes or method == "baseline":
        codes, method = (), "baseline"
    found = _by_subset(model, task, method).get(frozenset(codes))
    if found is None:
        raise ConfigError(
            "languages", _no_measurement(codes, measured_subsets(model, task, method), model, task, method)
        )
    return found


def mean_scores(runs: Iterable[Run]) -> dict[str, float]:
    """Per-benchmark score averaged over the runs that report it."""
    sums: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        for key, value in run.scores.items():
            sums[key].append(value)
    return {key: math.fsum(vals) / len(vals) for key, vals in sums.items()}


def replay(
    model: str,
    task: str,
    languages: Iterable[str],
    method: str = OURS,
    targets: Iterable[str] = (),
    sweep_pool: Iterable[str] = (),
) -> Replay:
    """The paper's result for ``languages`` (any code form); a ConfigError if it never ran that subset.

    ``method="baseline"`` (or an empty ``languages``) replays fine-tuning without realignment.
    ``sweep_pool`` fixes the ``heldout`` group (``trainables.metrics.aggregate``).
    """
    found = measurement(model, task, languages, method)
    model, task, codes = check_model(model), check_task(task), found.languages
    targets = tuple(load_catalog().resolve(targets, "targets"))
    scored = {"model": model, "sweep_pool": tuple(sweep_pool)}
    per_seed = tuple(
        SeedResult(run.seed, run.folder, result_metrics(run.scores, task, codes, targets, **scored))
        for run in sorted(found.runs, key=lambda r: (r.seed, r.folder))
    )
    return Replay(
        model=model,
        task=task,
        method="baseline" if not codes else method,
        languages=codes,
        folders=found.folders,
        per_seed=per_seed,
        mean=result_metrics(found.scores, task, codes, targets, **scored),
    )


def _no_measurement(codes: tuple[str, ...], subsets: Sequence[Measured], model: str, task: str, method: str) -> str:
    """Why a subset cannot be replayed, naming the closest measured subsets (same size first, overlap)."""
    want = set(codes)

    def closeness(measured: Measured) -> tuple[int, int, str]:
        subset = set(measured.languages)
        return (abs(len(subset) - len(want)), -len(subset & want), measured.runs[0].folder)

    nearest = sorted(subsets, key=closeness)[:3]
    named = "; ".join(
        f"{m.runs[0].folder} ({len(m.languages)} languages, {len(set(m.languages) & want)} shared)" for m in nearest
    )
    return (
        f"the paper published no {method} measurement for this subset of {len(codes)} languages with "
        f"{model} on {task}; nearest measured subsets: {named}. Use the 'proxy' trainable to score "
        "unmeasured subsets"
    )
