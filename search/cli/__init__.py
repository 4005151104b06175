"""The ``realign-search`` command line: one module per command in this package, wired together here.

Each command module has ``register(subparsers)``, which adds its parser and sets ``func`` to a callable
``(args) -> exit status`` (``search.cli.common.command``); ``COMMANDS`` lists them in ``--help`` order.
Command modules print; the library under them only returns values and raises. This file makes sure no
command ends in a traceback: a ConfigError is one paragraph and exit status 2 (bad input never leaves a half-made run);
a full disk, a cache entry that cannot be rebuilt, or anything unexpected is one paragraph and exit
status 1, the unexpected with its traceback in a log file (``search.faults``). A command that knows its
run folder sets ``args.run_dir``: the log goes there.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from spaces.errors import CacheEntryError, ConfigError

# One module per command (search.cli.<module>), in the order the commands appear in --help.
COMMANDS = (
    "select",
    "diversity",
    "paper_subsets",
    "world",
    "trial",
    "run",
    "resume",
    "report",
    "check",
    "compare",
    "export",
    "cache",
    "study",
)


def package_version() -> str:
    """The installed distribution's version (``pyproject.toml``), or ``unknown`` from a bare checkout."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("realign-search")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="realign-search",
        description="Search language subsets and realignment hyperparameters for multilingual encoders.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as err:
        print(f"realign-search {args.command}: {err}", file=sys.stderr)
        return 2
    except CacheEntryError as err:
        print(f"realign-search {args.command}: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nrealign-search {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the one place every other failure becomes a paragraph
        from search.faults import disk_full_paragraph, unexpected_paragraph
        from spaces.errors import as_disk_full

        run_dir = getattr(args, "run_dir", None)
        full = as_disk_full(err, run_dir or ".")
        print(
            disk_full_paragraph(args.command, full, run_dir)
            if full is not None
            else unexpected_paragraph(args.command, err, run_dir),
            file=sys.stderr,
        )
        return 1
