"""Per-trial aggregates over per-language scores — one definition shared by every trainable.

The real trainable, the tiny world, the published-results replay and the proxy all report through
``aggregate`` so that a search can mix fidelities without comparing different quantities. Which target
counts in which aggregate is defined once, in ``spaces.targets`` (read it for the definitions): the
objectives (``unseen_lrl``, ``seen_lrl``, ``lrl``, ``hrl``, ``all``, ``heldout``) average a target set
fixed for the whole sweep — by the encoder's pretraining coverage and the sweep's pool, never by the
trial's subset — and the subset-dependent views (``in_subset``, ``out_of_subset``,
``lrl_out_of_subset``) are diagnostics only.

An aggregate over no language is NaN (never 0: a 0 would look like a real, terrible score).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping

from spaces.targets import groups_of
from spaces.vocab import AGGREGATES


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values) if values else math.nan


def aggregate(
    scores: Mapping[str, float], subset: Iterable[str], model: str, sweep_pool: Collection[str] = ()
) -> dict[str, float]:
    """Every aggregate of per-language ``scores`` (canonical codes) for a trial of ``model`` realigning
    on ``subset``, in a sweep whose trials may realign on ``sweep_pool`` (empty = every realignable
    language, as for a trial outside a sweep)."""
    chosen = frozenset(subset)
    pool = frozenset(sweep_pool)
    groups: dict[str, list[float]] = {name: [] for name in AGGREGATES}
    for code, score in scores.items():
        if score is None or math.isnan(score):
            continue
        for name in groups_of(code, model, chosen, pool):
            groups[name].append(score)
    return {name: _mean(vals) for name, vals in groups.items()}
