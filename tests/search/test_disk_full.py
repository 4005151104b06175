"""The disk fills in the middle of a sweep: the driver stops cleanly, the saved state stays whole, and after
space is freed ``resume`` finishes the sweep with every finished trial kept exactly once.

Each test runs the real command line (``realign-search run`` then ``resume``) in a child process, with the
closed-form trainable of ``_search_support`` (checkpoints, resume) standing in for training:

- a real full disk: the run folder on a small tmpfs, enlarged afterwards (needs root; skipped otherwise);
- the same fault injected where no filesystem can be mounted (CI): a trial fails the way Ray's checkpoint
  copy fails on a full disk.

Both commands run in one child (one Ray start); the run folder is copied aside between them so the test
can inspect what the failed run left behind.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from _search_support import read_log, subset_score, write_config

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
NUM_SAMPLES = 4

CHILD = """
import json, os, shutil, subprocess, sys
from functools import partial

import search.driver
import trainables.registry
from _search_support import fake_trainable

options, run_args, resume_args, snapshot, free = json.loads(sys.argv[1])
trainables.registry.get_trainable = lambda name: partial(fake_trainable, **options)
search.driver.prepare_shared_work = lambda cfg: None  # no tiny world: the trainable is closed-form
if free["no_space_check"]:  # it estimates the configured trainable, not this one's checkpoints
    import search.space_check
    search.space_check.check_space = lambda *args, **kwargs: None
from search.cli import main

rc = main(run_args)
print(f"@@run={rc}", flush=True)
shutil.copytree(resume_args[1], snapshot, symlinks=True)  # the run folder, as the fault left it
if free["remove"]:
    os.remove(free["remove"])
if free["remount"]:
    subprocess.run(["mount", "-o", "remount,size=" + free["size"], free["remount"]], check=True)
rc = main(resume_args)
print(f"@@resume={rc}", flush=True)
"""


def _run_child(tmp_path: Path, options: dict, storage: Path, free: dict) -> tuple[str, Path]:
    config = write_config(
        tmp_path, num_samples=NUM_SAMPLES, max_concurrent=1, max_failures=1, keep_models=options.pop("keep_models")
    )
    run_dir = storage / "full"
    run_args = ["run", str(config), "--storage-path", str(storage), "--name", "full", "--no-report"]
    resume_args = ["resume", str(run_dir), "--no-report"]
    snapshot = tmp_path / "after-the-fault"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")]),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
    }
    argv = json.dumps([options, run_args, resume_args, str(snapshot), free])
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, argv], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    console = proc.stdout + proc.stderr
    assert proc.returncode == 0, console[-3000:]
    return console, snapshot


def _trial_states(run_dir: Path) -> dict[str, str]:
    state_file = max(run_dir.glob("experiment_state-*.json"))
    state = json.loads(state_file.read_text())  # whole: it parses
    return {json.loads(t)["trial_id"]: json.loads(t)["status"] for t, _ in state["trial_data"]}


def _check_fault_left_a_whole_state(console: str, snapshot: Path, run_dir: Path) -> dict[str, str]:
    assert "@@run=1" in console, console[-3000:]
    assert "Traceback" not in console and 'File "' not in console, console[-3000:]  # stdout and stderr
    paragraph = [line for line in console.splitlines() if line.startswith("realign-search run: no space left")]
    assert len(paragraph) == 1, console[-3000:]
    assert str(run_dir) in paragraph[0]  # names where the disk is full
    assert "realign-search resume" in paragraph[0]
    for path in snapshot.rglob("*"):  # no half-written file and no leftover of one
        assert ".partial-" not in path.name, path
    for path in [*snapshot.glob("*"), *snapshot.glob("trial_*/params.*")]:  # never empty once written
        if path.is_file() and path.name != ".validate_storage_marker":
            assert path.stat().st_size > 0, path
    for path in snapshot.glob("trial_*/result.json"):  # empty until a trial reports; never cut short
        assert all(json.loads(line) for line in path.read_text().splitlines()), path
    pickle.loads(max(snapshot.glob("searcher-state-*.pkl")).read_bytes())
    pickle.loads(max(snapshot.glob("search_gen_state-*.json")).read_bytes())  # a pickle, despite its name
    states = _trial_states(snapshot)
    assert "ERROR" not in states.values()  # the fault did not fail a trial...
    assert "TERMINATED" in states.values()  # ...and what finished before it is recorded
    return states


def _last_good_checkpoint(trial_dir: Path) -> int:
    """Reports recorded by the trial's newest complete checkpoint (0: none)."""
    done = [0]
    for state in trial_dir.glob("checkpoint_*/state.json"):
        try:
            done.append(json.loads(state.read_text())["reports"])
        except ValueError:
            continue
    return max(done)


def _check_resume_finished_the_sweep(
    console: str, run_dir: Path, log: Path, before: dict[str, str], snapshot: Path
) -> None:
    assert "@@resume=0" in console, console[-3000:]
    states = _trial_states(run_dir)
    assert len(states) == NUM_SAMPLES and set(states.values()) == {"TERMINATED"}
    events = read_log(log)
    ends = [e["trial"] for e in events if e["event"] == "end"]
    assert set(ends) == set(states)  # every trial finished...
    for trial_id, status in before.items():
        starts = [e for e in events if e["event"] == "start" and e["trial"] == trial_id]
        if status == "TERMINATED":
            assert len(starts) == 1  # finished before the fault: never run again
        else:  # went on from its last good checkpoint
            assert starts[-1]["resumed_from"] == _last_good_checkpoint(snapshot / f"trial_{trial_id}")
    for trial_id in set(ends):  # ...and trained once: a second end only re-sent a final result
        starts = [e for e in events if e["event"] == "start" and e["trial"] == trial_id]
        assert ends.count(trial_id) == 1 or starts[-1]["resumed_from"] == 2
    from ray.tune import ExperimentAnalysis

    for trial in ExperimentAnalysis(str(run_dir)).trials:  # the final score each trial reported
        assert trial.last_result["unseen_lrl"] == pytest.approx(subset_score(trial.config["languages"]))
    state = pickle.loads(max(run_dir.glob("searcher-state-*.pkl")).read_bytes())
    study = state["_ot_study"]
    assert len(study.trials) == NUM_SAMPLES and all(t.state.name == "COMPLETE" for t in study.trials)


def test_injected_disk_full_stops_cleanly_and_resume_finishes(tmp_path):
    log, marker = tmp_path / "trials.jsonl", tmp_path / "disk-is-full"
    marker.touch()
    options = {"log": str(log), "checkpoint_bytes": 1000, "disk_full": str(marker), "keep_models": "front"}
    storage = tmp_path / "runs"
    console, snapshot = _run_child(
        tmp_path, options, storage, {"remove": str(marker), "remount": None, "no_space_check": True}
    )
    before = _check_fault_left_a_whole_state(console, snapshot, storage / "full")
    assert sorted(before.values()) == ["RUNNING", "TERMINATED", "TERMINATED"]  # fault in the 3rd trial
    running = next(t for t, s in before.items() if s == "RUNNING")
    assert list((snapshot / f"trial_{running}").glob("checkpoint_*"))  # its last good checkpoint
    _check_resume_finished_the_sweep(console, storage / "full", log, before, snapshot)
    resumed = [e for e in read_log(log) if e["event"] == "start" and e["trial"] == running]
    assert [e["resumed_from"] for e in resumed] == [0, 1]
    # keep_models = "front": only the front's weights are left
    run_dir = storage / "full"
    with_weights = {p.parent.name[len("trial_") :] for p in run_dir.glob("trial_*/checkpoint_*")}
    from search.report import report_run

    report, _ = report_run(str(run_dir), tmp_path / "report")
    assert with_weights == {t.trial_id for t in report.front}


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 3 MiB tmpfs, unmounted afterwards; skipped where mounting is not allowed (not root, containers)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here ({(done.stderr or done.stdout).strip() or done.returncode}); "
            "test_injected_disk_full_stops_cleanly_and_resume_finishes covers the behaviour"
        )
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_real_full_disk_stops_cleanly_and_resume_finishes_after_space_is_freed(tmp_path, small_tmpfs):
    log = tmp_path / "trials.jsonl"
    # keep_models = "all" so kept weights pile up: 700 kB a trial, the 3 MiB disk fills in trial 3 or 4.
    options = {"log": str(log), "checkpoint_bytes": 700_000, "keep_models": "all"}
    console, snapshot = _run_child(
        tmp_path,
        options,
        small_tmpfs,
        {"remove": None, "remount": str(small_tmpfs), "size": "64m", "no_space_check": True},
    )
    before = _check_fault_left_a_whole_state(console, snapshot, small_tmpfs / "full")
    _check_resume_finished_the_sweep(console, small_tmpfs / "full", log, before, snapshot)
    with_weights = {p.parent.name for p in (small_tmpfs / "full").glob("trial_*/checkpoint_*")}
    assert len(with_weights) == NUM_SAMPLES  # "all"
    shutil.rmtree(snapshot)


# ------------------------------------------------------------------------------ the two stops, in isolation
def test_a_trial_failing_on_a_full_disk_stops_the_sweep_before_ray_records_the_failure(monkeypatch):
    import errno as errnos
    from types import SimpleNamespace

    from ray.tune.execution.tune_controller import TuneController

    from search.disk_full import install_stop_on_disk_full
    from spaces.errors import DiskFullError

    handled = []
    monkeypatch.setattr(
        TuneController, "_process_trial_failure", lambda self, trial, exception: handled.append(exception)
    )
    install_stop_on_disk_full()
    install_stop_on_disk_full()  # idempotent
    waited = []
    controller = SimpleNamespace(_storage=SimpleNamespace(syncer=SimpleNamespace(wait=lambda: waited.append(1))))
    trial = SimpleNamespace(path="/runs/x/trial_1")
    other = RuntimeError("NaN loss")
    TuneController._process_trial_failure(controller, trial, other)
    assert handled == [other]  # any other failure: Ray's own handling (retry, mark failed)
    with pytest.raises(DiskFullError) as err:
        TuneController._process_trial_failure(controller, trial, OSError(errnos.ENOSPC, "No space left"))
    assert handled == [other] and waited == [1]  # not counted, not told to Optuna; last upload finished
    assert err.value.path == "/runs/x/trial_1"


def test_a_state_upload_failing_on_a_full_disk_stops_the_sweep_at_the_next_step():
    import errno as errnos

    from search.disk_full import StopOnDiskFull, park_upload_failure, raise_parked
    from spaces.errors import DiskFullError

    assert not park_upload_failure(ValueError("not about space"), "/runs/x")  # Ray logs it as before
    assert park_upload_failure(OSError(errnos.ENOSPC, "No space left on device"), "/runs/x")
    with pytest.raises(DiskFullError, match="/runs/x"):
        StopOnDiskFull().on_step_begin(0, [])
    raise_parked()  # raised once: nothing left
