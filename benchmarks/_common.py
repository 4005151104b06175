"""Shared helpers for the benchmark scripts: side-by-side timing, summaries, markdown tables.

Why side by side: on a shared machine the load changes from minute to minute, so two variants timed in
separate runs measure the neighbours as much as the code. Every benchmark therefore warms both variants
up, then alternates them within one process (A B, then B A, ...) and reports medians and their ratio,
together with the command and the load average at the time, so a reader can judge the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

# Never let a benchmark reach a model or dataset hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # no per-load weight report between tables


def repo_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ensure_importable() -> None:
    """Let ``python benchmarks/x.py`` import the project without installing it."""
    root = repo_root()
    if root not in sys.path:
        sys.path.insert(0, root)


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the flag every benchmark has: ``--quick`` (seconds, for the smoke test)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes that finish in seconds (checks the script runs; figures are meaningless)",
    )
    return p


def interleaved(variants: Mapping[str, Callable[[], Any]], repeats: int, warmup: int = 1) -> dict[str, list[float]]:
    """Seconds per call of each variant, measured alternately.

    Each variant first runs ``warmup`` times untimed (allocator, caches, lazy imports). Then, for each
    of ``repeats`` rounds, every variant runs once; the order is reversed every other round so neither
    variant always follows the other (drift and cache effects cancel).
    """
    if repeats < 1:
        raise ValueError("repeats must be >= 1")
    names = list(variants)
    for _ in range(warmup):
        for name in names:
            variants[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        for name in names if round_ % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            variants[name]()
            times[name].append(time.perf_counter() - start)
    return times


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    values = [float(v) for v in values]
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], align: Sequence[str] | None = None) -> str:
    """A GitHub markdown table; ``align`` per column: ``l`` or ``r`` (default: first left, rest right)."""
    if any(len(row) != len(headers) for row in rows):
        raise ValueError("every row needs one cell per header")
    align = align or ["l", *["r"] * (len(headers) - 1)]
    rule = ["---" if a == "l" else "---:" for a in align]
    lines = ["| " + " | ".join(str(h) for h in headers) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def command_line(script: str, argv: Sequence[str] | None) -> str:
    """The command that reproduces this run, as typed from the repository root."""
    args = sys.argv[1:] if argv is None else list(argv)
    return " ".join(["python", os.path.relpath(os.path.abspath(script), repo_root()), *map(shlex.quote, args)])


def environment_line() -> str:
    """Load and machine, printed next to every figure: a 2-core box shared by others skews timings."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    import torch

    return (
        f"host: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}; "
        f"load average (1/5/15 min): {load}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


def print_header(title: str, script: str, argv: Sequence[str] | None) -> None:
    print(f"## {title}\n")
    print(f"command: `{command_line(script, argv)}`  ")
    print(environment_line() + "\n")


def fmt(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"
