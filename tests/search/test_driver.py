"""The driver's Ray Tune / Optuna pieces, built without starting Ray: the searcher is multi-objective,
seeded, warm-started and picklable (Ray checkpoints it with plain pickle), ASHA watches one metric, an
Optuna RDB study is created where optuna-dashboard can read it, and resources follow the config."""

from __future__ import annotations

import pickle
from dataclasses import replace

import optuna
import pytest

from _search_support import POOL, fake_trainable, write_config
from search.driver import plan_run
from search.engines.ray_tune import make_scheduler, make_searcher, make_trainable
from search.samplers import make_sampler
from spaces.config import SearchSpace, load_search_config, warm_start_points
from spaces.vocab import Objective


@pytest.fixture()
def cfg(tmp_path):
    return load_search_config(write_config(tmp_path, num_samples=4, max_concurrent=3))


def _with(cfg, **search):
    return replace(cfg, search=replace(cfg.search, **search))


def _ready(searcher):
    """What Tuner does before the first trial: hand over metric/mode (already set) and the space."""
    searcher.set_search_properties(None, None, {})
    return searcher.searcher


def test_searcher_is_multi_objective_warm_started_and_capped(cfg):
    limiter = make_searcher(cfg, SearchSpace(cfg), study_name="t")
    assert limiter.max_concurrent == 3
    inner = _ready(limiter)
    assert inner.metric == ["unseen_lrl", "n_languages"] and inner.mode == ["max", "min"]
    study = inner._ot_study
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    waiting = [t for t in study.get_trials(deepcopy=False) if t.state.name == "WAITING"]
    assert len(waiting) == len(warm_start_points(cfg)) == 2  # most_uriel_en@1 and the whole pool
    # The first suggestions are the warm-start points, resolved to their subsets.
    first = inner.suggest("a")
    assert first["languages"] == ["kaz_Cyrl"]
    assert inner.suggest("b")["languages"] == list(POOL)


def test_searcher_pickles_with_plain_pickle(cfg, tmp_path):
    inner = _ready(make_searcher(cfg, SearchSpace(cfg), study_name="t"))
    inner.suggest("a")
    clone = pickle.loads(pickle.dumps(inner.__dict__))  # what OptunaSearch.save writes
    assert len(clone["_ot_study"].trials) == len(inner._ot_study.trials)


def test_no_warm_start_when_disabled(cfg):
    inner = _ready(make_searcher(_with(cfg, warm_start=False), SearchSpace(cfg), study_name="t"))
    assert inner._ot_study.get_trials(deepcopy=False) == []


@pytest.mark.parametrize(
    "name, kind",
    [
        ("tpe", optuna.samplers.TPESampler),
        ("nsga2", optuna.samplers.NSGAIISampler),
        ("random", optuna.samplers.RandomSampler),
    ],
)
def test_sampler_choice_is_seeded(cfg, name, kind):
    a, b = make_sampler(_with(cfg, sampler=name, seed=7)), make_sampler(_with(cfg, sampler=name, seed=7))
    assert isinstance(a, kind)
    space = SearchSpace(cfg)
    picks = []
    for sampler in (a, b):
        study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)
        trial = study.ask()
        picks.append(space(trial)["languages"])
    assert picks[0] == picks[1]


def test_rdb_storage_holds_the_study(cfg, tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    inner = _ready(make_searcher(_with(cfg, optuna_storage=url), SearchSpace(cfg), study_name="dash"))
    inner.suggest("a")
    loaded = optuna.load_study(study_name="dash", storage=url)  # what optuna-dashboard reads
    # Two enqueued warm-start points; the first suggestion took one of them (now running).
    assert [t.state.name for t in loaded.trials] == ["RUNNING", "WAITING"]
    assert [d.name for d in loaded.directions] == ["MAXIMIZE", "MINIMIZE"]
    pickle.loads(pickle.dumps(inner.__dict__))  # still checkpointable with an RDB behind it


def test_asha_watches_one_metric(cfg):
    assert make_scheduler(cfg) is None
    asha_cfg = replace(cfg.search.asha, enabled=True, grace_period=1, reduction_factor=3.0)
    scheduler = make_scheduler(_with(cfg, asha=asha_cfg))
    assert scheduler.metric == "unseen_lrl" and scheduler._mode == "max"
    assert scheduler._time_attr == "epoch"  # rungs count fine-tuning epochs, not the NaN realignment report
    # the first rung at grace_period
    assert scheduler._reduction_factor == 3.0 and scheduler._brackets[0]._rungs[-1][0] == 1


def test_resources_follow_config(cfg):
    trainable = make_trainable(_with(cfg, cpus_per_trial=2.0, gpus_per_trial=0.5), SearchSpace(cfg), fake_trainable)
    bundle = trainable._resources.required_resources
    assert bundle == {"CPU": 2.0, "GPU": 0.5}


def test_objectives_parsed_from_config(cfg):
    assert [(o.metric, o.mode) for o in cfg.search.objectives] == [("unseen_lrl", "max"), ("n_languages", "min")]


def test_plan_creates_nothing(cfg, tmp_path):
    target = plan_run(cfg, storage_path=str(tmp_path / "deep" / "runs"), trainable=fake_trainable)
    assert target.name == "mini" and target.run_dir == str(tmp_path / "deep" / "runs" / "mini")
    assert not (tmp_path / "deep").exists()


def test_progress_lines(tmp_path):
    import io
    from types import SimpleNamespace

    from search.progress import TrialProgress

    error = tmp_path / "error.txt"
    error.write_text("Traceback (most recent call last):\n  ...\nRuntimeError: NaN loss\n")
    out = io.StringIO()
    cb = TrialProgress(
        SearchSpace(None), [Objective.parse("unseen_lrl:max"), Objective.parse("n_languages:min")], total=4, stream=out
    )
    done = SimpleNamespace(trial_id="t1", status="TERMINATED")
    ok = SimpleNamespace(
        trial_id="t2",
        status="RUNNING",
        config={"languages": ["sw", "yo"]},
        last_result={"unseen_lrl": 0.61234, "n_languages": 2, "time_total_s": 12.34},
    )
    bad = SimpleNamespace(
        trial_id="t3", status="RUNNING", config={"languages": list("abcdefghijklmn")}, error_file=str(error)
    )
    cb.on_trial_complete(0, [done, ok, bad], ok)
    cb.on_trial_error(0, [done, ok, bad], bad)
    first, second = out.getvalue().splitlines()
    assert first == "[  2/4] trial t2 ok     unseen_lrl=0.6123 n_languages=2 [sw,yo] 12.3s"
    assert second == "[  2/4] trial t3 FAILED RuntimeError: NaN loss [a,b,c,d,e,f,g,h,i,j,k,l,+2]"
