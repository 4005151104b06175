"""The ``realign-search`` command line.

Each area of the product registers its own subcommands (``register(subparsers)`` in its
``commands`` module); this file only wires them together and turns a ConfigError into one
paragraph on stderr and exit status 2, so bad input never produces a traceback or a half-made run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from spaces.errors import ConfigError

# Modules that contribute subcommands, in the order their commands appear in --help.
COMMAND_MODULES = (
    "spaces.commands",          # select, diversity, paper-subsets
    "trainables.world_commands",  # world build
    "trainables.commands",      # trial
    "search.commands",          # run, resume, report
    "trainables.published_commands",  # study
)


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="realign-search",
        description="Search language subsets and realignment hyperparameters for multilingual encoders.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as err:
        print(f"realign-search {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
