"""What the console shows when a command meets a fault: one paragraph, never a traceback.

A full disk names the path, the error and the free space, and (for ``run`` / ``resume``) how to continue;
``search.disk_full`` is what stops a sweep cleanly when the disk fills. Anything else unexpected is one
paragraph saying what failed and where the full traceback was written: the run folder when there is one
that can be written, else the user log folder, else the temp folder (the paragraph says which and why).
"""

from __future__ import annotations

import sys
import tempfile
import time
import traceback
from pathlib import Path

from spaces.errors import DiskFullError, free_bytes
from spaces.formats import format_bytes

LOG_NAME = "realign-search.log"


# ------------------------------------------------------------------------------------- a full disk
def free_space(path: str) -> str:
    """``"12.0 MiB free"`` on the filesystem of ``path``, or ``""`` when unknown."""
    free = free_bytes(path)
    return "" if free is None else f"{format_bytes(free)} free"


def resumable(run_dir: str | None) -> bool:
    """Whether ``run_dir`` holds a sweep ``resume`` can continue (Ray's ``tuner.pkl`` or the local engine's
    ``trials.jsonl``; remote: assumed)."""
    from search.engines.local import TRIALS_FILE
    from search.run_files import is_uri

    return bool(run_dir) and (
        is_uri(run_dir) or Path(run_dir, "tuner.pkl").is_file() or Path(run_dir, TRIALS_FILE).is_file()
    )


def disk_full_paragraph(command: str, full: DiskFullError, run_dir: str | None) -> str:
    free = free_space(full.path)
    text = f"realign-search {command}: {full}" + (f"; {free} there now" if free else "") + "."
    if command in ("run", "resume") and resumable(run_dir):
        text += (
            " The sweep stopped and its last saved state is intact: finished trials are kept and "
            "unfinished ones continue from their last checkpoint. Free some space (search.keep_models "
            f'= "none" keeps the least), then continue with: realign-search resume {run_dir}'
        )
    elif command == "run":
        text += " Nothing was started; free some space and run again."
    return text


# ------------------------------------------------------------------------------------- anything else
def log_candidates(run_dir: str | None) -> list[tuple[Path, str]]:
    """Where a traceback may go, in order, with how the paragraph names the place."""
    from platformdirs import user_log_dir

    from search.run_files import is_uri

    places = []
    if run_dir and not is_uri(run_dir) and Path(run_dir).is_dir():
        places.append((Path(run_dir, LOG_NAME), "in the run folder"))
    reason = (
        "the run folder does not exist"
        if not run_dir or is_uri(run_dir) or not Path(run_dir).is_dir()
        else "the run folder is not writable"
    )
    places.append((Path(user_log_dir("realign-search"), LOG_NAME), f"in the user log folder ({reason})"))
    places.append((Path(tempfile.gettempdir(), LOG_NAME), f"in the temp folder ({reason})"))
    return places


def write_log(command: str, err: BaseException, run_dir: str | None) -> tuple[Path, str] | None:
    """Append the traceback to the first writable log file; None if none could be written."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    text = (
        f"=== {stamp} realign-search {command} ({' '.join(sys.argv)})\n"
        + "".join(traceback.format_exception(err))
        + "\n"
    )
    for path, where in log_candidates(run_dir):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as out:
                out.write(text)
            return path, where
        except OSError:
            continue
    return None


def unexpected_paragraph(command: str, err: BaseException, run_dir: str | None) -> str:
    """One paragraph for an exception nobody anticipated; its traceback goes to a log file."""
    logged = write_log(command, err, run_dir)
    message = " ".join(str(err).split()) or "(no message)"
    if len(message) > 300:
        message = message[:297] + "..."
    text = f"realign-search {command} failed: {type(err).__name__}: {message}."
    if logged is not None:
        path, where = logged
        text += f" The full traceback is {where}: {path}"
    else:
        text += " The traceback could not be written to any log file (run folder, user log folder, temp folder)."
    if command in ("run", "resume") and resumable(run_dir):
        text += f". What had finished is kept; continue with: realign-search resume {run_dir}"
    return text
