"""Where expensive, shareable artefacts live (tiny world, tokenised corpora, pretrained weights), and
what is in there.

The cache (``$REALIGN_SEARCH_CACHE``, default the user cache dir) holds what trials rebuild on demand:
the tiny world (``tinyworld/``), tokenised data (``tokenised/``), the real stack's corpora and randomly
initialised weights (``real/``), and damaged entries moved aside (``damaged/``, see
``trainables.cache_health``). Clearing is always safe for results -- everything is rebuilt when next
needed -- but not while a sweep runs: its trials read these files.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_dir

DAMAGED = "damaged"  # CACHE/damaged/<area>-<entry>-<time>: entries moved aside
AREAS = {  # folder -> what it holds
    "tinyworld": "the embedded tiny world (data, tokenizer, encoder), one folder per version and seed",
    "tokenised": "tokenised corpora and task sets, one folder per tokenizer x dataset x max length",
    "real": "the real stack's downloaded corpora and randomly initialised weights",
    DAMAGED: "damaged entries moved aside (kept for inspection)",
}
# What each `cache clear` flag removes; a damaged entry's name starts with its area.
CLEARED_BY = {"world": ("tinyworld", "real/models"), "tokenised": ("tokenised",)}


def cache_dir(*parts: str) -> Path:
    """``$REALIGN_SEARCH_CACHE`` (CI, clusters with shared disks) or the user cache dir, created."""
    root = Path(os.environ.get("REALIGN_SEARCH_CACHE") or user_cache_dir("realign-search"))
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Entry:
    area: str
    name: str
    bytes: int
    files: int


def size_of(path: Path) -> tuple[int, int]:
    """Bytes and files under ``path`` (a file or a folder; unreadable files skipped)."""
    if path.is_file():
        return path.stat().st_size, 1
    total = files = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
                files += 1
            except OSError:
                continue
    return total, files


def entries(root: Path) -> list[Entry]:
    """One row per entry (a world, a tokenised set, a damaged copy); ``real`` as one row."""
    rows = []
    for area in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        children = (
            [c for c in sorted(area.iterdir()) if not c.name.startswith(".")]
            if area.name in ("tinyworld", "tokenised", DAMAGED)
            else [area]
        )
        for child in children:
            size, files = size_of(child)
            rows.append(Entry(area.name, child.name if child is not area else "", size, files))
    return rows


def clear_targets(root: Path, flags: list[str]) -> list[Path]:
    """What ``cache clear`` removes: everything under ``root``, or the areas of ``flags`` (``CLEARED_BY``)
    with their damaged copies."""
    if not flags:
        return [p for p in root.iterdir()] if root.is_dir() else []
    targets: list[Path] = []
    for flag in flags:
        for area in CLEARED_BY[flag]:
            targets.append(root / area)
            prefix = area.replace("/", "-") + "-"
            if (root / DAMAGED).is_dir():
                targets += [p for p in (root / DAMAGED).iterdir() if p.name.startswith(prefix)]
    return targets


def remove(path: Path) -> None:
    """Rename first, then delete: a reader never sees half an entry, and an interrupted clear leaves
    only a hidden folder behind."""
    if path.is_dir() and not path.is_symlink():
        doomed = path.with_name(f".{path.name}.clearing-{os.getpid()}")
        os.rename(path, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
