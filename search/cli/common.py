"""What several commands share: registering a command, flag-named errors, language tables, JSON output."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from spaces.diversity import DiversityReport
from spaces.errors import ConfigError
from spaces.formats import fmt_number, json_safe


def command(
    subparsers: argparse._SubParsersAction, name: str, run: Callable[[argparse.Namespace], int], **kwargs: Any
) -> argparse.ArgumentParser:
    """Add command ``name`` (``help``, ``description`` ... as for ``add_parser``) that calls ``run(args)``."""
    parser = subparsers.add_parser(name, **kwargs)
    parser.set_defaults(func=run)
    return parser


def add_set_flag(parser: argparse.ArgumentParser) -> None:
    """``--set KEY=VALUE`` (repeatable): override any key of the space (``spaces.config.overrides``)."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a key of the space, TOML value syntax (repeatable): --set realign.lr=1e-4 "
        "--set 'subset.must_include=[\"de\"]'",
    )


def print_json(value: Any) -> None:
    """``value`` as indented JSON, NaN and infinities as null."""
    print(json.dumps(json_safe(value), indent=2))


@contextmanager
def flags_named(flags: Mapping[str, str]) -> Iterator[None]:
    """Re-label library field names (``subset.size``) with the flags the user typed (``--size``)."""
    try:
        yield
    except ConfigError as err:
        flag = flags.get(err.field)
        if flag is None:
            raise
        raise ConfigError(flag, err.problem, err.allowed) from None


def codes_from_flags(values: Sequence[str] | None) -> list[str]:
    """Codes from repeatable, comma- or space-separated flag values."""
    return [code for value in values or () for code in value.replace(",", " ").split()]


def language_table(codes: Sequence[str]) -> list[str]:
    """One aligned row per language: its codes, name, family, script, Joshi class, coverage and data."""
    from spaces.catalog import load_catalog
    from spaces.vocab import MBERT, MODEL_LABELS, XLMR

    catalog = load_catalog()
    header = ("code", "iso3", "name", "family", "script", "joshi", MODEL_LABELS[MBERT], MODEL_LABELS[XLMR], "data")
    rows = [header]
    for code in codes:
        lang = catalog.get(code)
        rows.append(
            (
                lang.code,
                lang.iso3,
                lang.name,
                lang.family,
                lang.script,
                str(lang.joshi),
                "seen" if lang.seen_mbert else "unseen",
                "seen" if lang.seen_xlmr else "unseen",
                lang.parallel or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def diversity_summary(report: DiversityReport) -> list[str]:
    """The diversity report of a subset in four lines."""

    def fmt(value: float | None) -> str:
        return fmt_number(value, ".4f", missing="-")

    # The catalog stores the paper's "class <= 2" group as 2.
    joshi = ", ".join(f"{'<=2' if level == 2 else level}: {count}" for level, count in report.joshi.items())
    pair = " / ".join(report.closest_pair_with_en) if report.closest_pair_with_en else "-"
    return [
        f"featural distance with English   mean {fmt(report.mean_featural_with_en)}   "
        f"min {fmt(report.min_featural_with_en)} ({pair})",
        f"featural distance without        mean {fmt(report.mean_featural)}   min {fmt(report.min_featural)}",
        f"families {report.n_families}   scripts {report.n_scripts}   Joshi class mix {{{joshi}}}",
        f"seen in pretraining              mBERT {report.seen_mbert}/{report.size}   "
        f"XLM-R {report.seen_xlmr}/{report.size}",
    ]
