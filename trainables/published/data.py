"""The paper's measured runs, loaded from the shipped compact file, and the one rule that turns a run's
per-benchmark scores into the product's result schema.

Scores are stored per (benchmark, canonical language) — ``masakhaner/yor_Latn`` — because several
benchmarks score the same language within one task (WikiANN ``yo`` and MasakhaNER ``yor``; XNLI ``fr``
and AfriXNLI ``fra``). The result schema has one ``score/<code>`` per language, so:

  ``score/<code>`` is the language's score on the FIRST benchmark of the task's precedence list that
  scores it (``benchmark_order``, stored in the data file by ``build.py``: the African benchmark first —
  MasakhaNER 2.0 over WikiANN, MasakhaPOS over UD, AfriXNLI over XNLI — because the paper's tables
  report those languages on the African sets). Aggregates (``unseen_lrl`` ...) are computed from
  these, so every language counts once. Every benchmark's own view is kept as
  ``bench/<benchmark>/<code>`` and its mean over its non-English languages as ``bench/<benchmark>``
  (e.g. ``bench/masakhaner``, ``bench/wikiann``).
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from spaces.catalog import ENGLISH
from spaces.errors import ConfigError
from spaces.vocab import MODEL_ALIASES, OBJECTIVE_GROUPS, REAL_MODELS, TASKS, canonical_model
from trainables.metrics import aggregate

DATA_FILE = "results.json.gz"
METHODS = ("before_noaligner", "before_fastalign", "baseline")  # ours, the FastAlign variant, no realignment
OURS = "before_noaligner"
# Realigned runs all used 24,544 steps of 16 pairs (the paper's setup), whatever the subset size.
PAPER_PAIRS = 24_544 * 16


@dataclass(frozen=True)
class Run:
    """One published run: one seed of one strategy folder, model, method and task."""

    folder: str
    strategy: str
    size: int
    model: str
    method: str
    task: str
    seed: int
    languages: tuple[str, ...]
    scores: Mapping[str, float]  # "<benchmark>/<canonical code>" -> final score


@lru_cache(maxsize=1)
def _payload() -> dict:
    with resources.files("trainables.published").joinpath(DATA_FILE).open("rb") as fh:
        return json.loads(gzip.decompress(fh.read()))


@lru_cache(maxsize=1)
def load_runs() -> tuple[Run, ...]:
    """Every shipped run, parsed once per process."""
    data = _payload()
    runs = []
    for row in data["runs"]:
        columns = data["columns"][row["task"]]
        scores = {key: value for key, value in zip(columns, row["scores"], strict=True) if value is not None}
        runs.append(
            Run(
                folder=row["folder"],
                strategy=row["strategy"],
                size=row["size"],
                model=row["model"],
                method=row["method"],
                task=row["task"],
                seed=row["seed"],
                languages=tuple(row["languages"]),
                scores=scores,
            )
        )
    return tuple(runs)


def benchmark_order(task: str) -> tuple[str, ...]:
    """The task's benchmarks in precedence order (see the module docstring)."""
    return tuple(_payload()["benchmark_order"][check_task(task)])


def benchmarks() -> dict[str, str]:
    """Every benchmark name -> its task."""
    return {bench: task for task, names in _payload()["benchmark_order"].items() for bench in names}


def benchmark_languages(benchmark: str) -> list[str]:
    """Canonical codes a benchmark scores (English included where it does)."""
    task = benchmarks().get(benchmark)
    if task is None:
        raise ConfigError("benchmark", f"unknown benchmark {benchmark!r}", benchmarks())
    return [key.split("/", 1)[1] for key in _payload()["columns"][task] if key.split("/", 1)[0] == benchmark]


def check_model(model: str) -> str:
    """The published model id for a model name or alias (``mbert``, ``xlmr``)."""
    name = canonical_model(model)
    if name not in REAL_MODELS:
        raise ConfigError(
            "model", f"the paper published no results for model {model!r}", [*REAL_MODELS, *MODEL_ALIASES]
        )
    return name


def check_task(task: str) -> str:
    if task not in TASKS:
        raise ConfigError("task", f"the paper published no final scores for task {task!r}", TASKS)
    return task


# AfriXNLI also ships its translation sources, English and French: the African-first precedence is for the
# African languages, so XNLI, XTREME-R's set, keeps scoring these two (as the real world does).
SOURCE_LANGUAGES = {"afrixnli": frozenset({ENGLISH, "fr"})}


def primary_scores(bench_scores: Mapping[str, float], task: str) -> dict[str, float]:
    """One score per canonical language: the first benchmark in precedence order that scores it (a
    benchmark's ``SOURCE_LANGUAGES`` rank after every other benchmark)."""
    order = benchmark_order(task)
    rank = {name: i for i, name in enumerate(order)}
    chosen: dict[str, tuple[int, float]] = {}
    for key, value in bench_scores.items():
        bench, code = key.split("/", 1)
        position = rank[bench] + (len(order) if code in SOURCE_LANGUAGES.get(bench, ()) else 0)
        if code not in chosen or position < chosen[code][0]:
            chosen[code] = (position, value)
    return {code: value for code, (_, value) in chosen.items()}


def result_metrics(
    bench_scores: Mapping[str, float],
    task: str,
    subset: Iterable[str],
    targets: Iterable[str] = (),
    *,
    model: str,
    sweep_pool: Collection[str] = (),
) -> dict[str, float]:
    """The result schema for one set of per-benchmark scores of ``model`` (``targets`` restricts the
    languages; ``sweep_pool`` is what the sweep may realign on, see ``trainables.metrics.aggregate``).

    Returns ``score/<code>``, the ``trainables.metrics.aggregate`` aggregates, ``bench/<benchmark>/<code>``
    and ``bench/<benchmark>`` (mean over the benchmark's non-English targets; NaN if none).
    """
    subset = tuple(subset)
    wanted = set(targets)
    kept = {k: v for k, v in bench_scores.items() if not wanted or k.split("/", 1)[1] in wanted}
    primary = primary_scores(kept, task)
    out: dict[str, float] = {f"score/{code}": value for code, value in sorted(primary.items())}
    out.update(aggregate(primary, subset, check_model(model), sweep_pool))
    for bench in benchmark_order(task):
        mine = {k: v for k, v in sorted(kept.items()) if k.split("/", 1)[0] == bench}
        out.update({f"bench/{k}": v for k, v in mine.items()})
        non_english = [v for k, v in mine.items() if k.split("/", 1)[1] != ENGLISH]
        out[f"bench/{bench}"] = sum(non_english) / len(non_english) if non_english else math.nan
    return out


def metric_names(task: str) -> list[str]:
    """Names a study can rank on for ``task``: the fixed target groups and the task's benchmark means."""
    return [*OBJECTIVE_GROUPS, *benchmark_order(task)]
