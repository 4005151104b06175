"""``realign-search cache info | clear``: what the cache holds, and removing it (``trainables.cache``)."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from search.cli.common import command, print_json
from spaces.formats import format_bytes


def register(subparsers: argparse._SubParsersAction) -> None:
    cache = subparsers.add_parser(
        "cache",
        help="list or clear cached worlds and tokenised data",
        description="The cache ($REALIGN_SEARCH_CACHE, default the user cache dir) holds "
        "the tiny world, tokenised data, the real stack's corpora and "
        "weights, and damaged entries moved aside. Everything in it is "
        "rebuilt when next needed.",
    )
    sub = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    info = command(sub, "info", _info, help="list what is cached and its size")
    info.add_argument("--json", action="store_true", help="print the entries as JSON")
    clear = command(
        sub,
        "clear",
        _clear,
        help="remove cached entries (everything, unless a flag narrows it)",
        description="Remove cached entries; they are rebuilt when next needed. Without a "
        "flag: everything in the cache.",
    )
    clear.add_argument(
        "--world", action="store_true", help="only the tiny world and cached model weights (tinyworld/, real/models/)"
    )
    clear.add_argument("--tokenised", action="store_true", help="only the tokenised data (tokenised/)")


def _info(args: argparse.Namespace) -> int:
    from trainables.cache import AREAS, cache_dir, entries

    root = cache_dir()
    rows = entries(root)
    if args.json:
        print_json({"cache": str(root), "entries": [asdict(r) for r in rows], "bytes": sum(r.bytes for r in rows)})
        return 0
    print(f"cache: {root} ($REALIGN_SEARCH_CACHE)")
    for area in dict.fromkeys(r.area for r in rows):
        mine = [r for r in rows if r.area == area]
        count = f"{len(mine)} entr{'y' if len(mine) == 1 else 'ies'}"
        print(
            f"{area}/  {format_bytes(sum(r.bytes for r in mine))} in {count}"
            f"  -- {AREAS.get(area, 'not made by realign-search')}"
        )
        for r in mine if area != "tokenised" else []:
            if r.name:
                print(f"  {r.name:<48} {format_bytes(r.bytes):>10}  {r.files} files")
    print(f"total: {format_bytes(sum(r.bytes for r in rows))}")
    return 0


def _clear(args: argparse.Namespace) -> int:
    from trainables.cache import cache_dir, clear_targets, remove, size_of

    root = cache_dir()
    freed = 0
    for target in clear_targets(root, [flag for flag in ("world", "tokenised") if getattr(args, flag)]):
        if not target.exists() and not target.is_symlink():
            continue
        freed += size_of(target)[0]
        remove(target)
        print(f"removed {target}")
    print(f"freed {format_bytes(freed)} in {root}")
    return 0
