"""``realign-search resume RUN_DIR``: continue an interrupted sweep; finished trials are kept, not re-run.
``--num-samples N`` extends a sweep (finished or not) to N trials (``search.engines.extend``)."""

from __future__ import annotations

import argparse
import sys

from search.cli.common import command
from search.cli.report import finish


def register(subparsers: argparse._SubParsersAction) -> None:
    resume = command(
        subparsers,
        "resume",
        run,
        help="continue an interrupted sweep: finished trials are kept, not re-run",
        description="Restore the sweep in RUN_DIR (Ray's experiment state and the Optuna study) and finish it.",
    )
    resume.add_argument("run_dir", metavar="RUN_DIR")
    resume.add_argument(
        "--address", help="Ray cluster to resume on (default: where the sweep ran; 'local' = a local Ray)"
    )
    resume.add_argument(
        "--restart-errored",
        action="store_true",
        help="run failed trials again from scratch (default: they stay failed)",
    )
    resume.add_argument(
        "--num-samples",
        type=int,
        metavar="N",
        help="extend the sweep to N trials in all (a finished sweep too): the Optuna study continues",
    )
    resume.add_argument("--no-report", action="store_true", help="skip writing the report at the end")


def run(args: argparse.Namespace) -> int:
    from search.console_log import console_log
    from search.run_files import normalise_run_dir

    run_dir = args.run_dir = normalise_run_dir(args.run_dir)
    with console_log(run_dir):
        return _resume(args, run_dir)


def _resume(args: argparse.Namespace, run_dir: str) -> int:
    from search import resume

    try:
        results = resume.resume_sweep(
            run_dir, address=args.address, restart_errored=args.restart_errored, num_samples=args.num_samples
        )
    except KeyboardInterrupt:
        print(f"\ninterrupted; continue with: realign-search resume {run_dir}", file=sys.stderr)
        return 130
    return finish(results, run_dir, write=not args.no_report)
