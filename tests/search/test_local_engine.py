"""The in-process engine (``search.engines.local``): the Ray engine's results on the proxy, and resume."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from search.engines import engine_name
from search.engines.local import TRIALS_FILE, read_records
from spaces.config import parse_search_config
from spaces.errors import ConfigError

POOL = ["bg", "ru", "uk", "kaz_Cyrl", "hi", "mr"]


def proxy_config(num_samples: int = 5, engine: str = "local", **search):
    from spaces.catalog import load_catalog

    outside = [c for c in load_catalog().realignment_pool() if c not in POOL]
    return parse_search_config(
        {
            "experiment": {"name": "p", "trainable": "proxy", "world": "real", "model": "xlmr", "task": "ner"},
            "subset": {
                "encoding": "mask",
                "pool": "all",
                "must_exclude": outside,
                "min_languages": 1,
                "strategies": ["most_uriel_en"],
            },
            "search": {
                "sampler": "tpe",
                "num_samples": num_samples,
                "max_concurrent": 1,
                "warm_start": True,
                "warm_start_sizes": [2],
                "engine": engine,
                "seed": 3,
                **search,
            },
        }
    )


def sweep(cfg, storage: Path, name: str, trainable=None):
    from search.driver import plan_run, run_sweep

    target = plan_run(cfg, storage_path=str(storage), name=name, trainable=trainable)
    return target, run_sweep(cfg, target, trainable=trainable, progress=False, verbose=0)


def test_auto_runs_cheap_trainables_in_process_and_training_under_ray():
    assert engine_name(proxy_config(engine="auto")) == "local"
    cfg = proxy_config(engine="auto")
    assert (
        engine_name(replace(cfg, experiment=replace(cfg.experiment, trainable="realign", world="tiny", model="tiny")))
        == "ray"
    )
    assert engine_name(proxy_config(engine="ray")) == "ray"


def test_local_engine_refuses_a_cluster_before_creating_anything(tmp_path):
    from search.driver import plan_run

    with pytest.raises(ConfigError) as err:
        plan_run(proxy_config(), storage_path=str(tmp_path), name="x", address="127.0.0.1:1")
    assert err.value.field in ("search.engine", "--address")
    assert not any(tmp_path.iterdir())


def test_local_engine_refuses_trackers_that_are_ray_callbacks(tmp_path):
    from search.driver import plan_run
    from spaces.config.tracking import MlflowSettings, TrackingConfig

    cfg = replace(proxy_config(), tracking=TrackingConfig(mlflow=MlflowSettings()))
    with pytest.raises(ConfigError) as err:
        plan_run(cfg, storage_path=str(tmp_path), name="x")
    assert err.value.field == "search.engine" and "mlflow" in str(err.value)
    assert not any(tmp_path.iterdir())
    plan_run(replace(cfg, search=replace(cfg.search, engine="ray")), storage_path=str(tmp_path), name="y")


def test_local_resume_after_an_interrupt_finishes_every_trial_once(tmp_path):
    from search.report import report_run
    from search.resume import resume_sweep
    from trainables.units.proxy import result

    calls = []

    def interrupted(config):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(config["languages"])
        return result(config)

    db = f"sqlite:///{tmp_path / 'study.db'}"
    cfg = proxy_config(num_samples=8, optuna_storage=db)
    with pytest.raises(KeyboardInterrupt):
        sweep(cfg, tmp_path, "cut", trainable=interrupted)
    run_dir = tmp_path / "cut"
    before = [r for r in read_records(str(run_dir)) if r["status"] != "reused"]
    assert len(before) == 3
    with open(run_dir / TRIALS_FILE, "a") as out:
        out.write('{"trial_id": "torn')  # a line the crash cut short
    results = resume_sweep(str(run_dir))
    records = read_records(str(run_dir))
    ran = [r for r in records if r["status"] != "reused"]
    assert [r["trial_id"] for r in ran[:3]] == [r["trial_id"] for r in before]  # kept, not re-run
    assert len(ran) == 8 and len({r["trial_id"] for r in ran}) == 8
    assert len(results) == 8 and all(r.error is None for r in results)
    keys = [json.dumps(sorted(r["config"]["languages"])) for r in ran]
    assert len(set(keys)) == len(keys)  # no configuration twice (one hyperparameter set: subsets differ)
    report, files = report_run(str(run_dir))
    assert len(report.trials) == 8 and files.markdown.is_file()
    assert resume_sweep(str(run_dir)) and len(read_records(str(run_dir))) == len(records)  # done: nothing runs
    import optuna

    study = optuna.load_study(study_name="cut", storage=db)  # rebuilt from trials.jsonl, once
    assert len(study.trials) == len(records)


@pytest.mark.slow
def test_local_engine_gives_the_ray_engines_trials_and_report(tmp_path):
    import ray

    from search.engines.ray_tune import start_ray
    from search.report import report_run

    _, local = sweep(proxy_config(engine="local"), tmp_path, "local")
    start_ray(None, num_cpus=2)
    try:
        _, on_ray = sweep(proxy_config(engine="ray"), tmp_path, "ray")
    finally:
        ray.shutdown()
    local_report, local_files = report_run(str(tmp_path / "local"))
    ray_report, ray_files = report_run(str(tmp_path / "ray"))

    def shape(report):
        return sorted(
            (tuple(t.languages), round(t.value("unseen_lrl"), 9), t.status, t.heuristic) for t in report.trials
        )

    assert shape(local_report) == shape(ray_report)
    assert [tuple(t.languages) for t in local_report.front] == [tuple(t.languages) for t in ray_report.front]
    assert local_report.hypervolume == pytest.approx(ray_report.hypervolume)
    for files in (local_files, ray_files):
        assert {p.name for p in files.markdown.parent.iterdir()} >= {"report.md", "report.json"}
    for name in ("search_config.json", "run_info.json"):
        assert (tmp_path / "local" / name).is_file() and (tmp_path / "ray" / name).is_file()


def test_local_engine_tells_optuna_what_the_ray_searcher_records(tmp_path, capsys):
    """Each told trial carries its languages and scores (user attributes) and its cost caps (constraints),
    as under Ray's searcher."""
    import optuna

    db = f"sqlite:///{tmp_path / 'study.db'}"
    cfg = proxy_config(num_samples=3, optuna_storage=db, max_wall_s=1e6)
    target, _ = sweep(cfg, tmp_path / "runs", "attrs")
    trials = [t for t in optuna.load_study(study_name="attrs", storage=db).trials if "reused_from" not in t.user_attrs]
    assert len(trials) == 3  # the ones that ran (a repeated proposal is told the first run's values)
    for trial in trials:
        assert trial.user_attrs["n_languages"] == len(trial.user_attrs["languages"]) >= 1
        assert any(key.startswith("score/") for key in trial.user_attrs)
        assert trial.constraints["max_wall_s"] < 0  # wall_s - 1e6: feasible
