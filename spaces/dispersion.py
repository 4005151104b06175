"""The optimiser behind the subset heuristics: max-sum dispersion, choosing ``k`` candidates around fixed
anchors on a pairwise score matrix (``spaces.heuristics`` builds the matrices from typological distances
and explains the method: greedy, multi-start 1-for-1 swap search, or exact enumeration of small pools).

Indices run over a universe of the anchors followed by the candidates; matrices are oriented so that
larger is better, and primary scores equal to ``10**-TIE_DECIMALS`` count as tied (the secondary score,
then the earlier candidate, decides).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np

TIE_DECIMALS = 9  # primary objective values equal to 1e-9 count as tied


@dataclass(frozen=True)
class Problem:
    """Choose ``k`` of ``candidates`` around fixed ``anchors``; matrices are oriented so larger is better."""

    anchors: tuple[str, ...]
    candidates: tuple[str, ...]
    k: int
    primary: np.ndarray  # (n_candidates, n_anchors + n_candidates), columns: anchors then candidates
    secondary: np.ndarray
    groups: np.ndarray  # per candidate; -1 = unconstrained, else at most one chosen per group id

    @property
    def pair_primary(self) -> np.ndarray:
        return self.primary[:, len(self.anchors) :]

    @property
    def pair_secondary(self) -> np.ndarray:
        return self.secondary[:, len(self.anchors) :]


def _argbest(primary: np.ndarray, secondary: np.ndarray, allowed: np.ndarray) -> int:
    """Flat index of the lexicographically best allowed entry; the first one on full ties."""
    p = np.where(allowed, np.round(primary, TIE_DECIMALS), -np.inf).ravel()
    top = (p == p.max()) & np.isfinite(p)
    return int(np.argmax(np.where(top, secondary.ravel(), -np.inf)))


def greedy_indices(prob: Problem) -> list[int]:
    """Plain greedy (see the module docstring): the baseline every answer is compared with."""
    n_anchor = len(prob.anchors)
    gain_p = prob.primary[:, :n_anchor].sum(axis=1)
    gain_s = prob.secondary[:, :n_anchor].sum(axis=1)
    chosen: list[int] = []
    open_ = np.ones(len(prob.candidates), dtype=bool)  # neither chosen nor blocked by a chosen group

    def add(i: int) -> None:
        nonlocal gain_p, gain_s
        chosen.append(i)
        open_[i] = False
        if prob.groups[i] >= 0:
            open_[prob.groups == prob.groups[i]] = False
        gain_p = gain_p + prob.pair_primary[:, i]
        gain_s = gain_s + prob.pair_secondary[:, i]

    if n_anchor == 0 and prob.k >= 2:
        m = len(prob.candidates)
        same_group = (prob.groups[:, None] == prob.groups[None, :]) & (prob.groups[:, None] >= 0)
        allowed = np.triu(np.ones((m, m), dtype=bool), k=1) & ~same_group
        one, two = divmod(_argbest(prob.pair_primary, prob.pair_secondary, allowed), m)
        add(one)
        add(two)
    elif n_anchor == 0 and prob.k == 1:  # no pair to score: take the most outlying (or central) one
        add(
            _argbest(
                prob.pair_primary.sum(axis=1),
                prob.pair_secondary.sum(axis=1),
                np.ones(len(prob.candidates), dtype=bool),
            )
        )
    while len(chosen) < prob.k:
        if not open_.any():
            raise RuntimeError("greedy ran out of candidates: the caller must bound k")
        add(_argbest(gain_p, gain_s, open_))
    return chosen


def greedy_from_each_candidate(prob: Problem) -> np.ndarray:
    """Greedy runs seeded with each candidate in turn, all at once: row r starts from candidate r.

    The same rule as ``greedy_indices`` after its first pick, vectorised over the runs because the
    multi-start would otherwise dominate the run time. Returns (n_candidates, k) candidate indices.
    """
    m, n_anchor = len(prob.candidates), len(prob.anchors)
    runs = np.arange(m)
    gain_p = prob.primary[:, :n_anchor].sum(axis=1)[None, :] + prob.pair_primary.T
    gain_s = prob.secondary[:, :n_anchor].sum(axis=1)[None, :] + prob.pair_secondary.T
    grouped = prob.groups >= 0
    open_ = ~((prob.groups[None, :] == prob.groups[:, None]) & grouped[None, :])
    open_[runs, runs] = False
    picks = [runs]
    for _ in range(prob.k - 1):
        score = np.where(open_, np.round(gain_p, TIE_DECIMALS), -np.inf)
        top = score == score.max(axis=1, keepdims=True)
        pick = np.argmax(np.where(top, gain_s, -np.inf), axis=1)
        picks.append(pick)
        open_[runs, pick] = False
        open_ &= ~((prob.groups[None, :] == prob.groups[pick][:, None]) & grouped[None, :])
        gain_p = gain_p + prob.pair_primary[:, pick].T
        gain_s = gain_s + prob.pair_secondary[:, pick].T
    return np.stack(picks, axis=1)


def local_search(prob: Problem, start: list[int]) -> list[int]:
    """Best-improvement 1-for-1 swaps until none improves the (primary, secondary) objective."""
    members = list(start)
    n_anchor = len(prob.anchors)
    tol = 10.0**-TIE_DECIMALS
    while True:
        outside = np.setdiff1d(np.arange(len(prob.candidates)), members)
        if outside.size == 0 or not members:
            return members
        cols = np.r_[np.arange(n_anchor), n_anchor + np.asarray(members)]
        # contribution of each member / each outsider to the current set (member's self-distance is 0)
        member_p = prob.primary[members][:, cols].sum(axis=1)
        member_s = prob.secondary[members][:, cols].sum(axis=1)
        out_p = prob.primary[outside][:, cols].sum(axis=1)
        out_s = prob.secondary[outside][:, cols].sum(axis=1)
        cross_p = prob.pair_primary[np.ix_(members, outside)]
        cross_s = prob.pair_secondary[np.ix_(members, outside)]
        delta_p = out_p[None, :] - cross_p - member_p[:, None]
        delta_s = out_s[None, :] - cross_s - member_s[:, None]
        member_groups = prob.groups[members]
        used = set(int(g) for g in member_groups if g >= 0)
        out_groups = prob.groups[outside]
        group_free = (out_groups < 0) | ~np.isin(out_groups, list(used))
        allowed = group_free[None, :] | (member_groups[:, None] == out_groups[None, :])
        improving = allowed & ((delta_p > tol) | ((np.abs(delta_p) <= tol) & (delta_s > tol)))
        if not improving.any():
            return members
        row, col = divmod(_argbest(delta_p, delta_s, improving), outside.size)
        members[row] = int(outside[col])


def exact_indices(prob: Problem) -> list[int]:
    m, k = len(prob.candidates), prob.k
    combos = np.array(list(combinations(range(m), k)), dtype=int).reshape(-1, k)
    if (prob.groups >= 0).any():
        g = prob.groups[combos]
        clash = np.zeros(len(combos), dtype=bool)
        for a, b in combinations(range(k), 2):
            clash |= (g[:, a] == g[:, b]) & (g[:, a] >= 0)
        combos = combos[~clash]
    n_anchor = len(prob.anchors)

    def score(full: np.ndarray, pair: np.ndarray) -> np.ndarray:
        anchored = full[:, :n_anchor].sum(axis=1)[combos].sum(axis=1)
        within = pair[combos[:, :, None], combos[:, None, :]].sum(axis=(1, 2)) / 2
        return anchored + within

    best = _argbest(
        score(prob.primary, prob.pair_primary),
        score(prob.secondary, prob.pair_secondary),
        np.ones(len(combos), dtype=bool),
    )
    return [int(i) for i in combos[best]]


def score_of(prob: Problem, members: Sequence[int]) -> tuple[float, float]:
    """(primary, secondary) objective of a member set, larger is better, primary rounded for ties."""
    n_anchor = len(prob.anchors)
    idx = list(members)
    total = []
    for full, pair in ((prob.primary, prob.pair_primary), (prob.secondary, prob.pair_secondary)):
        total.append(full[idx, :n_anchor].sum() + pair[np.ix_(idx, idx)].sum() / 2)
    return round(float(total[0]), TIE_DECIMALS), float(total[1])


def optimise_indices(prob: Problem, exact_limit: int) -> list[int]:
    """Exact when small; else local search from plain greedy and from greedy seeded with each candidate."""
    if prob.k == 0:
        return []
    if comb(len(prob.candidates), prob.k) <= exact_limit:
        return exact_indices(prob)
    best = local_search(prob, greedy_indices(prob))
    best_score = score_of(prob, best)
    seen = {frozenset(best)}
    for row in greedy_from_each_candidate(prob):
        start = [int(i) for i in row]
        if frozenset(start) in seen:
            continue
        found = local_search(prob, start)
        seen.update((frozenset(start), frozenset(found)))
        found_score = score_of(prob, found)
        if found_score > best_score:
            best, best_score = found, found_score
    return best


# ---------------------------------------------------------------------------------------------------
# Strategies: validation, candidate pools, stages.
