"""A trial over several seeds: the seed mean, its spread, per-seed scores, and exact resume."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_trial import Recorder, _scores_only

from _fake_world import fake_world
from spaces.config import parse_search_config, resolve_trial
from spaces.errors import ConfigError
from spaces.trial_config import TrialConfig
from trainables.trial import TrialRun, run_trial


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REALIGN_SEARCH_THREADS", "1")
        yield


def _config(seeds=(3, 5, 8), **realign) -> TrialConfig:
    return TrialConfig.from_dict(
        {
            "languages": ["de", "yor_Latn"],
            "seeds": list(seeds),
            "targets": ["hau_Latn", "de", "yor_Latn"],
            "realign": {"steps": 4, "batch_size": 8, **realign},
            "finetune": {"epochs": 2, "batch_size": 8, "lr": 1e-3},
        }
    )


@pytest.fixture(scope="module")
def three_seeds(tmp_path_factory) -> tuple[dict, Recorder, dict[int, dict]]:
    recorder = Recorder(tmp_path_factory.mktemp("seeds"))
    final = run_trial(_config(), recorder, world=fake_world())
    singles = {
        seed: run_trial(TrialConfig.from_dict({**_config().to_dict(), "seed": seed, "seeds": []}), world=fake_world())
        for seed in (3, 5, 8)
    }
    return final, recorder, singles


def test_the_result_is_the_mean_of_the_single_seed_runs(three_seeds) -> None:
    final, _, singles = three_seeds
    assert final["n_seeds"] == 3 and final["phase"] == "final"
    for code in ("hau_Latn", "de", "yor_Latn"):
        by_seed = [singles[s][f"score/{code}"] for s in (3, 5, 8)]
        assert final[f"score/{code}"] == pytest.approx(np.mean(by_seed))
        for seed, value in zip((3, 5, 8), by_seed, strict=True):
            assert final[f"seed/{seed}/score/{code}"] == value
    for name in ("unseen_lrl", "all", "in_subset"):
        by_seed = [singles[s][name] for s in (3, 5, 8)]
        assert final[name] == pytest.approx(np.mean(by_seed))
        assert final[f"{name}_sd"] == pytest.approx(np.std(by_seed, ddof=1))
        assert final[f"seed/5/{name}"] == singles[5][name]
    assert len({singles[s]["unseen_lrl"] for s in (3, 5, 8)}) > 1  # seeds really differ


def test_reports_count_epochs_over_all_seeds(three_seeds) -> None:
    final, recorder, _ = three_seeds
    phases = [(m.get("seed"), m["phase"], m["epoch"]) for m in recorder.reports]
    assert phases == [
        (3, "realigned", 0),
        (3, "epoch", 1),
        (3, "epoch", 2),
        (5, "realigned", 2),
        (5, "epoch", 3),
        (5, "epoch", 4),
        (8, "realigned", 4),
        (8, "epoch", 5),
        (None, "final", 6),
    ]
    assert _scores_only(recorder.reports[-1]) == _scores_only(final)


@pytest.mark.parametrize("index", [1, 2, 3, 4, 7, 8])
def test_resume_from_any_checkpoint_gives_the_uninterrupted_result(three_seeds, index) -> None:
    """Inside seed 3, at its end, after seed 5's realignment, inside seed 5, inside seed 8, at the end."""
    final, recorder, _ = three_seeds
    resumed = run_trial(_config(), resume_from=recorder.checkpoints[index], world=fake_world())
    assert _scores_only(resumed) == _scores_only(final)


def test_resume_skips_finished_seeds(three_seeds, monkeypatch) -> None:
    _, recorder, _ = three_seeds
    seeds_run = []
    original = TrialRun.__init__

    def spy(self, trial, world, setup):
        seeds_run.append(trial.seed)
        original(self, trial, world, setup)

    monkeypatch.setattr(TrialRun, "__init__", spy)
    run_trial(_config(), resume_from=recorder.checkpoints[5], world=fake_world())  # seed 5 done
    assert seeds_run == [8]


def test_a_checkpoint_of_other_seeds_is_refused(three_seeds) -> None:
    _, recorder, _ = three_seeds
    with pytest.raises(ConfigError, match="resume_from"):
        run_trial(_config(seeds=(3, 5, 9)), resume_from=recorder.checkpoints[3], world=fake_world())


def test_experiment_seeds_reach_the_trial() -> None:
    cfg = parse_search_config({"experiment": {"seeds": [17, 23, 42, 66]}})
    assert cfg.experiment.seed == 17
    trial = resolve_trial(cfg, {"languages": ["de"]})
    assert trial.seeds == (17, 23, 42, 66) and trial.seed_list == (17, 23, 42, 66)
    assert resolve_trial(parse_search_config({"experiment": {"seed": 4}}), {"languages": ["de"]}).seed_list == (4,)
    for bad in ({"seeds": [1, 1]}, {"seeds": [1, 2], "seed": 2}, {"seeds": ["a"]}):
        with pytest.raises(ConfigError, match="experiment.seed"):
            parse_search_config({"experiment": bad})


def test_single_seed_results_have_no_multi_seed_keys() -> None:
    final = run_trial(_config(seeds=(4,)), world=fake_world())
    assert "n_seeds" not in final and not any(k.startswith("seed/") for k in final)
    assert math.isfinite(final["unseen_lrl"])
