"""Where a report's trials come from: Ray's experiment state, or the local engine's ``trials.jsonl``.

Each source yields ``(trial id, status, config, last result, error)`` with status ``ok`` | ``failed`` |
``unfinished``, so ``search.report`` reads a sweep the same way whichever engine ran it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from search.engines.local import is_local_run

Row = tuple[str, str, dict[str, Any], dict[str, Any], "str | None"]


def trial_rows(run_dir: str) -> Iterator[Row]:
    """The rows of the sweep in ``run_dir``, in the order its trials were created."""
    return _local_trials(run_dir) if is_local_run(run_dir) else _ray_trials(run_dir)


def _error_text(trial: Any) -> str | None:
    name = getattr(trial.run_metadata, "error_filename", None)
    if not name:
        return None
    try:
        with trial.storage.storage_filesystem.open_input_stream(f"{trial.path}/{name}") as src:
            text = src.read().decode(errors="replace")
    except (OSError, FileNotFoundError):
        return "failed (error file unreadable)"
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "failed (empty error file)"


def _ray_trials(run_dir: str) -> Iterator[Row]:
    """(id, status, config, last result, error) of each trial in Ray's experiment state."""
    from ray.tune import ExperimentAnalysis

    for trial in ExperimentAnalysis(run_dir).trials:
        error = _error_text(trial) if trial.status == "ERROR" else None
        status = {"TERMINATED": "ok", "ERROR": "failed"}.get(trial.status, "unfinished")
        yield trial.trial_id, status, dict(trial.config or {}), dict(trial.last_result or {}), error


def _local_trials(run_dir: str) -> Iterator[Row]:
    """The same of each trial the local engine ran (``trials.jsonl``; a restarted trial's last line)."""
    from search.engines.local import read_records

    latest = {r["trial_id"]: r for r in read_records(run_dir) if r["status"] != "reused"}
    for r in latest.values():
        yield r["trial_id"], r["status"], dict(r["config"]), dict(r["metrics"]), r.get("error")
