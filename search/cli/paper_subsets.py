"""``realign-search paper-subsets``: every list the paper ran (the ``paper:<name>`` strategies), with the
sizes and seeds run and where a list contradicts its own name; ``--overlap``: our heuristics against them."""

from __future__ import annotations

import argparse

from search.cli.common import command, print_json
from spaces.formats import fmt_number


def register(subparsers: argparse._SubParsersAction) -> None:
    pap = command(
        subparsers,
        "paper-subsets",
        run,
        help="list the paper's own subsets (paper:<name>) and where they contradict their names",
        description="Every list the paper realigned on, as the paper:<name> strategies of `select` and of "
        "search spaces, with the sizes and seeds it ran and whether a list contradicts its own "
        "name by its own criterion; --overlap compares our computed heuristics with them.",
    )
    pap.add_argument(
        "--overlap",
        action="store_true",
        help="our computed heuristic on the full pool vs the paper's list: shared languages and the criterion of each",
    )
    pap.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    from spaces.paper import mislabelled

    rows = overlap_rows() if args.overlap else listing_rows()
    if args.json:
        print_json({"rows": rows, "mislabelled": mislabelled()})
        return 0
    headers = list(rows[0])
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---:" if isinstance(rows[0][h], (int, float)) else "---" for h in headers) + "|")
    for row in rows:
        print("| " + " | ".join(_cell(row[h]) for h in headers) + " |")
    if not args.overlap:
        print()
        for folder, why in mislabelled().items():
            print(f"left out: {folder}: {why}")
    return 0


def _cell(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(map(str, value)) or "–"
    return fmt_number(value, ".2f", missing="–")


def _goal_text(strategy: str) -> str:
    from spaces.heuristics import STRATEGY_OBJECTIVES

    goal = STRATEGY_OBJECTIVES[strategy]
    return f"{'max' if goal.maximise else 'min'} {goal.kind} sum{' with en' if goal.with_english else ''}"


def listing_rows() -> list[dict]:
    """One row per paper strategy and size: its folder, seeds, what ran it and what its name promises."""
    from spaces.paper import PREFIX, name_checks, paper_lists

    rows: dict[tuple[str, int], dict] = {}
    for plist in paper_lists():
        row = rows.setdefault(
            (plist.strategy, plist.size),
            {
                "strategy": PREFIX + plist.strategy,
                "size": plist.size,
                "folder": plist.folder,
                "seeds": [],
                "ran": len(plist.ran),
                "flags": list(name_checks()[plist.folder]),
            },
        )
        if plist.seed is not None:
            row["seeds"].append(plist.seed)
    return list(rows.values())


def overlap_rows() -> list[dict]:
    """Our computed heuristic (full pool) against the paper's list, for every paper folder named after one:
    languages shared and both values of the folder's criterion."""
    from spaces.heuristics import STRATEGIES, select
    from spaces.paper import PREFIX, criterion, criterion_value, name_checks, paper_lists

    rows = []
    for plist in paper_lists():
        rule = criterion(PREFIX + plist.strategy)
        if plist.strategy not in STRATEGIES or rule is None or rule.maximise is None:
            continue
        ours = select(plist.strategy, plist.size)
        rows.append(
            {
                "strategy": plist.strategy,
                "size": plist.size,
                "shared": len(set(ours) & set(plist.languages)),
                "criterion": "scripts" if rule.kind == "scripts" else _goal_text(rule.kind),
                "paper": criterion_value(rule.kind, plist.languages),
                "ours": criterion_value(rule.kind, ours),
                "paper's flags": "contradicts its name" if name_checks()[plist.folder] else "",
            }
        )
    return rows
