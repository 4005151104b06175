"""The report against cost, on hand-made trials (no Ray): a trial over a per-trial cap is infeasible and
off the front, the tables carry the costs, and ``cost.png`` draws the front against GPU-hours."""

from __future__ import annotations

import json

from search.report import TrialRecord, analyse, markdown, write_report
from search.report_cost import cost_axis, cost_columns, mark_infeasible
from spaces.vocab import Objective

OBJECTIVES = [Objective("unseen_lrl", "max"), Objective("n_languages", "min")]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _trial(tid, languages, score, wall_s, gpus=0.5):
    gpu_s = wall_s * gpus
    metrics = {"unseen_lrl": score, "n_languages": len(languages), "wall_s": wall_s, "gpu_s": gpu_s}
    return TrialRecord(tid, "ok", list(languages), {**metrics, "gpu_hours": gpu_s / 3600}, {"sw": score}, {})


def _trials():
    return [
        _trial("a", ["bg"], 0.40, wall_s=3600.0),  # 0.5 GPU-hours
        _trial("b", ["bg", "ru"], 0.50, wall_s=7200.0),  # 1.0 GPU-hours
        _trial("c", ["bg", "ru", "uk"], 0.70, wall_s=14400.0),  # 2.0 GPU-hours: the best score, over the cap
    ]


def test_a_trial_over_a_cap_is_infeasible_and_off_the_front():
    trials = _trials()
    mark_infeasible(trials, (("gpu_hours", 1.5),))
    assert [t.status for t in trials] == ["ok", "ok", "infeasible"]
    assert trials[2].error == "gpu_hours=2 > 1.5"
    report = analyse(trials, OBJECTIVES)
    assert [t.trial_id for t in report.front] == ["a", "b"]  # without the cap, c would be on it too
    assert [t.trial_id for t in analyse(_trials(), OBJECTIVES).front] == ["a", "b", "c"]


def test_tables_show_cost_and_the_infeasible_trials(tmp_path):
    trials = _trials()
    mark_infeasible(trials, (("gpu_hours", 1.5),))
    report = analyse(trials, OBJECTIVES)
    md = markdown(report, "t")
    assert "Trials: 3 (2 finished, 0 stopped early, 1 infeasible, 0 failed, 0 unfinished)" in md
    assert "| size | languages | unseen_lrl | wall_s | gpu_hours | hyperparameters | trial |" in md
    assert "| 2 | bg, ru | 0.5 | 7200 | 1 | - | b |" in md
    assert "| c | bg, ru, uk | gpu_hours=2 > 1.5 |" in md
    files = write_report(report, tmp_path, "t", (("gpu_hours", 1.5),))
    assert files.cost_png is not None and files.cost_png.read_bytes().startswith(PNG_MAGIC)
    assert json.loads(files.json.read_text())["infeasible"] == [{"trial_id": "c", "broken": "gpu_hours=2 > 1.5"}]


def test_cost_axis_and_columns():
    assert cost_axis(_trials()) == "gpu_hours"
    assert cost_axis([_trial("cpu", ["bg"], 0.1, wall_s=5.0, gpus=0.0)]) == "wall_s"  # no GPU: wall seconds
    assert cost_columns(OBJECTIVES) == ["wall_s", "gpu_hours"]
    assert cost_columns([Objective("unseen_lrl", "max"), Objective("gpu_hours", "min")]) == ["wall_s"]
