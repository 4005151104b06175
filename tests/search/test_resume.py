"""kill -9 a sweep's driver mid-run, resume it: every finished trial is kept exactly once, none re-run.

The driver runs in its own process group (its local Ray cluster too), so the kill takes down the whole
"machine" the way a crash would, and nothing is left running afterwards.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest

from _search_support import fake_trainable, read_log, subset_score, write_config
from search.resume import resume_sweep

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
NUM_SAMPLES = 5

DRIVER = """
import sys
from functools import partial
from search.driver import plan_run, run_sweep
from spaces.config import load_search_config
from _search_support import fake_trainable

config, log, storage = sys.argv[1:4]
cfg = load_search_config(config)
trainable = partial(fake_trainable, sleep_s=2.0, log=log)
target = plan_run(cfg, storage_path=storage, name="killed", trainable=trainable)
run_sweep(cfg, target, trainable=trainable, num_cpus=2)
"""


def _wait_for_ends(log: Path, count: int, proc: subprocess.Popen, timeout_s: float = 150) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if sum(e["event"] == "end" for e in read_log(log)) >= count:
            return
        if proc.poll() is not None:
            pytest.fail(f"driver exited early with {proc.returncode}")
        time.sleep(0.2)
    pytest.fail(f"fewer than {count} trials finished within {timeout_s}s")


def _kill_group(pgid: int) -> None:
    os.killpg(pgid, signal.SIGKILL)
    for _ in range(50):  # wait until no process of the group is left
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(pgid, signal.SIGKILL)


def test_kill_9_then_resume_keeps_finished_trials_exactly_once(tmp_path):
    import ray

    config = write_config(tmp_path, num_samples=NUM_SAMPLES, max_concurrent=1)
    log = tmp_path / "trials.jsonl"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")]),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
    }
    with open(tmp_path / "driver.out", "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(config), str(log), str(tmp_path / "runs")],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_ends(log, 2, proc)
        time.sleep(1.5)  # past at least one controller step: the experiment state records them
    finally:
        _kill_group(proc.pid)
        proc.wait()
    killed_at = time.time()
    assert proc.returncode == -signal.SIGKILL
    before = read_log(log)
    finished_before = {e["trial"] for e in before if e["event"] == "end"}
    assert 2 <= len(finished_before) < NUM_SAMPLES

    run_dir = tmp_path / "runs" / "killed"
    try:
        results = resume_sweep(str(run_dir), trainable=partial(fake_trainable, log=str(log)), num_cpus=2)
    finally:
        ray.shutdown()

    ids = [r.path.rsplit("trial_", 1)[-1] for r in results]
    assert len(ids) == NUM_SAMPLES and len(set(ids)) == NUM_SAMPLES
    assert finished_before <= set(ids)
    assert all(r.error is None for r in results)
    for r in results:
        assert r.metrics["unseen_lrl"] == pytest.approx(subset_score(r.config["languages"]))

    after = [e for e in read_log(log) if e["time"] > killed_at]
    rerun = {e["trial"] for e in after if e["event"] == "start"} & finished_before
    assert not rerun, f"finished trials were run again: {rerun}"
    ends = [e["trial"] for e in read_log(log) if e["event"] == "end"]
    assert sorted(ends) == sorted(set(ends)) and set(ends) == set(ids)  # each finished exactly once

    # The Optuna study came back too: it holds every trial once, all completed.
    newest = max(run_dir.glob("searcher-state-*.pkl"))  # Ray's rule: the latest session's name
    state = pickle.loads(newest.read_bytes())
    study = state["_ot_study"]
    assert sum(t.state.name == "COMPLETE" for t in study.trials) == NUM_SAMPLES
    assert len(study.trials) == NUM_SAMPLES
