"""``realign-search select`` and ``realign-search diversity``: the subset heuristics and the diversity
report from the shell, as a table for reading or ``--json`` for scripts.

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
from spaces.pool import TERM_FORMS, parse_pool

_FLAG_FOR_FIELD = {
    "subset.strategy": "--strategy", "subset.size": "--size", "subset.pool": "--pool",
    "subset.include": "--include", "subset.exclude": "--exclude",
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
        codes = select(args.strategy, args.size, pool=pool, seed=args.seed,
                       include=_codes(args.include), exclude=_codes(args.exclude))
    report = diversity_report(codes)
    goal = STRATEGY_OBJECTIVES.get(args.strategy)
    score = None if goal is None else objective(codes, goal.kind, goal.with_english)
    if args.json:
        print(json.dumps({
            "strategy": args.strategy, "size": len(codes), "pool": pool.describe(),
            "seed": args.seed if args.strategy == "random" else None, "languages": codes,
            "objective": None if goal is None else {
                "kind": goal.kind, "with_english": goal.with_english,
                "sense": "max" if goal.maximise else "min", "value": score,
            },
            "diversity": report.to_dict(),
        }, indent=2))
        return 0
    seed = f", seed {args.seed}" if args.strategy == "random" else ""
    print(f"{args.strategy}: {len(codes)} languages from pool {pool.describe()!r}{seed}")
    print(" ".join(codes))
    print()
    print("\n".join(_language_table(codes)))
    print()
    if goal is not None:
        english = " with English" if goal.with_english else ""
        print(f"objective ({'max' if goal.maximise else 'min'} sum of pairwise {goal.kind} distance{english}) "
              f"{score:.4f}")
    print("\n".join(_summary(report)))
    return 0


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
    """Add ``select`` and ``diversity``; each sets ``func`` to a callable(args) -> exit code."""
    sel = subparsers.add_parser(
        "select", help="compute a language subset with one of the paper's heuristics",
        description="Compute a realignment language subset with one of the paper's heuristics "
                    "(objectives and optimiser: see spaces/heuristics.py).")
    sel.add_argument("--strategy", required=True, metavar="STRATEGY", help=f"one of: {', '.join(STRATEGIES)}")
    sel.add_argument("--size", required=True, type=int, metavar="N",
                     help="languages in the subset, --include ones counted")
    sel.add_argument("--pool", action="append", metavar="FILTER",
                     help=f"restrict the 65-language pool; repeat or join terms with '&' (AND). "
                          f"Terms: {'; '.join(TERM_FORMS)}")
    sel.add_argument("--seed", type=int, default=0, help="seed for --strategy random (default 0)")
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
