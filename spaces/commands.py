"""``realign-search select``, ``diversity`` and ``paper-subsets``: the subset heuristics (computed, or the
paper's own lists as ``paper:<name>``), the diversity report and the paper's lists with what their names
promise, from the shell, as a table for reading or ``--json`` for scripts.

Errors surface as ConfigError naming the command-line flag (not the config path the library uses), so
``search.cli`` prints one line and exits 2.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from spaces.catalog import load_catalog
from spaces.diversity import DiversityReport, diversity_report
from spaces.errors import ConfigError
from spaces.heuristics import STRATEGIES, STRATEGY_OBJECTIVES, objective, select
from spaces.paper import (
    PREFIX, canonical, criterion, criterion_value, is_paper, mislabelled, name_checks, paper_list, paper_lists,
)
from spaces.pool import TERM_FORMS, parse_pool

_FLAG_FOR_FIELD = {
    "subset.strategy": "--strategy", "subset.size": "--size", "subset.pool": "--pool",
    "subset.include": "--include", "subset.exclude": "--exclude", "subset.seed": "--seed",
}


@contextmanager
def _flags_named() -> Iterator[None]:
    """Re-label library field names with the flags the user typed."""
    try:
        yield
    except ConfigError as err:
        flag = _FLAG_FOR_FIELD.get(err.field)
        if flag is None:
            raise
        raise ConfigError(flag, err.problem, err.allowed) from None


def _codes(values: Sequence[str] | None) -> list[str]:
    """Codes from repeatable, comma- or space-separated flag values."""
    return [code for value in values or () for code in value.replace(",", " ").split()]


def _language_table(codes: Sequence[str]) -> list[str]:
    catalog = load_catalog()
    header = ("code", "iso3", "name", "family", "script", "joshi", "mBERT", "XLM-R", "data")
    rows = [header]
    for code in codes:
        lang = catalog.get(code)
        rows.append((lang.code, lang.iso3, lang.name, lang.family, lang.script, str(lang.joshi),
                     "seen" if lang.seen_mbert else "unseen", "seen" if lang.seen_xlmr else "unseen",
                     lang.parallel or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _summary(report: DiversityReport) -> list[str]:
    # The catalog stores the paper's "class <= 2" group as 2.
    joshi = ", ".join(f"{'<=2' if level == 2 else level}: {count}" for level, count in report.joshi.items())
    pair = " / ".join(report.closest_pair_with_en) if report.closest_pair_with_en else "-"
    return [
        f"featural distance with English   mean {_fmt(report.mean_featural_with_en)}   "
        f"min {_fmt(report.min_featural_with_en)} ({pair})",
        f"featural distance without        mean {_fmt(report.mean_featural)}   min {_fmt(report.min_featural)}",
        f"families {report.n_families}   scripts {report.n_scripts}   Joshi class mix {{{joshi}}}",
        f"seen in pretraining              mBERT {report.seen_mbert}/{report.size}   "
        f"XLM-R {report.seen_xlmr}/{report.size}",
    ]


def run_select(args: argparse.Namespace) -> int:
    with _flags_named():
        pool = parse_pool(args.pool, "--pool")
        strategy = canonical(args.strategy) if is_paper(args.strategy) else args.strategy
        codes = select(strategy, args.size, pool=pool, seed=args.seed,
                       include=_codes(args.include), exclude=_codes(args.exclude))
    report = diversity_report(codes)
    paper = paper_list(strategy, args.size, args.seed) if is_paper(strategy) else None
    seeded = strategy == "random" or (paper is not None and paper.seed is not None)
    seed = (args.seed or 0) if strategy == "random" else (paper.seed if paper is not None else None)
    goal = STRATEGY_OBJECTIVES.get(strategy[len(PREFIX):] if paper is not None else strategy)
    score = None if goal is None else objective(codes, goal.kind, goal.with_english)
    if args.json:
        print(json.dumps({
            "strategy": strategy, "size": len(codes), "pool": pool.describe(),
            "seed": seed if seeded else None, "languages": codes,
            "objective": None if goal is None else {
                "kind": goal.kind, "with_english": goal.with_english,
                "sense": "max" if goal.maximise else "min", "value": score,
            },
            "paper": None if paper is None else {
                "folder": paper.folder, "ran": list(paper.ran), "flags": list(name_checks()[paper.folder]),
            },
            "diversity": report.to_dict(),
        }, indent=2))
        return 0
    where = f"the paper's {paper.folder} list" if paper is not None else f"from pool {pool.describe()!r}"
    print(f"{strategy}: {len(codes)} languages, {where}" + (f", seed {seed}" if seeded else ""))
    print(" ".join(codes))
    print()
    print("\n".join(_language_table(codes)))
    print()
    if goal is not None:
        english = " with English" if goal.with_english else ""
        print(f"objective ({'max' if goal.maximise else 'min'} sum of pairwise {goal.kind} distance{english}) "
              f"{score:.4f}")
    print("\n".join(_summary(report)))
    if paper is not None:
        print(f"ran for {', '.join(paper.ran)}")
        for flag in name_checks()[paper.folder]:
            print(f"warning: {paper.folder} contradicts its name: {flag}")
    return 0


def run_paper_subsets(args: argparse.Namespace) -> int:
    """Every paper strategy with its sizes, seeds and flags; or (``--overlap``) ours against the paper's."""
    rows = overlap_rows() if args.overlap else listing_rows()
    if args.json:
        print(json.dumps({"rows": rows, "mislabelled": mislabelled()}, indent=2))
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
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, (list, tuple)):
        return "; ".join(map(str, value)) or "–"
    return "–" if value is None else str(value)


def _goal_text(strategy: str) -> str:
    goal = STRATEGY_OBJECTIVES[strategy]
    return f"{'max' if goal.maximise else 'min'} {goal.kind} sum{' with en' if goal.with_english else ''}"


def listing_rows() -> list[dict]:
    """One row per paper strategy and size: its folder, seeds, what ran it and what its name promises."""
    rows: dict[tuple[str, int], dict] = {}
    for plist in paper_lists():
        row = rows.setdefault((plist.strategy, plist.size), {
            "strategy": PREFIX + plist.strategy, "size": plist.size, "folder": plist.folder, "seeds": [],
            "ran": len(plist.ran), "flags": list(name_checks()[plist.folder])})
        if plist.seed is not None:
            row["seeds"].append(plist.seed)
    return list(rows.values())


def overlap_rows() -> list[dict]:
    """Our computed heuristic (full pool) against the paper's list, for every paper folder named after one:
    languages shared and both values of the folder's criterion."""
    rows = []
    for plist in paper_lists():
        rule = criterion(PREFIX + plist.strategy)
        if plist.strategy not in STRATEGIES or rule is None or rule.maximise is None:
            continue
        ours = select(plist.strategy, plist.size)
        rows.append({"strategy": plist.strategy, "size": plist.size,
                     "shared": len(set(ours) & set(plist.languages)),
                     "criterion": "scripts" if rule.kind == "scripts" else _goal_text(rule.kind),
                     "paper": criterion_value(rule.kind, plist.languages), "ours": criterion_value(rule.kind, ours),
                     "paper's flags": "contradicts its name" if name_checks()[plist.folder] else ""})
    return rows


def run_diversity(args: argparse.Namespace) -> int:
    report = diversity_report(_codes(args.languages), field="LANG")
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    print("\n".join(_language_table(report.languages)))
    print()
    print("\n".join(_summary(report)))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``select``, ``diversity`` and ``paper-subsets``; each sets ``func`` to a callable(args) -> exit code."""
    sel = subparsers.add_parser(
        "select", help="a language subset: the paper's own list (paper:<name>) or a computed heuristic",
        description="A realignment language subset: the paper's own list (paper:<name>, at a size it ran) or our "
                    "computed version of one of its heuristics "
                    "(objectives and optimiser: see spaces/heuristics.py).")
    sel.add_argument("--strategy", required=True, metavar="STRATEGY",
                     help=f"one of: {', '.join(STRATEGIES)}; or paper:<name> for the paper's own list "
                          "(realign-search paper-subsets lists them)")
    sel.add_argument("--size", required=True, type=int, metavar="N",
                     help="languages in the subset, --include ones counted (paper:<name>: a size the paper ran)")
    sel.add_argument("--pool", action="append", metavar="FILTER",
                     help=f"restrict the 65-language pool; repeat or join terms with '&' (AND). "
                          f"Terms: {'; '.join(TERM_FORMS)}")
    sel.add_argument("--seed", type=int, default=None,
                     help="seed for --strategy random (default 0); for paper:random and paper:abla_random_*, "
                          "the paper seed whose list to print")
    sel.add_argument("--include", action="append", metavar="CODES", help="force these in (comma-separated)")
    sel.add_argument("--exclude", action="append", metavar="CODES", help="never pick these (comma-separated)")
    sel.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sel.set_defaults(func=run_select)

    div = subparsers.add_parser(
        "diversity", help="report how diverse any language subset is",
        description="Typological diversity of a language subset; accepts paper codes, ISO 639-3 and aliases.")
    div.add_argument("languages", nargs="+", metavar="LANG",
                     help="language codes (paper code, ISO 639-3 or alias; commas also separate)")
    div.add_argument("--json", action="store_true", help="print JSON instead of a table")
    div.set_defaults(func=run_diversity)

    pap = subparsers.add_parser(
        "paper-subsets", help="list the paper's own subsets (paper:<name>) and where they contradict their names",
        description="Every list the paper realigned on, as the paper:<name> strategies of `select` and of "
                    "search spaces, with the sizes and seeds it ran and whether a list contradicts its own "
                    "name by its own criterion; --overlap compares our computed heuristics with them.")
    pap.add_argument("--overlap", action="store_true",
                     help="our computed heuristic on the full pool vs the paper's list: shared languages and "
                          "the criterion of each")
    pap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    pap.set_defaults(func=run_paper_subsets)
