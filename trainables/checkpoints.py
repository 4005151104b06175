"""Where a Tune trial's checkpoints are, so a restarted trial can go on from its last good one.

Tune hands a restarted trial the checkpoint its saved state names. When the disk filled between Ray
writing a new checkpoint and saving the state that names it, that checkpoint may be gone (Ray deleted
it in favour of its successor) or the state may name none at all. The trial's folder still holds its
newest checkpoints, and ``checkpoint_candidates`` offers them after Tune's own, newest first; the
trainable takes the first one it can read. Kept free of torch: cheap to import in any trainable.
"""

from __future__ import annotations

from collections.abc import Iterator

CHECKPOINT_PREFIX = "checkpoint_"  # Ray's name for a trial's checkpoint folders


def trial_storage():
    """``(filesystem, trial folder)`` of this trial on the storage path, or None outside a Tune trial."""
    from ray import tune

    try:
        storage = tune.get_context().get_storage()
        return storage.storage_filesystem, storage.trial_fs_path
    except Exception:  # noqa: BLE001 - a developer API; without it there are simply no other candidates
        return None


def checkpoint_candidates(handed) -> Iterator:
    """Tune's checkpoint (``handed``) first, then the trial's other checkpoint folders, newest first.

    A trial Ray restarts from scratch (``--restart-errored``) gets a new id and an empty folder, so it
    never finds an old checkpoint here."""
    from pyarrow.fs import FileSelector, FileType
    from ray import tune

    if handed is not None:
        yield handed
    located = trial_storage()
    if located is None:
        return
    fs, trial_dir = located
    try:
        infos = fs.get_file_info(FileSelector(trial_dir, allow_not_found=True))
    except OSError:
        return
    handed_path = None if handed is None else handed.path.rstrip("/")
    folders = sorted(
        (
            i.path
            for i in infos
            if i.type == FileType.Directory
            and i.base_name.startswith(CHECKPOINT_PREFIX)
            and i.path.rstrip("/") != handed_path
        ),
        reverse=True,
    )
    for path in folders:
        yield tune.Checkpoint(path=path, filesystem=fs)
