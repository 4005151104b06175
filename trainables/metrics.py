"""Per-trial aggregates over per-language scores — one definition shared by every trainable.

The real trainable, the tiny world, the published-results replay and the proxy all report through
``aggregate`` so that a search can mix fidelities without comparing different quantities.

Definitions (English, the fine-tuning language, is never part of an aggregate):
  all          mean over every scored target language
  seen         targets that are in the realignment subset
  unseen       targets that are not in the realignment subset
  lrl          targets with Joshi class <= 2
  hrl          targets with Joshi class >= 3
  unseen_lrl   LRL targets not in the realignment subset — the primary search objective
An aggregate over no language is NaN (never 0: a 0 would look like a real, terrible score).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from spaces.catalog import ENGLISH, load_catalog

AGGREGATES = ("unseen_lrl", "seen", "unseen", "lrl", "hrl", "all")


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def aggregate(scores: Mapping[str, float], subset: Iterable[str]) -> dict[str, float]:
    """Aggregates of per-language ``scores`` (canonical codes) for a realignment ``subset``."""
    catalog = load_catalog()
    chosen = set(subset)
    groups: dict[str, list[float]] = {name: [] for name in AGGREGATES}
    for code, score in scores.items():
        lang = catalog.get(code)
        if lang.code == ENGLISH or score is None or math.isnan(score):
            continue
        inside = lang.code in chosen
        groups["all"].append(score)
        groups["seen" if inside else "unseen"].append(score)
        groups["lrl" if lang.is_lrl else "hrl"].append(score)
        if lang.is_lrl and not inside:
            groups["unseen_lrl"].append(score)
    return {name: _mean(vals) for name, vals in groups.items()}
