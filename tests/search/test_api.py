"""``search.api.sweep`` on the proxy (milliseconds per trial), with the trackers, the Optuna user attributes,
the console log, and ``resume --num-samples`` extending the finished sweep.

One sweep (3 trials, then extended to 5) is shared by the tests of this module: starting Ray is the
expensive part.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from search.api import sweep
from spaces.errors import ConfigError

pytestmark = pytest.mark.slow

SPACE = {
    "experiment": {
        "name": "api-proxy",
        "trainable": "proxy",
        "world": "real",
        "model": "xlmr",
        "task": "pos",
        "targets": ["yor_Latn", "wol_Latn", "hau_Latn", "de"],  # few metrics: MLflow logs each one
    },
    "subset": {"strategies": ["most_uriel_en", "random"], "max_languages": 10},
    "search": {"num_samples": 3, "max_concurrent": 2, "warm_start_sizes": [5], "engine": "ray"},  # Ray's trackers
    "tracking": {"mlflow": True},
}


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    import ray

    from search.engines.ray_tune import start_ray

    tmp = tmp_path_factory.mktemp("api")
    study_db = f"sqlite:///{tmp / 'study.db'}"
    start_ray(None, num_cpus=2)
    try:
        first = sweep(
            SPACE, overrides={"search.optuna_storage": study_db, "search.seed": 1}, storage_path=str(tmp / "runs")
        )
        first_trials = first.trials.copy()
        from search.resume import resume_sweep

        extended = resume_sweep(first.run_dir, num_samples=5)
        yield {"first": first, "first_trials": first_trials, "extended": extended, "study_db": study_db}
    finally:
        ray.shutdown()


def _study(swept):
    import optuna

    return optuna.load_study(study_name="api-proxy", storage=swept["study_db"])


def test_api_returns_front_trials_and_report_paths(swept):
    result = swept["first"]
    trials = swept["first_trials"]
    assert len(trials) == 3 and set(trials["status"]) == {"ok"}
    assert {"trial_id", "unseen_lrl", "n_languages", "languages", "on_front"} <= set(trials.columns)
    assert any(c.startswith("score/") for c in trials.columns)
    front = result.front
    assert list(front["trial_id"]) == [t.trial_id for t in result.report.front]
    assert front["on_front"].all() and trials["on_front"].sum() == len(front)
    assert result.files.markdown.is_file() and result.files.json.is_file()
    assert result.config.search.seed == 1  # the override reached the sweep
    assert Path(result.run_dir, "console.log").read_text().count(" ok ") >= 3  # the progress lines


def test_extended_sweep_has_n_trials_in_ray_and_optuna(swept):
    from ray.tune import ExperimentAnalysis

    from search.report import report_run
    from search.run_files import load_saved_config

    run_dir = swept["first"].run_dir
    assert len(swept["extended"]) == 5 and all(r.error is None for r in swept["extended"])
    assert len(ExperimentAnalysis(run_dir).trials) == 5
    study = _study(swept)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 5
    assert load_saved_config(run_dir).search.num_samples == 5
    report, _ = report_run(run_dir)
    assert len(report.trials) == 5
    first_ids = set(swept["first_trials"]["trial_id"])
    assert first_ids <= {t.trial_id for t in report.trials}  # the first three were kept, not re-run


def test_extension_below_the_current_total_is_refused(swept):
    from search.resume import resume_sweep

    with pytest.raises(ConfigError) as refused:
        resume_sweep(swept["first"].run_dir, num_samples=4)
    assert refused.value.field == "--num-samples" and "5" in str(refused.value)


def test_optuna_trials_carry_languages_and_scores(swept):
    from ray.tune import ExperimentAnalysis

    by_languages = {}
    for trial in ExperimentAnalysis(swept["first"].run_dir).trials:
        by_languages.setdefault(tuple(trial.config["languages"]), []).append(trial.last_result)
    for ot in _study(swept).trials:
        languages = tuple(ot.user_attrs["languages"])
        assert ot.user_attrs["n_languages"] == len(languages)
        results = by_languages[languages]
        scores = {k: v for k, v in ot.user_attrs.items() if k.startswith("score/")}
        assert scores and any(all(r[k] == pytest.approx(v) for k, v in scores.items()) for r in results)
        assert ot.values[0] in [pytest.approx(r["unseen_lrl"]) for r in results]


def test_tensorboard_event_files_and_mlflow_runs_appear(swept):
    import mlflow

    run_dir = Path(swept["first"].run_dir)
    trial_dirs = sorted(run_dir.glob("trial_*"))
    assert len(trial_dirs) == 5
    assert all(list(d.glob("events.out.tfevents.*")) for d in trial_dirs)
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{run_dir / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("api-proxy")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 5
    assert all("unseen_lrl" in run.data.metrics for run in runs)
