"""Target groups: which evaluation languages each aggregate of a trial's result averages.

An objective compares trials, so it must score every trial of a sweep on the SAME languages. A group
that depended on the trial's own subset ("the targets it did not realign on") would let a subset raise
its score without any training, just by absorbing its hardest targets: on the paper's own baseline
scores that moves mBERT NER from 0.350 to 0.401. So every group that may be an objective is fixed by
the encoder and the sweep, never by the trial's subset:

  unseen_lrl  Joshi <= 2 targets the encoder did NOT see in pretraining — the paper's "unseen LRLs"
              (``Language.seen_by``: the catalog's seen_mbert / seen_xlmr; for the tiny world's encoder
              its own pretraining languages), whether or not the subset realigns on them. The default
              primary objective.
  seen_lrl    Joshi <= 2 targets the encoder saw in pretraining.
  lrl / hrl   Joshi <= 2 / Joshi >= 3 targets.
  all         every target.
  heldout     targets no trial of the sweep may realign on: outside the sweep's pool (``sweep_pool`` =
              the space's ``subset.available``: pool filter minus must_exclude minus held_out; the
              evaluation-only languages are never in it). The truly zero-shot view.

The views that do depend on the subset stay in every result as diagnostics, under names that say so,
and are refused as objectives (``spaces.vocab.check_objective``):

  in_subset          targets the trial realigned on
  out_of_subset      targets it did not realign on
  lrl_out_of_subset  Joshi <= 2 targets it did not realign on (what ``unseen_lrl`` used to mean here)

English, the fine-tuning language, is in no group.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from functools import lru_cache

from spaces.catalog import ENGLISH, load_catalog
from spaces.errors import ConfigError
from spaces.vocab import AGGREGATES


@lru_cache(maxsize=1)
def default_sweep_pool() -> frozenset[str]:
    """The pool of a trial outside any sweep: every language that can be realigned on (the paper's 65)."""
    return frozenset(load_catalog().realignment_pool())


def groups_of(code: str, model: str, subset: Collection[str], sweep_pool: Collection[str]) -> list[str]:
    """The aggregates target ``code`` counts in, for ``model``'s encoder, a trial realigning on ``subset``
    within a sweep whose trials may realign on ``sweep_pool`` (empty = ``default_sweep_pool``)."""
    lang = load_catalog().get(code)
    if lang.code == ENGLISH:
        return []
    pool = sweep_pool or default_sweep_pool()
    names = ["all", "lrl" if lang.is_lrl else "hrl"]
    if lang.is_lrl:
        names.append("seen_lrl" if lang.seen_by(model) else "unseen_lrl")
    if lang.code not in pool:
        names.append("heldout")
    inside = lang.code in subset
    names.append("in_subset" if inside else "out_of_subset")
    if lang.is_lrl and not inside:
        names.append("lrl_out_of_subset")
    return names


def group_members(
    name: str, targets: Iterable[str], model: str, subset: Collection[str] = (), sweep_pool: Collection[str] = ()
) -> list[str]:
    """The targets of group ``name`` (canonical codes, order kept) — e.g. to say which languages an
    objective averages."""
    if name not in AGGREGATES:
        raise ConfigError("group", f"unknown target group {name!r}", AGGREGATES)
    catalog = load_catalog()
    return [catalog.get(code).code for code in targets if name in groups_of(code, model, subset, sweep_pool)]
