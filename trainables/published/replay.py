"""Replay the paper: a trial's result for a subset the paper measured, without training anything.

A subset is matched by its SET of canonical codes (order and code form do not matter), so a search that
samples ``most_uriel_en``'s 10 languages gets the paper's numbers for them. Several folders can hold the
same set (``most_uriel_40`` and ``most_uriel_en_40`` chose the same 40); their runs are pooled. Any other
subset is refused: a replay never invents a number (use the ``proxy`` trainable for that).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from spaces.catalog import load_catalog
from spaces.errors import ConfigError
from spaces.trial_config import TrialConfig
from trainables.published.data import (
    METHODS, OURS, PAPER_PAIRS, Run, check_model, check_task, load_runs, result_metrics,
)


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


@lru_cache(maxsize=None)
def measured_subsets(model: str, task: str, method: str = OURS) -> dict[frozenset[str], tuple[Run, ...]]:
    """Every subset the paper ran for (model, task, method) -> its runs."""
    found: dict[frozenset[str], list[Run]] = defaultdict(list)
    for run in load_runs():
        if (run.model, run.task, run.method) == (model, task, method):
            found[frozenset(run.languages)].append(run)
    return {key: tuple(runs) for key, runs in found.items()}


def mean_scores(runs: Iterable[Run]) -> dict[str, float]:
    """Per-benchmark score averaged over the runs that report it."""
    sums: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        for key, value in run.scores.items():
            sums[key].append(value)
    return {key: math.fsum(vals) / len(vals) for key, vals in sums.items()}


def replay(model: str, task: str, languages: Iterable[str], method: str = OURS,
           targets: Iterable[str] = (), sweep_pool: Iterable[str] = ()) -> Replay:
    """The paper's result for ``languages`` (any code form); a ConfigError if it never ran that subset.

    ``method="baseline"`` (or an empty ``languages``) replays fine-tuning without realignment.
    ``sweep_pool`` fixes the ``heldout`` group (``trainables.metrics.aggregate``).
    """
    model, task = check_model(model), check_task(task)
    if method not in METHODS:
        raise ConfigError("method", f"unknown method {method!r}", METHODS)
    codes = tuple(sorted(load_catalog().resolve(languages)))
    if not codes or method == "baseline":
        codes, method = (), "baseline"
    subsets = measured_subsets(model, task, method)
    runs = subsets.get(frozenset(codes))
    if runs is None:
        raise ConfigError("languages", _no_measurement(codes, subsets, model, task, method))
    targets = tuple(load_catalog().resolve(targets, "targets"))
    scored = {"model": model, "sweep_pool": tuple(sweep_pool)}
    per_seed = tuple(SeedResult(run.seed, run.folder, result_metrics(run.scores, task, codes, targets, **scored))
                     for run in sorted(runs, key=lambda r: (r.seed, r.folder)))
    return Replay(model=model, task=task, method=method, languages=codes,
                  folders=tuple(sorted({r.folder for r in runs})), per_seed=per_seed,
                  mean=result_metrics(mean_scores(runs), task, codes, targets, **scored))


def _no_measurement(codes: tuple[str, ...], subsets: Mapping[frozenset[str], tuple[Run, ...]],
                    model: str, task: str, method: str) -> str:
    """Why a subset cannot be replayed, naming the closest measured subsets (same size first, overlap)."""
    want = set(codes)

    def closeness(item: tuple[frozenset[str], tuple[Run, ...]]) -> tuple[int, int, str]:
        subset, runs = item
        return (abs(len(subset) - len(want)), -len(subset & want), runs[0].folder)

    nearest = sorted(subsets.items(), key=closeness)[:3]
    named = "; ".join(f"{runs[0].folder} ({len(s)} languages, {len(s & want)} shared)" for s, runs in nearest)
    return (f"the paper published no {method} measurement for this subset of {len(codes)} languages with "
            f"{model} on {task}; nearest measured subsets: {named}. Use the 'proxy' trainable to score "
            "unmeasured subsets")


def published_metrics(config: Mapping[str, Any]) -> dict[str, Any]:
    """The final result a trial with this ``TrialConfig.to_dict()`` would report, replayed (seed mean)."""
    trial = TrialConfig.from_dict(dict(config))
    if trial.realign.mode == "joint":
        raise ConfigError("realign.mode", "the paper published only 'before' realignment and the baseline",
                          ["before", "none"])
    languages = () if trial.realign.mode == "none" else trial.languages
    result = replay(trial.model, trial.task, languages, targets=trial.targets, sweep_pool=trial.sweep_pool)
    return {**result.mean, "n_languages": len(result.languages),
            "n_pairs": PAPER_PAIRS if result.languages else 0, "n_seeds": len(result.per_seed),
            "phase": "final"}


def published_trainable(config: dict) -> None:
    """Ray Tune function trainable: reports the paper's seed-mean result for the trial's subset once."""
    from ray import tune

    tune.report(published_metrics(config))
