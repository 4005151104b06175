"""``realign-search cache info | clear``: what the cache holds, and removing it.

The cache (``$REALIGN_SEARCH_CACHE``, default the user cache dir) holds what trials rebuild on demand:
the tiny world (``tinyworld/``), tokenised data (``tokenised/``), the real stack's corpora and randomly
initialised weights (``real/``), and damaged entries moved aside (``damaged/``, see
``trainables.cache_health``). Clearing is always safe for results -- everything is rebuilt when next
needed -- but do not clear while a sweep runs: its trials read these files.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from spaces.errors import format_bytes
from trainables.cache import cache_dir
from trainables.cache_health import DAMAGED

AREAS = {  # folder -> what it holds
    "tinyworld": "the embedded tiny world (data, tokenizer, encoder), one folder per version and seed",
    "tokenised": "tokenised corpora and task sets, one folder per tokenizer x dataset x max length",
    "real": "the real stack's downloaded corpora and randomly initialised weights",
    DAMAGED: "damaged entries moved aside (kept for inspection)",
}
# What each `clear` flag removes; a damaged entry's name starts with its area.
CLEARED_BY = {"world": ("tinyworld", "real/models"), "tokenised": ("tokenised",)}


@dataclass
class Entry:
    area: str
    name: str
    bytes: int
    files: int


def register(subparsers: argparse._SubParsersAction) -> None:
    cache = subparsers.add_parser("cache", help="list or clear cached worlds and tokenised data",
                                  description="The cache ($REALIGN_SEARCH_CACHE, default the user cache dir) holds "
                                              "the tiny world, tokenised data, the real stack's corpora and "
                                              "weights, and damaged entries moved aside. Everything in it is "
                                              "rebuilt when next needed.")
    sub = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    info = sub.add_parser("info", help="list what is cached and its size")
    info.add_argument("--json", action="store_true", help="print the entries as JSON")
    info.set_defaults(func=_info)
    clear = sub.add_parser("clear", help="remove cached entries (everything, unless a flag narrows it)",
                           description="Remove cached entries; they are rebuilt when next needed. Without a "
                                       "flag: everything in the cache.")
    clear.add_argument("--world", action="store_true",
                       help="only the tiny world and cached model weights (tinyworld/, real/models/)")
    clear.add_argument("--tokenised", action="store_true", help="only the tokenised data (tokenised/)")
    clear.set_defaults(func=_clear)


def _size(path: Path) -> tuple[int, int]:
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
        children = [c for c in sorted(area.iterdir()) if not c.name.startswith(".")] \
            if area.name in ("tinyworld", "tokenised", DAMAGED) else [area]
        for child in children:
            size, files = _size(child)
            rows.append(Entry(area.name, child.name if child is not area else "", size, files))
    return rows


def _info(args: argparse.Namespace) -> int:
    root = cache_dir()
    rows = entries(root)
    if args.json:
        print(json.dumps({"cache": str(root), "entries": [asdict(r) for r in rows],
                          "bytes": sum(r.bytes for r in rows)}, indent=2))
        return 0
    print(f"cache: {root} ($REALIGN_SEARCH_CACHE)")
    for area in dict.fromkeys(r.area for r in rows):
        mine = [r for r in rows if r.area == area]
        count = f"{len(mine)} entr{'y' if len(mine) == 1 else 'ies'}"
        print(f"{area}/  {format_bytes(sum(r.bytes for r in mine))} in {count}"
              f"  -- {AREAS.get(area, 'not made by realign-search')}")
        for r in mine if area != "tokenised" else []:
            if r.name:
                print(f"  {r.name:<48} {format_bytes(r.bytes):>10}  {r.files} files")
    print(f"total: {format_bytes(sum(r.bytes for r in rows))}")
    return 0


def _clear(args: argparse.Namespace) -> int:
    root = cache_dir()
    chosen = [flag for flag in ("world", "tokenised") if getattr(args, flag)]
    targets: list[Path] = []
    if not chosen:
        targets = [p for p in root.iterdir()] if root.is_dir() else []
    else:
        for flag in chosen:
            for area in CLEARED_BY[flag]:
                targets.append(root / area)
                prefix = area.replace("/", "-") + "-"
                if (root / DAMAGED).is_dir():
                    targets += [p for p in (root / DAMAGED).iterdir() if p.name.startswith(prefix)]
    freed = 0
    for target in targets:
        if not target.exists() and not target.is_symlink():
            continue
        freed += _size(target)[0]
        _remove(target)
        print(f"removed {target}")
    print(f"freed {format_bytes(freed)} in {root}")
    return 0


def _remove(path: Path) -> None:
    """Rename first, then delete: a reader never sees half an entry, and an interrupted clear leaves
    only a hidden folder behind."""
    if path.is_dir() and not path.is_symlink():
        doomed = path.with_name(f".{path.name}.clearing-{os.getpid()}")
        os.rename(path, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
