"""``realign-search world build | info``: build or inspect the embedded tiny world ahead of a sweep.

Building ahead is optional (the world builds itself on first use) but lets a cluster warm its shared
cache once instead of every worker racing to do it.
"""

from __future__ import annotations

import argparse
import json

from search.cli.common import command
from spaces.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    world = subparsers.add_parser("world", help="build or inspect the embedded tiny world")
    sub = world.add_subparsers(dest="world_command", required=True, metavar="ACTION")
    build = command(sub, "build", _build, help="generate the data and pretrain the tiny encoder (cached)")
    build.add_argument("--seed", type=int, default=0, help="world seed (default 0)")
    build.add_argument("--force", action="store_true", help="rebuild even if the cache holds it")
    info = command(sub, "info", _info, help="print where a built world lives and what it holds")
    info.add_argument("--seed", type=int, default=0)


def _check_seed(seed: int) -> None:
    if seed < 0:
        raise ConfigError("--seed", f"{seed} is not a non-negative integer")


def _build(args: argparse.Namespace) -> int:
    _check_seed(args.seed)
    from trainables.tinyworld import ensure_world, load_world

    path = ensure_world(args.seed, rebuild=args.force)
    world = load_world(args.seed)
    print(f"tiny world seed {args.seed}: {path} (built in {world.manifest['build_seconds']} s)")
    return 0


def _info(args: argparse.Namespace) -> int:
    _check_seed(args.seed)
    from trainables.tinyworld import load_world

    world = load_world(args.seed, build_if_missing=False)
    summary = {k: world.manifest[k] for k in ("version", "seed", "build_seconds", "encoder", "sizes")}
    summary["path"] = str(world.path)
    summary["languages"] = {
        "pretraining": len(world.pretraining_languages()),
        "parallel": len(world.parallel_languages()),
        "tasks": len(world.task_languages("pos")),
    }
    print(json.dumps(summary, indent=2))
    return 0
