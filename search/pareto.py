"""Pareto dominance, the non-dominated front and 2-D hypervolume for multi-objective sweeps.

Kept free of Ray and Optuna so reports and benchmarks can judge any list of scored points (a finished
sweep, an exhaustive enumeration, a random-search baseline) with one definition. Objectives are
``(metric, mode)`` pairs; ``mode`` is ``"max"`` or ``"min"``. Points holding a NaN in any objective are
never on the front: a trial whose objective is undefined cannot be said to beat anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from spaces.vocab import DIRECTIONS, Objective

# Run folders saved before the vocabulary module pickled ``search.pareto.Objective`` (callbacks in tuner.pkl).
__all__ = ["Objective", "dominates", "hypervolume_2d", "pareto_front"]


def _as_minimisation(point: Sequence[float], modes: Sequence[str]) -> tuple[float, ...]:
    if len(point) != len(modes):
        raise ValueError(f"point {tuple(point)} has {len(point)} values for {len(modes)} objectives")
    for mode in modes:
        if mode not in DIRECTIONS:
            raise ValueError(f"mode {mode!r} is not one of {DIRECTIONS}")
    return tuple(float(v) if m == "min" else -float(v) for v, m in zip(point, modes, strict=True))


def _defined(point: Sequence[float]) -> bool:
    return all(v is not None and not math.isnan(float(v)) for v in point)


def dominates(a: Sequence[float], b: Sequence[float], modes: Sequence[str]) -> bool:
    """True when ``a`` is at least as good as ``b`` in every objective and strictly better in one."""
    ma, mb = _as_minimisation(a, modes), _as_minimisation(b, modes)
    return all(x <= y for x, y in zip(ma, mb, strict=True)) and any(x < y for x, y in zip(ma, mb, strict=True))


def pareto_front(points: Sequence[Sequence[float]], modes: Sequence[str]) -> list[int]:
    """Indices of the non-dominated points, in input order.

    Duplicates of a non-dominated point are all kept (equal points do not dominate each other), so a
    report can show every trial that reached the front rather than an arbitrary representative.
    """
    candidates = [i for i, p in enumerate(points) if _defined(p)]
    return [i for i in candidates if not any(dominates(points[j], points[i], modes) for j in candidates if j != i)]


def hypervolume_2d(points: Sequence[Sequence[float]], modes: Sequence[str], reference: Sequence[float]) -> float:
    """Area dominated by ``points`` and bounded by ``reference`` (a point worse than every useful one).

    Points that do not strictly beat the reference in both objectives add nothing. Exact sweep over
    the front sorted by the first objective: O(n log n).
    """
    if len(modes) != 2:
        raise ValueError(f"hypervolume_2d needs exactly 2 objectives, got {len(modes)}")
    r0, r1 = _as_minimisation(reference, modes)
    inside = sorted(p for p in (_as_minimisation(q, modes) for q in points if _defined(q)) if p[0] < r0 and p[1] < r1)
    volume, ceiling = 0.0, r1
    for x, y in inside:
        if y < ceiling:
            volume += (r0 - x) * (ceiling - y)
            ceiling = y
    return volume
