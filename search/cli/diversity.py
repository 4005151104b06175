"""``realign-search diversity``: how diverse any language subset is (any code form)."""

from __future__ import annotations

import argparse

from search.cli.common import codes_from_flags, command, diversity_summary, language_table, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    div = command(
        subparsers,
        "diversity",
        run,
        help="report how diverse any language subset is",
        description="Typological diversity of a language subset; accepts paper codes, ISO 639-3 and aliases.",
    )
    div.add_argument(
        "languages",
        nargs="+",
        metavar="LANG",
        help="language codes (paper code, ISO 639-3 or alias; commas also separate)",
    )
    div.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    from spaces.diversity import diversity_report

    report = diversity_report(codes_from_flags(args.languages), field="LANG")
    if args.json:
        print_json(report.to_dict())
        return 0
    print("\n".join(language_table(report.languages)))
    print()
    print("\n".join(diversity_summary(report)))
    return 0
