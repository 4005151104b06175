"""``realign-search select``: a subset from one of the paper's heuristics (computed), or the paper's own
list (``paper:<name>``), as a table for reading or ``--json`` for scripts.

Errors name the command-line flag (not the config path the library uses).
"""

from __future__ import annotations

import argparse

from search.cli.common import (
    codes_from_flags,
    command,
    diversity_summary,
    flags_named,
    language_table,
    print_json,
)

FLAG_FOR_FIELD = {
    "subset.strategy": "--strategy",
    "subset.size": "--size",
    "subset.pool": "--pool",
    "subset.include": "--include",
    "subset.exclude": "--exclude",
    "subset.seed": "--seed",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    from spaces.heuristics import STRATEGIES
    from spaces.pool import TERM_FORMS

    sel = command(
        subparsers,
        "select",
        run,
        help="a language subset: the paper's own list (paper:<name>) or a computed heuristic",
        description="A realignment language subset: the paper's own list (paper:<name>, at a size it ran) or our "
        "computed version of one of its heuristics "
        "(objectives and optimiser: see spaces/heuristics.py).",
    )
    sel.add_argument(
        "--strategy",
        required=True,
        metavar="STRATEGY",
        help=f"one of: {', '.join(STRATEGIES)}; or paper:<name> for the paper's own list "
        "(realign-search paper-subsets lists them)",
    )
    sel.add_argument(
        "--size",
        required=True,
        type=int,
        metavar="N",
        help="languages in the subset, --include ones counted (paper:<name>: a size the paper ran)",
    )
    sel.add_argument(
        "--pool",
        action="append",
        metavar="FILTER",
        help=f"restrict the 65-language pool; repeat or join terms with '&' (AND). Terms: {'; '.join(TERM_FORMS)}",
    )
    sel.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed for --strategy random (default 0); for paper:random and paper:abla_random_*, "
        "the paper seed whose list to print",
    )
    sel.add_argument("--include", action="append", metavar="CODES", help="force these in (comma-separated)")
    sel.add_argument("--exclude", action="append", metavar="CODES", help="never pick these (comma-separated)")
    sel.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    from spaces.diversity import diversity_report
    from spaces.heuristics import STRATEGY_OBJECTIVES, objective, select
    from spaces.paper import PREFIX, canonical, is_paper, name_checks, paper_list
    from spaces.pool import parse_pool

    with flags_named(FLAG_FOR_FIELD):
        pool = parse_pool(args.pool, "--pool")
        strategy = canonical(args.strategy) if is_paper(args.strategy) else args.strategy
        codes = select(
            strategy,
            args.size,
            pool=pool,
            seed=args.seed,
            include=codes_from_flags(args.include),
            exclude=codes_from_flags(args.exclude),
        )
    report = diversity_report(codes)
    paper = paper_list(strategy, args.size, args.seed) if is_paper(strategy) else None
    seeded = strategy == "random" or (paper is not None and paper.seed is not None)
    seed = (args.seed or 0) if strategy == "random" else (paper.seed if paper is not None else None)
    goal = STRATEGY_OBJECTIVES.get(strategy[len(PREFIX) :] if paper is not None else strategy)
    score = None if goal is None else objective(codes, goal.kind, goal.with_english)
    if args.json:
        print_json(
            {
                "strategy": strategy,
                "size": len(codes),
                "pool": pool.describe(),
                "seed": seed if seeded else None,
                "languages": codes,
                "objective": None
                if goal is None
                else {
                    "kind": goal.kind,
                    "with_english": goal.with_english,
                    "sense": "max" if goal.maximise else "min",
                    "value": score,
                },
                "paper": None
                if paper is None
                else {
                    "folder": paper.folder,
                    "ran": list(paper.ran),
                    "flags": list(name_checks()[paper.folder]),
                },
                "diversity": report.to_dict(),
            }
        )
        return 0
    where = f"the paper's {paper.folder} list" if paper is not None else f"from pool {pool.describe()!r}"
    print(f"{strategy}: {len(codes)} languages, {where}" + (f", seed {seed}" if seeded else ""))
    print(" ".join(codes))
    print()
    print("\n".join(language_table(codes)))
    print()
    if goal is not None:
        english = " with English" if goal.with_english else ""
        print(
            f"objective ({'max' if goal.maximise else 'min'} sum of pairwise {goal.kind} distance{english}) {score:.4f}"
        )
    print("\n".join(diversity_summary(report)))
    if paper is not None:
        print(f"ran for {', '.join(paper.ran)}")
        for flag in name_checks()[paper.folder]:
            print(f"warning: {paper.folder} contradicts its name: {flag}")
    return 0
