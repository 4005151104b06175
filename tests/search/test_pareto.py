"""Dominance, front extraction and hypervolume against hand computation."""

from __future__ import annotations

import math

import pytest

from search.pareto import dominates, hypervolume_2d, pareto_front

MAX_MIN = ("max", "min")  # score up, number of languages down: the product's default objectives


def test_dominance_needs_one_strict_improvement():
    assert dominates((0.8, 3), (0.7, 3), MAX_MIN)
    assert dominates((0.8, 2), (0.7, 3), MAX_MIN)
    assert not dominates((0.8, 3), (0.8, 3), MAX_MIN)  # equal: neither dominates
    assert not dominates((0.9, 5), (0.7, 3), MAX_MIN)  # trade-off
    assert not dominates((0.7, 3), (0.8, 2), MAX_MIN)
    assert dominates((1, 1), (2, 2), ("min", "min"))
    assert not dominates((1, 1), (2, 2), ("max", "max"))


def test_front_on_hand_made_points():
    points = [
        (0.50, 1),  # 0 front: smallest subset
        (0.60, 2),  # 1 front
        (0.55, 3),  # 2 dominated by 1
        (0.70, 5),  # 3 front
        (0.70, 6),  # 4 dominated by 3 (same score, more languages)
        (0.40, 1),  # 5 dominated by 0
        (0.80, 10),  # 6 front
    ]
    assert pareto_front(points, MAX_MIN) == [0, 1, 3, 6]


def test_front_keeps_duplicates_and_skips_nan():
    points = [(0.6, 2), (0.6, 2), (0.5, 2), (math.nan, 1), (0.4, None)]
    assert pareto_front(points, MAX_MIN) == [0, 1]
    assert pareto_front([], MAX_MIN) == []


def test_ties_in_one_objective():
    # Same size, different scores: only the better one survives; same score, sizes differ: smaller wins.
    assert pareto_front([(0.5, 4), (0.6, 4), (0.6, 3)], MAX_MIN) == [2]


def test_hypervolume_hand_computed():
    # Minimise both, reference (4, 4). Points (1,3), (2,2), (3,1): staircase area = 3*1 + 2*1 + 1*1 = 6.
    pts = [(1, 3), (2, 2), (3, 1)]
    assert hypervolume_2d(pts, ("min", "min"), (4, 4)) == pytest.approx(6.0)
    # A dominated point, a duplicate, a NaN and one outside the reference box change nothing.
    extra = pts + [(3, 3), (2, 2), (math.nan, 0), (5, 0)]
    assert hypervolume_2d(extra, ("min", "min"), (4, 4)) == pytest.approx(6.0)
    # A point on the reference boundary adds no area.
    assert hypervolume_2d([(4, 0)], ("min", "min"), (4, 4)) == 0.0
    assert hypervolume_2d([], ("min", "min"), (4, 4)) == 0.0


def test_hypervolume_with_maximised_score():
    # Score (max) vs languages (min), reference (score 0, 11 languages).
    # (0.5, 1): [0,0.5] x [1,11] = 0.5*10 = 5;  (0.8, 5) adds (0.8-0.5) * (11-5) = 1.8.  Total 6.8.
    hv = hypervolume_2d([(0.5, 1), (0.8, 5), (0.6, 7)], MAX_MIN, (0.0, 11))
    assert hv == pytest.approx(6.8)


def test_hypervolume_agrees_with_optuna():
    optuna_hv = pytest.importorskip("optuna._hypervolume")
    import numpy as np

    rng = np.random.default_rng(3)
    pts = rng.random((40, 2))
    ours = hypervolume_2d(pts.tolist(), ("min", "min"), (1.1, 1.1))
    theirs = optuna_hv.compute_hypervolume(pts, np.array([1.1, 1.1]))
    assert ours == pytest.approx(theirs)
