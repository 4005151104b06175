"""``realign-search run | resume | report | check | compare``: a sweep from the shell.

``run`` validates the config, the storage path and ``--address`` before anything starts, so a bad input is
one paragraph and exit status 2 with no run directory left behind (``search.cli`` prints ConfigErrors).
A sweep that ran returns 0 when at least one trial finished, 1 when every trial failed. A full disk
stops the sweep with its state intact (one paragraph, exit status 1; ``resume`` continues it), and any
other failure is one paragraph with the traceback in ``RUN_DIR/realign-search.log`` (``search.faults``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from spaces.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this area's subcommands; each sets ``func`` to a callable(args) -> exit code."""
    run = subparsers.add_parser(
        "run", help="run a multi-objective subset + hyperparameter sweep (Ray Tune + Optuna)",
        description="Run a sweep. Without CONFIG, the embedded tiny-world default (about 10 minutes on 2 CPUs). "
                    "Prints one line per finished trial and, at the end, writes RUN_DIR/report/.")
    run.add_argument("config", nargs="?", metavar="CONFIG.toml", help="search space (default: embedded)")
    run.add_argument("--address", help="join a running Ray cluster (HOST:PORT, ray://HOST:PORT or auto)")
    run.add_argument("--storage-path", help="where run folders go: a local folder or s3:// / gs:// URI "
                     "(default: search.storage_path)")
    run.add_argument("--name", help="run folder name (default: experiment.name, timestamped if taken)")
    run.add_argument("--num-samples", type=int, help="number of trials (default: search.num_samples)")
    run.add_argument("--no-report", action="store_true", help="skip writing the report at the end")
    run.set_defaults(func=cmd_run)

    resume = subparsers.add_parser(
        "resume", help="continue an interrupted sweep: finished trials are kept, not re-run",
        description="Restore the sweep in RUN_DIR (Ray's experiment state and the Optuna study) and finish it.")
    resume.add_argument("run_dir", metavar="RUN_DIR")
    resume.add_argument("--address", help="Ray cluster to resume on (default: where the sweep ran; 'local' = a local Ray)")
    resume.add_argument("--restart-errored", action="store_true",
                        help="run failed trials again from scratch (default: they stay failed)")
    resume.add_argument("--no-report", action="store_true", help="skip writing the report at the end")
    resume.set_defaults(func=cmd_resume)

    report = subparsers.add_parser(
        "report", help="Pareto front, plots and JSON of a sweep",
        description="Write report.md, report.json, front.png and heatmap.png for the sweep in RUN_DIR.")
    report.add_argument("run_dir", metavar="RUN_DIR")
    report.add_argument("--out", help="output folder (default: RUN_DIR/report)")
    report.set_defaults(func=cmd_report)

    check = subparsers.add_parser(
        "check", help="validate a search space and print it fully resolved, defaults filled in (no Ray)",
        description="Parse and validate CONFIG (default: the embedded tiny-world space) exactly as `run` "
                    "would, then print it with every default filled in (the model- and task-dependent ones "
                    "resolved), its warm-start points and the trial the first of them runs. Starts nothing.")
    check.add_argument("config", nargs="?", metavar="CONFIG.toml", help="search space (default: embedded)")
    check.add_argument("--json", action="store_true", help="print JSON instead of TOML")
    check.set_defaults(func=cmd_check)

    compare = subparsers.add_parser(
        "compare", help="a run's per-language scores beside the paper's published ones",
        description="For every finished trial of the sweep in RUN_DIR whose subset the paper measured (same "
                    "model and task), print each language's score, the paper's seed mean and the difference, "
                    "and the mean absolute difference. A run with no such trial is refused.")
    compare.add_argument("run_dir", metavar="RUN_DIR")
    compare.add_argument("--trial", action="append", default=[], metavar="ID",
                         help="compare only this trial (repeatable)")
    compare.add_argument("--json", action="store_true", help="print JSON")
    compare.set_defaults(func=cmd_compare)


def with_overrides(cfg: Any, *, num_samples: int | None, storage_path: str | None) -> Any:
    """The config with the command-line overrides applied, so the saved config is what really ran."""
    changes: dict[str, Any] = {}
    if num_samples is not None:
        if num_samples < 1:
            raise ConfigError("--num-samples", f"{num_samples} must be >= 1")
        changes["num_samples"] = num_samples
    if storage_path is not None:
        changes["storage_path"] = storage_path
    return replace(cfg, search=replace(cfg.search, **changes)) if changes else cfg


def source_text(config: str | None) -> str:
    if config is None:
        from importlib import resources

        return resources.files("spaces.data").joinpath("default.toml").read_text("utf-8")
    return Path(config).read_text(encoding="utf-8")


def cmd_run(args: argparse.Namespace) -> int:
    from search.driver import plan_run, run_sweep
    from spaces.config import load_search_config

    cfg = load_search_config(args.config)
    cfg = with_overrides(cfg, num_samples=args.num_samples, storage_path=args.storage_path)
    target = plan_run(cfg, storage_path=args.storage_path, name=args.name, address=args.address)
    args.run_dir = target.run_dir  # where search.cli logs an unexpected error from here on
    for warning in target.warnings:
        print(f"realign-search run: warning: {warning}", file=sys.stderr, flush=True)
    print(f"realign-search run: {cfg.search.num_samples} trials of {cfg.experiment.trainable!r} "
          f"({cfg.search.sampler}, objectives {', '.join(cfg.search.objectives)}) -> {target.run_dir}", flush=True)
    overrides = {k: v for k, v in (("num_samples", args.num_samples), ("storage_path", args.storage_path),
                                   ("name", args.name), ("address", args.address)) if v is not None}
    try:
        results = run_sweep(cfg, target, source_toml=source_text(args.config), overrides=overrides)
    except KeyboardInterrupt:
        print(f"\ninterrupted; continue with: realign-search resume {target.run_dir}", file=sys.stderr)
        return 130
    return _finish(results, target.run_dir, write=not args.no_report)


def cmd_resume(args: argparse.Namespace) -> int:
    from search.resume import normalise_run_dir, resume_sweep

    run_dir = args.run_dir = normalise_run_dir(args.run_dir)
    try:
        results = resume_sweep(run_dir, address=args.address, restart_errored=args.restart_errored)
    except KeyboardInterrupt:
        print(f"\ninterrupted; continue with: realign-search resume {run_dir}", file=sys.stderr)
        return 130
    return _finish(results, run_dir, write=not args.no_report)


def cmd_report(args: argparse.Namespace) -> int:
    from search.report import report_run
    from search.resume import normalise_run_dir

    args.run_dir = normalise_run_dir(args.run_dir)
    report, files = report_run(args.run_dir, args.out)
    _print_summary(report, files)
    return 0


def resolved_summary(cfg: Any) -> dict[str, Any]:
    """What a space will run, beyond the config itself: sampled parameters, the warm-start points and
    the fully resolved trial of the first one (a ConfigError if it cannot be resolved)."""
    from spaces.config import named_warm_start_points, resolve_trial

    points = named_warm_start_points(cfg)
    example = resolve_trial(cfg, points[0][1] if points else {})
    return {"available_languages": len(cfg.subset.available),
            "sampled": [spec.name for spec in cfg.specs() if spec.sampled],
            "warm_start": [label for label, _ in points],
            "seeds_per_trial": list(example.seed_list),
            "first_trial": example.to_dict()}


def cmd_check(args: argparse.Namespace) -> int:
    import json

    from spaces.config import dump_search_config, load_search_config

    cfg = load_search_config(args.config)
    summary = resolved_summary(cfg)
    if args.json:
        print(json.dumps({"source": cfg.source, "config": cfg.to_dict(), **summary}, indent=2))
        return 0
    shown = summary["warm_start"][:12] + (["..."] if len(summary["warm_start"]) > 12 else [])
    print(f"# OK: {cfg.experiment.trainable!r} trainable, {cfg.search.num_samples} trials, "
          f"{summary['available_languages']} available languages, seeds per trial "
          f"{summary['seeds_per_trial']}")
    print(f"# sampled: {', '.join(summary['sampled']) or '(nothing but the subset)'}")
    print(f"# warm start ({len(summary['warm_start'])}): {', '.join(shown) or '(none)'}")
    print(f"# first trial: {json.dumps(summary['first_trial'])}")
    print(dump_search_config(cfg), end="")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    import json

    from search.compare import compare_run, format_comparison

    result = compare_run(args.run_dir, args.trial)
    print(json.dumps(result.to_json(), indent=2) if args.json else format_comparison(result))
    return 0


def _finish(results: Any, run_dir: str, write: bool) -> int:
    ok = sum(r.error is None for r in results)
    print(f"sweep finished: {ok} of {len(results)} trials succeeded; run directory {run_dir}")
    if write:
        from search.driver import is_uri
        from search.report import report_run

        out = None if not is_uri(run_dir) else Path.cwd() / "report"
        report, files = report_run(run_dir, out)
        _print_summary(report, files)
    return 0 if ok else 1


def _print_summary(report: Any, files: Any) -> None:
    metric = report.objectives[0].metric
    front = ", ".join(f"{int(t.metrics.get('n_languages', len(t.languages)))}:{t.value(metric):.4g}"
                      for t in report.front)
    hv = f"; hypervolume {report.hypervolume:.4g}" if report.hypervolume is not None else ""
    print(f"Pareto front (n_languages:{metric}): {front or '(empty)'}{hv}; "
          f"{len(report.failed)} failed trial(s)")
    plots = (f"plots {files.front_png.name}, {files.heatmap_png.name}" if files.front_png is not None
             else "no plots: pip install 'realign-search[plots]'")
    print(f"report: {files.markdown} ({plots}; JSON {files.json.name})")
