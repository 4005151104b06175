"""No command ends in a traceback: a full disk or an unexpected error is one paragraph and exit status 1,
with the traceback in a log file (the run folder's, else the user log folder, saying which and why)."""

from __future__ import annotations

import errno
import pickle

import pytest

import search.report
import search.resume
from search.cli import main
from search.faults import LOG_NAME
from spaces.errors import DiskFullError, as_disk_full, disk_full_cause


@pytest.fixture
def user_logs(tmp_path, monkeypatch):
    """platformdirs puts the user log folder under $XDG_STATE_HOME on Linux."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "realign-search" / "log"


def _run_dir(tmp_path):
    run_dir = tmp_path / "runs" / "mini"
    run_dir.mkdir(parents=True)
    (run_dir / "tuner.pkl").write_bytes(b"x")
    return run_dir


def _paragraph(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_an_unexpected_error_is_one_paragraph_with_the_traceback_in_the_run_folder(tmp_path, capsys, monkeypatch):
    run_dir = _run_dir(tmp_path)

    def crash(*args, **kwargs):
        raise KeyError("objectives")

    monkeypatch.setattr(search.report, "report_run", crash)
    assert main(["report", str(run_dir)]) == 1
    err = _paragraph(capsys)
    log = run_dir / LOG_NAME
    assert "realign-search report failed: KeyError: 'objectives'" in err and f"in the run folder: {log}" in err
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "def crash" not in text and "crash" in text


def test_without_a_run_folder_the_log_goes_to_the_user_log_folder_and_says_why(
    tmp_path, capsys, monkeypatch, user_logs
):
    def crash(*args, **kwargs):
        raise RuntimeError("ray head went away")

    monkeypatch.setattr(search.report, "report_run", crash)
    assert main(["report", str(tmp_path / "no-such-run")]) == 1
    err = _paragraph(capsys)
    assert f"in the user log folder (the run folder does not exist): {user_logs / LOG_NAME}" in err
    assert "ray head went away" in (user_logs / LOG_NAME).read_text()


def test_an_unwritable_run_folder_falls_back_and_says_so(tmp_path, capsys, monkeypatch, user_logs):
    run_dir = _run_dir(tmp_path)
    (run_dir / LOG_NAME).mkdir()  # the log file cannot be opened there (works for root too)

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(search.report, "report_run", crash)
    assert main(["report", str(run_dir)]) == 1
    assert "in the user log folder (the run folder is not writable)" in _paragraph(capsys)


def test_a_full_disk_during_a_sweep_is_one_paragraph_with_the_path_and_how_to_go_on(tmp_path, capsys, monkeypatch):
    run_dir = _run_dir(tmp_path)

    def sweep(*args, **kwargs):
        raise DiskFullError(str(run_dir / "trial_1"), "[Errno 28] No space left on device")

    monkeypatch.setattr(search.resume, "resume_sweep", sweep)
    assert main(["resume", str(run_dir)]) == 1
    err = _paragraph(capsys)
    assert err.startswith(f"realign-search resume: no space left on the disk holding {run_dir / 'trial_1'}")
    assert "free there now" in err and f"realign-search resume {run_dir}" in err
    assert not (run_dir / LOG_NAME).exists()  # nothing to debug: the paragraph says it all


def test_a_raw_enospc_anywhere_reads_as_a_full_disk(tmp_path, capsys, monkeypatch):
    def report(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "report.md"))

    monkeypatch.setattr(search.report, "report_run", report)
    assert main(["report", str(_run_dir(tmp_path))]) == 1
    err = _paragraph(capsys)
    assert f"no space left on the disk holding {tmp_path / 'report.md'}" in err and "resume" not in err


def test_disk_full_is_recognised_through_ray_and_library_wrappings(tmp_path):
    pyarrow_style = OSError("[Errno 28] Error writing bytes to file. Detail: [errno 28] No space left on device")
    assert disk_full_cause(pyarrow_style) is pyarrow_style
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("checkpoint failed") from inner
    except RuntimeError as outer:
        assert as_disk_full(outer, "/runs/x").path == "/runs/x"
    assert as_disk_full(ValueError("mmap length is greater than file size"), "/x") is None
    # numpy and torch lose the errno; a failed write with no room left still counts, and only then
    assert as_disk_full(OSError("4000 requested and 0 written"), tmp_path, wrote=1 << 60) is not None
    assert as_disk_full(OSError("4000 requested and 0 written"), tmp_path, wrote=10) is None
    full = pickle.loads(pickle.dumps(DiskFullError("/runs/x", "detail")))  # crosses from Ray workers intact
    assert (full.path, full.detail, full.errno) == ("/runs/x", "detail", errno.ENOSPC)
