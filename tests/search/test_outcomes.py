"""How a trial's end reaches Optuna: a trial stopped before its final report is PRUNED (not COMPLETE with
its early scores), its costs are user attributes, a per-trial cost cap is an Optuna constraint that keeps
infeasible trials off the front; and Tune may start ``max_concurrent`` trials at once.

The searcher tests drive ``OptunaSearch`` by hand (no Ray); one real sweep, ASHA on a fake trainable
with three epochs, shows the same in the study Ray and Optuna leave behind, and in the report.
"""

from __future__ import annotations

import io
from dataclasses import replace
from types import SimpleNamespace

import optuna
import pytest

from _search_support import WALL_S_PER_LANGUAGE, epoch_trainable, subset_score, write_config
from search.engines.outcomes import optuna_state
from search.engines.ray_tune import allow_pending_trials, make_searcher
from spaces.config import SearchSpace, load_search_config
from spaces.vocab import Objective


@pytest.fixture()
def cfg(tmp_path):
    return load_search_config(write_config(tmp_path, num_samples=4, max_concurrent=3))


def _with(cfg, **search):
    return replace(cfg, search=replace(cfg.search, **search))


def _searcher(cfg):
    limiter = make_searcher(cfg, SearchSpace(cfg), study_name="t")
    limiter.set_search_properties(None, None, {})
    return limiter.searcher


def _result(languages, phase, **extra):
    return {
        "unseen_lrl": subset_score(languages),
        "n_languages": len(languages),
        "phase": phase,
        "wall_s": WALL_S_PER_LANGUAGE * len(languages),
        **extra,
    }


def test_optuna_state_reads_the_phase():
    assert optuna_state({"phase": "final"}, error=False) == "COMPLETE"
    assert optuna_state({"phase": "epoch"}, error=False) == "PRUNED"  # ASHA stopped it after an epoch
    assert optuna_state({"phase": "realigned"}, error=False) == "PRUNED"
    assert optuna_state(None, error=False) == "PRUNED"  # stopped before any report
    assert optuna_state({"unseen_lrl": 0.3}, error=False) == "COMPLETE"  # a trainable without phases
    assert optuna_state({"phase": "epoch"}, error=True) == "FAIL"


def test_a_trial_stopped_early_is_pruned_and_a_finished_one_complete(cfg):
    searcher = _searcher(cfg)
    first, second = searcher.suggest("a")["languages"], searcher.suggest("b")["languages"]
    searcher.on_trial_complete("a", result=_result(first, "epoch", config={"languages": first}))
    searcher.on_trial_complete("b", result=_result(second, "final", config={"languages": second}))
    a, b = (searcher._ot_trials[t] for t in ("a", "b"))
    trials = {t.number: t for t in searcher._ot_study.get_trials(deepcopy=False)}
    assert trials[a.number].state.name == "PRUNED" and trials[a.number].values is None
    assert trials[b.number].state.name == "COMPLETE"
    assert trials[b.number].values == [subset_score(second), len(second)]
    # the costs are user attributes of both (what optuna-dashboard shows, what constraints read)
    assert trials[a.number].user_attrs["wall_s"] == WALL_S_PER_LANGUAGE * len(first)
    assert trials[b.number].user_attrs["n_languages"] == len(second)
    # and so is the subset, pruned or not (what optuna-dashboard shows of each trial)
    assert trials[a.number].user_attrs["languages"] == list(first)
    assert trials[b.number].user_attrs["languages"] == list(second)
    searcher.on_trial_complete("a", result=_result(first, "final"))  # told once: a repeat changes nothing
    assert searcher._ot_study.get_trials(deepcopy=False)[a.number].state.name == "PRUNED"


def test_a_cost_cap_is_an_optuna_constraint(cfg):
    searcher = _searcher(_with(cfg, max_wall_s=25.0))  # 3+ languages cost 30 s: infeasible
    small, pool = searcher.suggest("a")["languages"], searcher.suggest("b")["languages"]
    assert len(small) == 1 and len(pool) == 4  # the warm starts: [kaz_Cyrl] and the whole pool
    searcher.on_trial_complete("a", result=_result(small, "final"))
    searcher.on_trial_complete("b", result=_result(pool, "final"))  # scores higher, but breaks the cap
    study = searcher._ot_study
    by_number = {t.number: t for t in study.trials}
    assert by_number[searcher._ot_trials["a"].number].constraints == {"max_wall_s": 10.0 - 25.0}
    assert by_number[searcher._ot_trials["b"].number].constraints == {"max_wall_s": 40.0 - 25.0}
    assert [t.number for t in study.best_trials] == [searcher._ot_trials["a"].number]


def test_no_constraint_without_a_cap(cfg):
    searcher = _searcher(cfg)
    languages = searcher.suggest("a")["languages"]
    searcher.on_trial_complete("a", result=_result(languages, "final"))
    assert searcher._ot_study.trials[0].constraints == {}


def test_progress_line_says_stopped():
    from search.progress import TrialProgress

    out = io.StringIO()
    cb = TrialProgress(SearchSpace(None), [Objective.parse("unseen_lrl:max")], total=2, stream=out)
    stopped = SimpleNamespace(
        trial_id="t1",
        status="RUNNING",
        config={"languages": ["sw"]},
        last_result={"unseen_lrl": 0.1, "n_languages": 1, "phase": "epoch", "time_total_s": 1.0},
    )
    cb.on_trial_complete(0, [stopped], stopped)
    assert out.getvalue().startswith("[  1/2] trial t1 stopped unseen_lrl=0.1 ")


def test_the_driver_lets_max_concurrent_trials_pend(cfg, monkeypatch):
    """Tune starts a new trial only while fewer than TUNE_MAX_PENDING_TRIALS_PG wait for resources; an
    inherited 1 would run cheap trials one at a time whatever max_concurrent says."""
    from ray.tune.execution.tune_controller import _get_max_pending_trials
    from ray.tune.search import SearchGenerator

    monkeypatch.setenv("TUNE_MAX_PENDING_TRIALS_PG", "1")
    eight = _with(cfg, max_concurrent=8)
    allow_pending_trials(eight)
    assert _get_max_pending_trials(SearchGenerator(make_searcher(eight, SearchSpace(eight), "t"))) == 8


# ------------------------------------------------------------------------------- one real ASHA sweep
@pytest.fixture(scope="module")
def asha_sweep(tmp_path_factory):
    import ray

    from search.driver import plan_run, run_sweep
    from search.engines.ray_tune import start_ray
    from search.report import report_run

    tmp = tmp_path_factory.mktemp("asha")
    url = f"sqlite:///{tmp / 'study.db'}"
    path = write_config(tmp, num_samples=8, max_concurrent=1, optuna_storage=url, max_wall_s=25)
    path.write_text(path.read_text() + "\n[search.asha]\nenabled = true\ngrace_period = 1\nreduction_factor = 2\n")
    cfg = load_search_config(path)
    start_ray(None, num_cpus=2)
    try:
        target = plan_run(cfg, storage_path=str(tmp / "runs"), name="mini", trainable=epoch_trainable)
        results = run_sweep(cfg, target, trainable=epoch_trainable, source_toml="# test\n")
        report, files = report_run(target.run_dir)
    finally:
        ray.shutdown()
    return {"results": results, "study": optuna.load_study(study_name="mini", storage=url), "report": report}


@pytest.mark.slow
def test_asha_stopped_trials_are_pruned_in_the_study(asha_sweep):
    results, study = asha_sweep["results"], asha_sweep["study"]
    assert len(results) == len(study.trials) == 8
    stopped = sorted(r.metrics["n_languages"] for r in results if r.metrics["phase"] != "final")
    assert stopped, "ASHA stopped no trial: the test shows nothing"
    states = [t.state.name for t in study.trials]
    assert states.count("PRUNED") == len(stopped) and states.count("COMPLETE") == 8 - len(stopped)
    for trial in study.trials:  # a pruned trial has no objective values; a complete one its final ones
        assert (trial.values is None) == (trial.state.name == "PRUNED")
    for trial in study.trials:  # max_wall_s = 25 is a constraint of every trial, kept out of best_trials
        assert trial.constraints == {"max_wall_s": trial.user_attrs["wall_s"] - 25}
    assert study.best_trials and all(t.user_attrs["wall_s"] <= 25 for t in study.best_trials)
    assert any(t.state.name == "COMPLETE" and t.user_attrs["wall_s"] > 25 for t in study.trials)


@pytest.mark.slow
def test_the_report_keeps_stopped_and_infeasible_trials_off_the_front(asha_sweep):
    report, study = asha_sweep["report"], asha_sweep["study"]
    statuses = {t.trial_id: t.status for t in report.trials}
    assert list(statuses.values()).count("stopped") == sum(t.state.name == "PRUNED" for t in study.trials)
    infeasible = [t for t in report.trials if t.status == "infeasible"]
    assert infeasible and all(t.metrics["wall_s"] > 25 for t in infeasible)
    assert all(t.status == "ok" and t.metrics["wall_s"] <= 25 for t in report.front)
    feasible_done = [t for t in report.trials if t.status == "ok"]
    assert all(t.metrics["wall_s"] <= 25 for t in feasible_done)
