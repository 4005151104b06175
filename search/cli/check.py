"""``realign-search check [CONFIG.toml]``: validate a space and print it fully resolved (no Ray)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from search.cli.common import add_set_flag, command, print_json
from spaces.config import SearchConfig


def register(subparsers: argparse._SubParsersAction) -> None:
    check = command(
        subparsers,
        "check",
        run,
        help="validate a search space and print it fully resolved, defaults filled in (no Ray)",
        description="Parse and validate CONFIG (default: the embedded tiny-world space) exactly as `run` "
        "would, then print it with every default filled in (the model- and task-dependent ones "
        "resolved), its warm-start points and the trial the first of them runs. Starts nothing.",
    )
    check.add_argument("config", nargs="?", metavar="CONFIG.toml", help="search space (default: embedded)")
    check.add_argument("--json", action="store_true", help="print JSON instead of TOML")
    add_set_flag(check)


def resolved_summary(cfg: SearchConfig) -> dict[str, Any]:
    """What a space will run, beyond the config itself: sampled parameters, the warm-start points and
    the fully resolved trial of the first one (a ConfigError if it cannot be resolved)."""
    from spaces.config import named_warm_start_points, resolve_trial

    points = named_warm_start_points(cfg)
    example = resolve_trial(cfg, points[0][1] if points else {})
    return {
        "available_languages": len(cfg.subset.available),
        "sampled": [spec.name for spec in cfg.sampled()],
        "warm_start": [label for label, _ in points],
        "seeds_per_trial": list(example.seed_list),
        "first_trial": example.to_dict(),
    }


def run(args: argparse.Namespace) -> int:
    from spaces.config import dump_search_config, load_search_config

    cfg = load_search_config(args.config, overrides=args.overrides)
    summary = resolved_summary(cfg)
    if args.json:
        print_json({"source": cfg.source, "config": cfg.to_dict(), **summary})
        return 0
    shown = summary["warm_start"][:12] + (["..."] if len(summary["warm_start"]) > 12 else [])
    print(
        f"# OK: {cfg.experiment.trainable!r} trainable, {cfg.search.num_samples} trials, "
        f"{summary['available_languages']} available languages, seeds per trial "
        f"{summary['seeds_per_trial']}"
    )
    print(f"# sampled: {', '.join(summary['sampled']) or '(nothing but the subset)'}")
    print(f"# warm start ({len(summary['warm_start'])}): {', '.join(shown) or '(none)'}")
    print(f"# first trial: {json.dumps(summary['first_trial'])}")
    print(dump_search_config(cfg), end="")
    return 0
