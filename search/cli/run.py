"""``realign-search run [CONFIG.toml]``: a multi-objective subset + hyperparameter sweep.

The config, the storage path and ``--address`` are validated before anything starts, so a bad input is
one paragraph and exit status 2 with no run directory left behind. A sweep that ran returns 0 when at
least one trial finished, 1 when every trial failed. A full disk stops the sweep with its state intact
(one paragraph, exit status 1; ``resume`` continues it), and any other failure is one paragraph with the
traceback in ``RUN_DIR/realign-search.log`` (``search.faults``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from search.cli.common import add_set_flag, command
from search.cli.report import finish
from spaces.config import SearchConfig
from spaces.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    run_ = command(
        subparsers,
        "run",
        run,
        help="run a multi-objective subset + hyperparameter sweep (Ray Tune + Optuna)",
        description="Run a sweep. Without CONFIG, the embedded tiny-world default (about 10 minutes on 2 CPUs). "
        "Prints one line per finished trial and, at the end, writes RUN_DIR/report/.",
    )
    run_.add_argument("config", nargs="?", metavar="CONFIG.toml", help="search space (default: embedded)")
    run_.add_argument("--address", help="join a running Ray cluster (HOST:PORT, ray://HOST:PORT or auto)")
    run_.add_argument(
        "--storage-path",
        help="where run folders go: a local folder or s3:// / gs:// URI (default: search.storage_path)",
    )
    run_.add_argument("--name", help="run folder name (default: experiment.name, timestamped if taken)")
    run_.add_argument("--num-samples", type=int, help="number of trials (default: search.num_samples)")
    run_.add_argument("--no-report", action="store_true", help="skip writing the report at the end")
    add_set_flag(run_)


def with_overrides(cfg: SearchConfig, *, num_samples: int | None, storage_path: str | None) -> SearchConfig:
    """The config with the command-line overrides applied, so the saved config is what really ran."""
    changes: dict[str, object] = {}
    if num_samples is not None:
        if num_samples < 1:
            raise ConfigError("--num-samples", f"{num_samples} must be >= 1")
        changes["num_samples"] = num_samples
    if storage_path is not None:
        changes["storage_path"] = storage_path
    return replace(cfg, search=replace(cfg.search, **changes)) if changes else cfg


def source_text(config: str | None) -> str:
    """The TOML as the user gave it (the embedded default without CONFIG), kept in the run folder."""
    if config is None:
        from spaces.config import default_toml

        return default_toml()
    return Path(config).read_text(encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    from search.driver import plan_run
    from spaces.config import load_search_config

    cfg = load_search_config(args.config, overrides=args.overrides)
    cfg = with_overrides(cfg, num_samples=args.num_samples, storage_path=args.storage_path)
    target = plan_run(cfg, storage_path=args.storage_path, name=args.name, address=args.address)
    args.run_dir = target.run_dir  # where search.cli logs an unexpected error from here on
    from search.console_log import console_log

    with console_log(target.run_dir):
        return sweep(args, cfg, target)


def sweep(args: argparse.Namespace, cfg: SearchConfig, target) -> int:
    """The planned sweep, its console teed into the run folder (``search.console_log``)."""
    from search.driver import run_sweep

    for warning in target.warnings:
        print(f"realign-search run: warning: {warning}", file=sys.stderr, flush=True)
    print(
        f"realign-search run: {cfg.search.num_samples} trials of {cfg.experiment.trainable!r} "
        f"({cfg.search.sampler}, objectives {', '.join(map(str, cfg.search.objectives))}) -> {target.run_dir}",
        flush=True,
    )
    overrides = {
        k: v
        for k, v in (
            ("num_samples", args.num_samples),
            ("storage_path", args.storage_path),
            ("name", args.name),
            ("address", args.address),
            ("set", args.overrides or None),
        )
        if v is not None
    }
    try:
        results = run_sweep(cfg, target, source_toml=source_text(args.config), overrides=overrides)
    except KeyboardInterrupt:
        print(f"\ninterrupted; continue with: realign-search resume {target.run_dir}", file=sys.stderr)
        return 130
    return finish(results, target.run_dir, write=not args.no_report)
