"""``realign-search compare RUN_DIR``: a run's per-language scores beside the paper's published ones."""

from __future__ import annotations

import argparse

from search.cli.common import command, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    compare = command(
        subparsers,
        "compare",
        run,
        help="a run's per-language scores beside the paper's published ones",
        description="For every finished trial of the sweep in RUN_DIR whose subset the paper measured (same "
        "model and task), print each language's score, the paper's seed mean and the difference, "
        "and the mean absolute difference. A run with no such trial is refused.",
    )
    compare.add_argument("run_dir", metavar="RUN_DIR")
    compare.add_argument(
        "--trial", action="append", default=[], metavar="ID", help="compare only this trial (repeatable)"
    )
    compare.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    from search.compare import compare_run, format_comparison

    result = compare_run(args.run_dir, args.trial)
    if args.json:
        print_json(result.to_json())
    else:
        print(format_comparison(result))
    return 0
