"""Stop a sweep cleanly when the disk fills, before Ray records anything about the failure.

Every later write fails the same way, so retrying trials would only mark them failed (and, once failed,
``resume`` would not continue them). The sweep therefore stops at the first sign of a full disk, while
Ray's state on disk still shows each unfinished trial running from its last good checkpoint; ``resume``
continues them once space is freed. Two places see the disk fill:

- a trial fails with it (usually while Ray copies its checkpoint into the run directory). Ray handles
  every trial failure in ``TuneController._process_trial_failure``, which counts the failure, tells the
  searcher the trial failed and marks it so; ``install_stop_on_disk_full`` wraps that method so that a
  disk-full failure raises ``DiskFullError`` instead (Ray 2.60 offers no hook that runs earlier);
- the upload of Ray's experiment state fails (``search.atomic`` keeps the old copy). That runs in a
  background thread whose errors Ray only logs; the error is parked here and ``StopOnDiskFull`` raises
  it at the controller's next step, and ``raise_parked`` once more after ``Tuner.fit`` (its final save).

Either way the driver ends with ``DiskFullError`` after Ray stopped its trial actors, and the CLI prints
it as one paragraph (``search.faults``) with exit status 1.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from typing import Any

from ray.tune import Callback

from spaces.errors import DiskFullError, as_disk_full

_pending_lock = threading.Lock()
_pending: DiskFullError | None = None


def park_upload_failure(err: BaseException, dest: str) -> bool:
    """``search.atomic``'s error hook: keep a disk-full upload error for ``StopOnDiskFull``."""
    global _pending
    full = as_disk_full(err, dest)
    if full is None:
        return False
    with _pending_lock:
        _pending = _pending or full
    return True


def raise_parked() -> None:
    """Raise (once) the disk-full error an upload parked, if any."""
    global _pending
    with _pending_lock:
        full, _pending = _pending, None
    if full is not None:
        raise full


class StopOnDiskFull(Callback):
    """Ends the sweep at the controller step after Ray's state upload found the disk full."""

    def on_step_begin(self, iteration: int, trials: list, **info: Any) -> None:
        raise_parked()

    def on_step_end(self, iteration: int, trials: list, **info: Any) -> None:
        raise_parked()


def install_stop_on_disk_full() -> None:
    """Wrap ``TuneController._process_trial_failure`` (idempotent; see the module docstring)."""
    from ray.tune.execution.tune_controller import TuneController

    original = TuneController._process_trial_failure
    if getattr(original, "_realign_search", False):
        return

    @functools.wraps(original)
    def process_trial_failure(self, trial, exception):
        full = as_disk_full(exception, getattr(trial, "path", None) or "the run directory")
        if full is None:
            return original(self, trial, exception)
        # Let the state upload in flight (the last good state) finish before the driver exits; its own
        # failure is handled by search.atomic.
        with contextlib.suppress(Exception):
            self._storage.syncer.wait()
        raise full

    process_trial_failure._realign_search = True
    TuneController._process_trial_failure = process_trial_failure


def guard_ray() -> None:
    """Everything this module and ``search.atomic`` change in Ray; called before every fit."""
    from search.atomic import install_atomic_state_upload

    global _pending
    with _pending_lock:
        _pending = None
    install_atomic_state_upload(on_error=park_upload_failure)
    install_stop_on_disk_full()
