"""No configuration runs twice (``search.reuse``, ``search.engines.reusing_optuna``).

The space: the 4 Cyrillic languages, subsets of exactly 3 (4 configurations), a fixed learning rate, so
a seeded random sampler proposes repeats within a few asks and every repeat can be checked by hand.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from _search_support import fake_trainable, read_log, subset_score, write_config
from spaces.config import SearchSpace, load_search_config


def small_space_toml(directory: Path, size: int = 3, **search: object) -> Path:
    path = write_config(directory, sampler="random", warm_start=False, **search)
    text = path.read_text(encoding="utf-8")
    text = text.replace("min_languages = 1", f"min_languages = {size}")
    text = text.replace("max_languages = 4", f"max_languages = {size}")
    text = text.replace("lr = { low = 1e-4, high = 1e-3, log = true }", "lr = 5e-4")
    path.write_text(text, encoding="utf-8")
    return path


def searcher_for(cfg):
    from search.engines.reusing_optuna import ReusingOptunaSearch
    from search.samplers import make_sampler

    return ReusingOptunaSearch(
        space=SearchSpace(cfg), metric=["unseen_lrl", "n_languages"], mode=["max", "min"], sampler=make_sampler(cfg)
    )


def result_of(config: dict) -> dict:
    languages = config["languages"]
    return {"unseen_lrl": subset_score(languages), "n_languages": len(languages), "phase": "final"}


def test_repeated_proposals_are_told_the_first_result_and_not_run(tmp_path):
    import optuna

    cfg = load_search_config(small_space_toml(tmp_path))
    searcher = searcher_for(cfg)
    run = {}
    for i in range(4):
        config = searcher.suggest(f"t{i}")
        run[f"t{i}"] = config
        searcher.on_trial_complete(f"t{i}", result_of(config))
    subsets = [tuple(sorted(c["languages"])) for c in run.values()]
    assert len(set(subsets)) == 4  # every configuration of the space once
    study = searcher._ot_study
    reused = [t for t in study.trials if "reused_from" in t.user_attrs]
    assert reused and searcher._ledger.reused == len(reused)  # the seeded sampler did propose repeats
    assert len(study.trials) == 4 + len(reused)
    for t in reused:  # told exactly the values of the trial that ran the configuration
        owner = run[t.user_attrs["reused_from"]]
        assert t.state == optuna.trial.TrialState.COMPLETE
        assert t.values == [pytest.approx(subset_score(owner["languages"])), 3]


def test_a_repeat_of_a_running_configuration_waits_for_its_values(tmp_path):
    import optuna

    from search.reuse import MAX_REPEATS

    cfg = load_search_config(small_space_toml(tmp_path, size=4))  # one configuration only
    searcher = searcher_for(cfg)
    first = searcher.suggest("a")
    second = searcher.suggest("b")  # only repeats exist: after MAX_REPEATS it runs anyway
    assert first["languages"] == second["languages"]
    waiting = [t for t in searcher._ot_study.trials if t.state == optuna.trial.TrialState.RUNNING]
    assert len(waiting) == MAX_REPEATS + 2  # a, b and the repeats parked behind a
    searcher.on_trial_complete("a", result_of(first))
    states = [t.state for t in searcher._ot_study.trials]
    assert states.count(optuna.trial.TrialState.RUNNING) == 1  # b still runs
    done = [t for t in searcher._ot_study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == MAX_REPEATS + 1
    assert all(t.values == [pytest.approx(subset_score(first["languages"])), 4] for t in done)


def test_a_failed_configuration_fails_its_waiting_repeats(tmp_path):
    import optuna

    cfg = load_search_config(small_space_toml(tmp_path, size=4))
    searcher = searcher_for(cfg)
    searcher.suggest("a")
    searcher.suggest("b")
    searcher.on_trial_complete("a", None, error=True)
    failed = [t for t in searcher._ot_study.trials if t.state == optuna.trial.TrialState.FAIL]
    assert len(failed) == 1 + 20  # a and its parked repeats


@pytest.mark.slow
def test_sweep_runs_each_configuration_once(tmp_path):
    import optuna
    import ray

    from search.driver import plan_run, run_sweep
    from search.engines.ray_tune import start_ray

    db = f"sqlite:///{tmp_path / 'study.db'}"
    cfg = load_search_config(small_space_toml(tmp_path, num_samples=4, max_concurrent=1, optuna_storage=db))
    log = tmp_path / "trials.jsonl"
    trainable = partial(fake_trainable, log=str(log))
    start_ray(None, num_cpus=2)
    try:
        target = plan_run(cfg, storage_path=str(tmp_path / "runs"), name="reuse", trainable=trainable)
        results = run_sweep(cfg, target, trainable=trainable, progress=False, verbose=0)
    finally:
        ray.shutdown()
    starts = [tuple(e["languages"]) for e in read_log(log) if e["event"] == "start"]
    assert len(results) == 4 and len(starts) == 4 and len(set(starts)) == 4
    study = optuna.load_study(study_name="reuse", storage=db)
    reused = [t for t in study.trials if "reused_from" in t.user_attrs]
    assert reused  # the sampler proposed repeats; none of them ran
    assert len(study.trials) == 4 + len(reused)
