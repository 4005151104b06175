"""Noise-aware fronts (``search.reeval``): the merge by hand, and a sweep that re-evaluates and resumes."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from functools import partial

import numpy as np
import pytest

from _search_support import noisy_trainable, read_log, seed_noise, subset_score, write_config
from search import reeval
from search.report import TrialRecord, analyse
from spaces.config import load_search_config
from spaces.vocab import Objective

OBJECTIVES = [Objective("unseen_lrl", "max"), Objective("n_languages", "min")]


def record(trial_id: str, languages: list[str], score: float) -> TrialRecord:
    return TrialRecord(
        trial_id,
        "ok",
        languages,
        {"unseen_lrl": score, "n_languages": len(languages)},
        {"sw": score},
        {},
    )


def test_extra_seeds_follow_the_largest_one():
    assert reeval.extra_seeds({"seed": 0, "seeds": []}, 2) == [1, 2]
    assert reeval.extra_seeds({"seed": 17, "seeds": [17, 42, 23]}, 1) == [43]
    assert reeval.reeval_trial({"seed": 0, "seeds": [], "x": 1}, 1) == {"seed": 1, "seeds": [], "x": 1}
    assert reeval.reeval_trial({"seed": 0, "seeds": []}, 3)["seeds"] == [1, 2, 3]


def test_merge_is_the_mean_and_sample_sd_over_every_seed():
    own = reeval.per_seed({"unseen_lrl": 0.9, "n_languages": 1}, {"sw": 0.8}, [0])
    extra = reeval.per_seed(
        {
            "unseen_lrl": 0.3,
            "seed/1/unseen_lrl": 0.1,
            "seed/2/unseen_lrl": 0.5,
            "seed/1/score/sw": 0.2,
            "seed/2/score/sw": 0.4,
        },
        {"sw": 0.3},
        [1, 2],
    )
    merged = reeval.merge([own, extra])
    assert merged["n_seeds"] == 3
    assert merged["unseen_lrl"] == pytest.approx((0.9 + 0.1 + 0.5) / 3)
    assert merged["unseen_lrl_sd"] == pytest.approx(float(np.std([0.9, 0.1, 0.5], ddof=1)))
    assert merged["score/sw"] == pytest.approx((0.8 + 0.2 + 0.4) / 3)
    assert merged["seed/0/unseen_lrl"] == 0.9 and merged["seed/2/unseen_lrl"] == 0.5


def test_the_front_is_computed_on_the_means():
    lucky = record("lucky", ["bg"], 0.9)  # one good draw; its re-evaluation scores 0.1 -> mean 0.5
    steady = record("steady", ["uk"], 0.6)
    big = record("big", ["bg", "ru"], 0.55)
    trials = [lucky, steady, big]
    assert [t.trial_id for t in analyse(trials, OBJECTIVES).front] == ["lucky"]
    reeval.apply(trials, [0], [("lucky", {"seed": 1, "seeds": []}, {"unseen_lrl": 0.1, "score/sw": 0.1})])
    assert lucky.value("unseen_lrl") == pytest.approx(0.5) and lucky.metrics["n_seeds"] == 2
    assert lucky.value("unseen_lrl_sd") == pytest.approx(float(np.std([0.9, 0.1], ddof=1)))
    assert [t.trial_id for t in analyse(trials, OBJECTIVES).front] == ["steady"]
    assert math.isnan(steady.value("unseen_lrl_sd"))  # not re-evaluated: its own single seed


@pytest.mark.slow
def test_sweep_then_resume_reevaluates_the_front_once(tmp_path):
    """The search runs without re-evaluation (as if stopped after it); ``resume`` with ``reeval_seeds = 2``
    restores the finished search (nothing re-runs) and re-evaluates; a second resume runs nothing."""
    import ray

    from search.driver import plan_run, run_sweep
    from search.engines.ray_tune import start_ray
    from search.report import report_run
    from search.resume import resume_sweep

    cfg = load_search_config(write_config(tmp_path, num_samples=3, max_concurrent=1, reeval_seeds=0))
    log = tmp_path / "log.jsonl"
    trainable = partial(noisy_trainable, log=str(log))
    start_ray(None, num_cpus=2)
    try:
        target = plan_run(cfg, storage_path=str(tmp_path / "runs"), name="noisy", trainable=trainable)
        run_sweep(cfg, target, trainable=trainable, progress=False, verbose=0)
        main_starts = read_log(log)
        assert len(main_starts) == 3 and all(e["seeds"] == [0] for e in main_starts)
        with_reeval = replace(cfg, search=replace(cfg.search, reeval_seeds=2))
        resume_sweep(target.run_dir, cfg=with_reeval, trainable=trainable)
        starts = read_log(log)
        again = [e for e in starts[3:]]
        assert again and all(e["seeds"] == [1, 2] for e in again)  # only re-evaluations ran
        resume_sweep(target.run_dir, cfg=with_reeval, trainable=trainable)
        assert read_log(log) == starts  # nothing ran twice
    finally:
        ray.shutdown()
    report, files = report_run(target.run_dir, cfg=with_reeval)
    reevaluated = {tuple(e["languages"]) for e in again}
    for t in report.finished:
        seeds = [0, 1, 2] if tuple(t.languages) in reevaluated else [0]
        expected = [subset_score(t.languages) + seed_noise(t.languages, s) for s in seeds]
        assert t.value("unseen_lrl") == pytest.approx(float(np.mean(expected)))
        assert t.metrics.get("n_seeds", 1) == len(seeds)
    assert all(tuple(t.languages) in reevaluated for t in report.trials if t.heuristic and t.status == "ok")
    assert all(t.metrics.get("n_seeds") == 3 for t in report.front)  # rounds: no front member on one seed
    assert " ± " in files.markdown.read_text()
    data = json.loads(files.json.read_text())
    assert any(t["metrics"].get("n_seeds") == 3 for t in data["trials"])


def test_report_shows_mean_sd_and_front_png_draws_the_error_bars(tmp_path, monkeypatch):
    from matplotlib.axes import Axes

    from search.report import markdown
    from search.report_plots import plot_front

    lucky, steady = record("lucky", ["bg"], 0.9), record("steady", ["uk", "ru"], 0.6)
    reeval.apply([lucky, steady], [0], [("lucky", {"seed": 1, "seeds": []}, {"unseen_lrl": 0.5, "score/sw": 0.5})])
    report = analyse([lucky, steady], OBJECTIVES)
    sd = float(np.std([0.9, 0.5], ddof=1))
    assert f"0.7 ± {sd:.4g} (2 seeds)" in markdown(report, "t", with_plots=False)
    drawn = []
    original = Axes.errorbar
    monkeypatch.setattr(
        Axes, "errorbar", lambda ax, x, y, **kw: drawn.append((x, y, kw["yerr"])) or original(ax, x, y, **kw)
    )
    plot_front(report, tmp_path / "front.png")
    assert drawn == [([1.0], [pytest.approx(0.7)], [pytest.approx(sd)])]  # only the re-evaluated point has a bar
    assert (tmp_path / "front.png").read_bytes()[:4] == b"\x89PNG"


def test_later_rounds_take_the_new_front_members_only(tmp_path):
    from spaces.config import SearchSpace

    cfg = load_search_config(write_config(tmp_path, reeval_seeds=1))
    space = SearchSpace(cfg)
    first, second, warm = record("a", ["bg"], 0.9), record("b", ["bg", "ru"], 0.95), record("w", ["uk"], 0.1)
    for t in (first, second, warm):
        t.params = {"realign/lr": 5e-4}
    warm.heuristic = "most_uriel_en@1"
    trials = [first, second, warm]
    chosen = reeval.candidates(cfg, space, trials)
    assert [c["of"] for c in chosen] == ["a", "b", "w"]  # the front, then the warm start
    assert chosen[0]["trial"]["seed"] == 1 and chosen[0]["trial"]["languages"] == ["bg"]
    # A later round: `a` (now a mean of 0.5) and `w` are done; of the front, only `b` is left to re-run.
    reeval.apply(trials, [0], [("a", {"seed": 1, "seeds": []}, {"unseen_lrl": 0.1})])
    later = reeval.candidates(cfg, space, trials, done={"a", "w"}, warm=False)
    assert [c["of"] for c in later] == ["b"]
    assert reeval.candidates(cfg, space, trials, done={"a", "b", "w"}, warm=False) == []
