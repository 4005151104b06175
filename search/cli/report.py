"""``realign-search report RUN_DIR``: the Pareto front, plots and JSON of a sweep (also written at the end
of ``run`` and ``resume``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from search.cli.common import command

if TYPE_CHECKING:
    from search.report import Report, ReportFiles


def register(subparsers: argparse._SubParsersAction) -> None:
    report = command(
        subparsers,
        "report",
        run,
        help="Pareto front, plots and JSON of a sweep",
        description="Write report.md, report.json, front.png and heatmap.png for the sweep in RUN_DIR.",
    )
    report.add_argument("run_dir", metavar="RUN_DIR")
    report.add_argument("--out", help="output folder (default: RUN_DIR/report)")


def run(args: argparse.Namespace) -> int:
    from search import report
    from search.run_files import normalise_run_dir

    args.run_dir = normalise_run_dir(args.run_dir)
    print_summary(*report.report_run(args.run_dir, args.out))
    return 0


def finish(results, run_dir: str, write: bool) -> int:
    """After ``run`` / ``resume``: how many trials succeeded, then the report (unless ``--no-report``);
    exit status 0 when at least one trial finished."""
    ok = sum(r.error is None for r in results)
    print(f"sweep finished: {ok} of {len(results)} trials succeeded; run directory {run_dir}")
    if write:
        from search import report
        from search.run_files import is_uri

        out = None if not is_uri(run_dir) else Path.cwd() / "report"
        print_summary(*report.report_run(run_dir, out))
    return 0 if ok else 1


def print_summary(report: Report, files: ReportFiles) -> None:
    metric = report.objectives[0].metric
    front = ", ".join(
        f"{int(t.metrics.get('n_languages', len(t.languages)))}:{t.value(metric):.4g}" for t in report.front
    )
    hv = f"; hypervolume {report.hypervolume:.4g}" if report.hypervolume is not None else ""
    print(f"Pareto front (n_languages:{metric}): {front or '(empty)'}{hv}; {len(report.failed)} failed trial(s)")
    plots = (
        f"plots {files.front_png.name}, {files.heatmap_png.name}"
        if files.front_png is not None
        else "no plots: pip install 'realign-search[plots]'"
    )
    print(f"report: {files.markdown} ({plots}; JSON {files.json.name})")
