"""The Ray Tune function trainable: runs under a Tuner, reports with checkpoints, resumes after a crash.

Ray is expensive to start (seconds, ~800 MB), so one Ray session serves the whole module and the
trials use the fake world (tests/ is put on the workers' PYTHONPATH so they can import it).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import _fake_world
from spaces.trial_config import TrialConfig

CONFIG = TrialConfig.from_dict(
    {
        "languages": ["de", "yor_Latn"],
        "realign": {"steps": 12, "batch_size": 8},
        "finetune": {"epochs": 2, "batch_size": 8, "lr": 1e-3},
    }
).to_dict()


@pytest.fixture(scope="module")
def ray_session():
    ray = pytest.importorskip("ray")
    import os

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    here = Path(__file__).resolve().parents[1]  # tests/, where the fake world is
    path = os.pathsep.join([str(here), str(here.parent), os.environ.get("PYTHONPATH", "")])
    saved = {key: os.environ.get(key) for key in ("PYTHONPATH", "HF_HUB_OFFLINE")}
    os.environ.update(PYTHONPATH=path, HF_HUB_OFFLINE="1")  # workers inherit the driver's environment
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _fit(trainable, storage: Path, max_failures: int = 0):
    from ray import tune

    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": 1}),
        param_space=CONFIG,
        run_config=tune.RunConfig(
            storage_path=str(storage),
            name="t",
            verbose=0,
            failure_config=tune.FailureConfig(max_failures=max_failures),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
        ),
    )
    return tuner.fit()


@pytest.fixture(scope="module")
def crashed_once(ray_session, tmp_path_factory):
    """One Tuner run of one trial whose worker dies after realignment the first time round.

    Each attempt logs whether Tune handed it a checkpoint, how many realignment steps it ran and which
    fine-tuning epochs it trained.
    """
    root = tmp_path_factory.mktemp("tune")
    crashed, log = root / "crashed", root / "attempts.jsonl"

    def flaky(config: dict) -> None:
        import torch
        from ray import tune

        from trainables.realign import Realigner
        from trainables.trial import TrialRun
        from trainables.units.realign import tune_trial

        calls = {"realign": 0, "epochs": [], "threads": 0}
        forward, epoch = Realigner.forward, TrialRun.finetune_epoch

        def counting_forward(self, *a, **k):
            calls["realign"] += 1
            return forward(self, *a, **k)

        def crashing_epoch(self, n):
            if not crashed.exists():
                crashed.touch()
                raise RuntimeError("simulated worker failure after realignment")
            calls["epochs"].append(n)
            calls["threads"] = torch.get_num_threads()  # set by the trial from Ray's CPU allotment
            return epoch(self, n)

        Realigner.forward, TrialRun.finetune_epoch = counting_forward, crashing_epoch
        try:
            resumed = tune.get_checkpoint() is not None
            tune_trial(config, world=_fake_world.fake_world())
        finally:
            Realigner.forward, TrialRun.finetune_epoch = forward, epoch
            with log.open("a") as out:
                out.write(json.dumps({"resumed": resumed, **calls}) + "\n")

    results = _fit(flaky, root / "runs", max_failures=1)
    return results, [json.loads(line) for line in log.read_text().splitlines()]


def test_trainable_runs_under_tuner_and_reports_each_phase(crashed_once) -> None:
    results, _ = crashed_once
    assert results.num_errors == 0
    result = results[0]
    assert result.metrics["phase"] == "final"
    assert math.isfinite(result.metrics["unseen_lrl"]) and result.metrics["realign_steps"] == 12
    assert result.metrics_dataframe["phase"].tolist() == ["realigned", "epoch", "final"]
    assert result.checkpoint is not None
    with result.checkpoint.as_directory() as directory:
        state = json.loads((Path(directory) / "trial_state.json").read_text())
    assert state["progress"]["phase"] == "final" and state["progress"]["epoch"] == 2


def test_trial_restarted_by_tune_continues_from_its_checkpoint(crashed_once) -> None:
    _, attempts = crashed_once
    assert attempts == [
        {"resumed": False, "realign": 12, "epochs": [], "threads": 0},
        {"resumed": True, "realign": 0, "epochs": [0, 1], "threads": 1},
    ]
