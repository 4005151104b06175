"""Never replace a good file by a partial one: write a hidden sibling, then rename it over the old copy.

A write that fails half-way (full disk, kill -9) then leaves the previous copy in place, and readers
never see half a file. Renaming within one directory is atomic on POSIX filesystems and needs no
space, so the only way to run out of space is while the sibling is written, before anything changed.

Ray Tune does this for its own state only in the local staging folder it writes first; it then copies
that folder (``experiment_state-*.json``, ``searcher-state-*.pkl``, ``search_gen_state-*.json``, each
trial's ``result.json``, ``error.pkl``, ...) into the run directory with ``pyarrow.fs.copy_files``,
which truncates and rewrites every file in place (``ray.train._internal.storage._upload_to_fs_path``,
Ray 2.60). On a full disk that left 0-byte state files and a run that could not be resumed (issue 15).
``install_atomic_state_upload`` replaces that one upload, for run directories on a local filesystem,
by ``upload_dir_atomically``: every changed file is written to a sibling first, and only when all of
them are complete are they renamed into place, the experiment state last, so the searcher state on disk
is never older than the trial table that refers to it. Cloud stores (``s3://``) keep Ray's upload: an
object PUT is already all-or-nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

PARTIAL = ".partial-"  # marks a sibling being written: `.NAME.partial-PID`
EXPERIMENT_STATE_PREFIX = "experiment_state-"  # Ray's trial table; renamed last (see module docstring)


def partial_path(path: Path) -> Path:
    """The hidden sibling ``path`` is written to first (per process, so two writers never share one)."""
    return path.with_name(f".{path.name}{PARTIAL}{os.getpid()}")


def _fsync(path: Path) -> None:
    """Some filesystems (NFS, quotas) report a full disk only when the data is flushed: ask now, before
    the rename, rather than after it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; it replaces ``path`` only if the block completes."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(final)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: str | os.PathLike, data: str | bytes) -> None:
    """``path`` holds ``data`` afterwards, or (after any error) exactly what it held before."""
    with atomic_output(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


# ------------------------------------------------------------------------------- Ray's state upload
def _unchanged(src: os.stat_result, dst: Path) -> bool:
    """``copy2`` keeps the modification time, so a destination with the source's size and time is a
    finished copy of it: skipping it keeps each upload (every controller step) small."""
    try:
        st = dst.stat()
    except FileNotFoundError:
        return False
    return st.st_size == src.st_size and st.st_mtime_ns == src.st_mtime_ns


def _rename_order(final: Path) -> tuple[bool, str]:
    return final.name.startswith(EXPERIMENT_STATE_PREFIX), str(final)


def upload_dir_atomically(local_dir: str | os.PathLike, dest_dir: str | os.PathLike) -> int:
    """Copy every new or changed file under ``local_dir`` into ``dest_dir``; returns how many.

    All or nothing: the copies go to hidden siblings, and are renamed into place only once every one of
    them is complete. On any error the siblings are removed and the destination is as it was.
    """
    local, dest = Path(local_dir), Path(dest_dir)
    written: list[tuple[Path, Path]] = []
    current: Path | None = None
    try:
        for root, _dirs, files in os.walk(local):
            target = dest / Path(root).relative_to(local)
            target.mkdir(parents=True, exist_ok=True)
            for name in files:
                if PARTIAL in name:  # another writer's sibling inside the staging folder
                    continue
                src, final = Path(root, name), target / name
                try:
                    info = src.stat()
                except FileNotFoundError:  # Ray replaced it while we walked: the next upload takes it
                    continue
                if _unchanged(info, final):
                    continue
                current = partial_path(final)
                try:
                    shutil.copy2(src, current)
                    _fsync(current)
                except OSError as err:  # name the file that did not fit, not its hidden sibling
                    err.filename, err.filename2 = str(src), str(final)
                    raise
                written.append((current, final))
                current = None
        for tmp, final in sorted(written, key=lambda pair: _rename_order(pair[1])):
            os.replace(tmp, final)
        count = len(written)
        written.clear()
        return count
    finally:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)
        if current is not None:
            current.unlink(missing_ok=True)


def install_atomic_state_upload(on_error: Callable[[BaseException, str], bool] | None = None) -> None:
    """Route Ray's upload of its staged experiment state to local run directories through
    ``upload_dir_atomically`` (idempotent; the driver process only: that is where the upload runs).

    ``on_error(err, dest)`` sees a failed upload first; when it returns True the error is considered
    handled and not raised into Ray's syncer thread (which would only log it, with a traceback, and
    carry on).
    """
    import pyarrow.fs
    from ray.train._internal import storage

    original = storage._upload_to_fs_path
    if getattr(original, "_realign_search_atomic", False):
        original = original._realign_search_original

    def upload(local_path: str, fs: pyarrow.fs.FileSystem, fs_path: str, exclude: list | None = None) -> None:
        if exclude or not isinstance(fs, pyarrow.fs.LocalFileSystem) or not os.path.isdir(local_path):
            return original(local_path, fs, fs_path, exclude)
        try:
            upload_dir_atomically(local_path, fs_path)
        except Exception as err:
            if on_error is None or not on_error(err, fs_path):
                raise

    upload._realign_search_atomic = True
    upload._realign_search_original = original
    storage._upload_to_fs_path = upload
