"""Report analysis and files on hand-made trials (no Ray): which trials are compared, the front, best per
size, the hypervolume and its reference point, and files that parse."""

from __future__ import annotations

import json
import math

import pytest

from search.report import TrialRecord, analyse, markdown, reference_point, write_report
from spaces.vocab import Objective

OBJECTIVES = [Objective("unseen_lrl", "max"), Objective("n_languages", "min")]


def _trial(tid, languages, score, status="ok", **extra):
    return TrialRecord(
        trial_id=tid,
        status=status,
        languages=list(languages),
        metrics={"unseen_lrl": score, "n_languages": len(languages)},
        scores={"sw": score, "yo": score / 2},
        params={"realign/lr": 1e-3},
        **extra,
    )


TRIALS = [
    _trial("a", ["bg"], 0.40),
    _trial("b", ["bg"], 0.30),  # same size, worse: neither front nor best
    _trial("c", ["bg", "ru"], 0.50, heuristic="most_uriel_en@2"),
    _trial("d", ["bg", "ru", "uk"], 0.45),  # dominated by c
    _trial("e", ["bg", "ru", "uk", "fi"], 0.60, all_pool=True),
    _trial("f", ["ru"], 0.90, status="stopped"),  # ASHA-stopped: intermediate score, not compared
    _trial("g", ["uk"], math.nan),  # undefined objective: never on the front
    TrialRecord("h", "failed", ["fi"], {}, {}, {}, error="RuntimeError: NaN loss"),
]


def test_front_best_per_size_and_hypervolume_by_hand():
    report = analyse(TRIALS, OBJECTIVES)
    assert [t.trial_id for t in report.front] == ["a", "c", "e"]
    assert {k: t.trial_id for k, t in report.best_per_size.items()} == {1: "a", 2: "c", 3: "d", 4: "e"}
    # Reference: score min(0, worst) = 0; languages worst + 1 = 5.
    assert report.reference == [0.0, 5.0]
    # Staircase (minimise -score, n): a: 0.40*(5-1)=1.6; c: (0.50-0.40)*(5-2)=0.3; e: (0.60-0.50)*(5-4)=0.1
    assert report.hypervolume == pytest.approx(2.0)
    assert [t.trial_id for t in report.failed] == ["h"]


def test_given_reference_point_is_used():
    report = analyse(TRIALS, OBJECTIVES, reference=[0.2, 10])
    # a: (0.4-0.2)*(10-1)=1.8; c: 0.1*8=0.8; e: 0.1*6=0.6
    assert report.hypervolume == pytest.approx(3.2)


def test_reference_point_for_negative_scores():
    trials = [_trial("x", ["bg"], -0.2), _trial("y", ["bg", "ru"], 0.1)]
    assert reference_point(OBJECTIVES, trials) == [-0.2, 3.0]


def test_single_objective_has_no_hypervolume():
    report = analyse(TRIALS, OBJECTIVES[:1])
    assert report.hypervolume is None
    assert [t.trial_id for t in report.front] == ["e"]


def test_markdown_and_files(tmp_path):
    report = analyse(TRIALS, OBJECTIVES)
    md = markdown(report, "t")
    assert "Trials: 8 (6 finished, 1 stopped early, 1 failed, 0 unfinished)" in md  # g finished, with a NaN
    assert "| 2 | bg, ru | 0.5 | realign/lr=0.001 | c (most_uriel_en@2) |" in md
    assert "| 4 | bg, ru, uk, fi | 0.6 | realign/lr=0.001 | e (all pool) |" in md
    assert "| h | fi | RuntimeError: NaN loss |" in md
    files = write_report(report, tmp_path / "out", "t")
    data = json.loads(files.json.read_text())
    assert data["front"] == ["a", "c", "e"] and data["hypervolume"] == pytest.approx(2.0)
    assert next(t for t in data["trials"] if t["trial_id"] == "g")["metrics"]["unseen_lrl"] is None  # NaN -> null
    for png in (files.front_png, files.heatmap_png):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
