"""A write that fails half-way leaves the previous copy: our run files, and Ray's state upload to the run folder.

The failure is injected (``OSError(ENOSPC)`` from the copy) so it needs no privileges; one test fills a
real tmpfs where one can be mounted.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from search import atomic
from search.atomic import atomic_write, install_atomic_state_upload, upload_dir_atomically

ENOSPC = OSError(errno.ENOSPC, "No space left on device")


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_atomic_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "run_info.json"
    atomic_write(target, "old")
    atomic_write(target, "new")
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["run_info.json"]


def test_atomic_write_keeps_the_old_copy_when_the_disk_is_full(tmp_path, monkeypatch):
    target = tmp_path / "search_config.json"
    atomic_write(target, "the good copy")

    def full(path):
        raise ENOSPC

    monkeypatch.setattr(atomic, "_fsync", full)  # the data could not be flushed: the disk is full
    with pytest.raises(OSError) as err:
        atomic_write(target, "x" * 10_000)
    assert err.value.errno == errno.ENOSPC
    assert target.read_text() == "the good copy"
    assert [p.name for p in tmp_path.iterdir()] == ["search_config.json"]  # no partial sibling left


def _staging(tmp_path: Path, version: str) -> Path:
    """A Ray driver staging folder as Ray 2.60 lays it out."""
    root = tmp_path / f"staging-{version}"
    (root / "trial_a").mkdir(parents=True)
    (root / "experiment_state-2026.json").write_text(f'{{"state": "{version}"}}')
    (root / "searcher-state-2026.pkl").write_bytes(f"searcher {version}".encode())
    (root / "search_gen_state-2026.json").write_bytes(f"generator {version}".encode())
    (root / "trial_a" / "result.json").write_text(f'{{"v": "{version}"}}\n')
    return root


def test_state_upload_is_all_or_nothing(tmp_path, monkeypatch):
    dest = tmp_path / "run"
    assert upload_dir_atomically(_staging(tmp_path, "1"), dest) == 4
    first = _files(dest)
    new = _staging(tmp_path, "2")
    copies = []
    real_copy = shutil.copy2

    def copy_then_fill_the_disk(src, dst, *args, **kwargs):
        copies.append(dst)
        if len(copies) == 3:
            Path(dst).write_bytes(b"half")  # as far as it got
            raise ENOSPC
        return real_copy(src, dst, *args, **kwargs)

    monkeypatch.setattr(atomic.shutil, "copy2", copy_then_fill_the_disk)
    with pytest.raises(OSError):
        upload_dir_atomically(new, dest)
    assert _files(dest) == first  # not one file of the new state: the set stays consistent
    monkeypatch.setattr(atomic.shutil, "copy2", real_copy)
    renamed = []
    real_replace = os.replace
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (renamed.append(Path(b).name), real_replace(a, b)))
    assert upload_dir_atomically(new, dest) == 4
    assert _files(dest) == _files(new)
    assert renamed[-1] == "experiment_state-2026.json"  # the trial table last: the searcher is never older
    assert upload_dir_atomically(new, dest) == 0  # unchanged files are not copied again


def test_ray_upload_is_routed_through_the_atomic_copy(tmp_path, monkeypatch):
    import pyarrow.fs
    from ray.train._internal import storage

    monkeypatch.setattr(storage, "_upload_to_fs_path", storage._upload_to_fs_path)  # restored afterwards
    seen = []
    install_atomic_state_upload(on_error=lambda err, dest: seen.append((err.errno, dest)) or True)
    install_atomic_state_upload(on_error=lambda err, dest: seen.append((err.errno, dest)) or True)
    assert not getattr(storage._upload_to_fs_path._realign_search_original, "_realign_search_atomic", False)
    dest = tmp_path / "run"
    storage._upload_to_fs_path(str(_staging(tmp_path, "1")), pyarrow.fs.LocalFileSystem(), str(dest))
    assert _files(dest) == _files(tmp_path / "staging-1")

    monkeypatch.setattr(atomic.shutil, "copy2", lambda *a, **k: (_ for _ in ()).throw(ENOSPC))
    storage._upload_to_fs_path(str(_staging(tmp_path, "2")), pyarrow.fs.LocalFileSystem(), str(dest))
    assert seen == [(errno.ENOSPC, str(dest))]  # handed to the hook, not raised into Ray's syncer thread
    assert _files(dest) == _files(tmp_path / "staging-1")


def test_state_upload_on_a_real_full_disk_keeps_the_old_state(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); the injected-failure tests cover this")
    try:
        dest = disk / "run"
        upload_dir_atomically(_staging(tmp_path, "1"), dest)
        first = _files(dest)
        big = _staging(tmp_path, "2")
        (big / "experiment_state-2026.json").write_bytes(b"x" * 2_000_000)  # more than the disk holds
        with pytest.raises(OSError) as err:
            upload_dir_atomically(big, dest)
        assert err.value.errno == errno.ENOSPC
        assert _files(dest) == first
        assert not [p for p in dest.rglob("*") if atomic.PARTIAL in p.name]
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
