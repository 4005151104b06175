"""``realign-search trial``: run one trial outside Ray and print its scores.

The quickest way to check a configuration (or a new world) before a sweep: same code path as every
trial of a search (``trainables.trial.run_trial``), no Ray start-up, progress on stderr, results on
stdout as a table or JSON.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from search.cli.common import command, print_json
from spaces.trial_config import TrialConfig, read_trial_file

# The default trial: two realignment languages on the tiny world, at the tiny encoder's default learning
# rates (spaces.defaults). The paper's (2e-5) are for 180M-parameter encoders; the 0.5M-parameter tiny
# encoder needs ~1e-3 to learn anything in a few hundred steps (measured: PoS en 0.26 at 2e-5 vs 1.00 at
# 1e-3; unseen-LRL 0.31 without realignment, 0.39 with 200 realignment steps at 1e-3, on 6 languages).
DEFAULT_TRIAL: dict[str, Any] = {
    "languages": ["hi", "swh_Latn"],
    "world": "tiny",
    "model": "tiny",
    "task": "pos",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "trial",
        run,
        help="run one realignment trial outside Ray and print its metrics",
        description="Realign on a language subset, fine-tune on English, evaluate every target language. "
        "FILE is TOML or JSON: top-level TrialConfig keys (languages, world, model, task, seed, seeds, "
        "targets, sweep_pool) plus [realign] and [finetune] sections. Without FILE: a small default trial "
        "on the tiny world.",
    )
    parser.add_argument("--config", metavar="FILE", type=Path, help="trial config (.toml or .json)")
    parser.add_argument("--json", action="store_true", help="print the final metrics as JSON")


def load_trial_file(path: Path | None) -> TrialConfig:
    """The trial in ``path`` (``spaces.trial_config.read_trial_file``), or the default trial."""
    return TrialConfig.from_dict(DEFAULT_TRIAL) if path is None else read_trial_file(path)


def _progress(metrics: dict, _checkpoint: Path | None) -> None:
    if metrics["phase"] == "realigned":
        line = f"realigned: {metrics['realign_steps']} steps, loss {metrics['realign_loss']:.3f}"
    else:
        line = f"epoch {metrics['epoch']}: unseen_lrl {metrics['unseen_lrl']:.4f}, all {metrics['all']:.4f}"
    print(line, file=sys.stderr, flush=True)


def format_table(metrics: dict, trial: TrialConfig) -> str:
    """Per-language scores (marked when realigned on / LRL), then the aggregates."""
    from spaces.catalog import load_catalog
    from spaces.vocab import OBJECTIVE_GROUPS, SUBSET_VIEWS
    from trainables.labels import METRIC

    catalog = load_catalog()
    chosen = set(trial.languages) if trial.realign.mode != "none" else set()
    scores = {k.split("/", 1)[1]: v for k, v in metrics.items() if k.startswith("score/")}
    lines = [f"{'language':<10} {'name':<22} {'joshi':>5} {'realigned':>9} {METRIC[trial.task]:>9}"]
    for code in sorted(scores, key=lambda c: (-(scores[c] if not math.isnan(scores[c]) else -1), c)):
        lang = catalog.get(code)
        lines.append(
            f"{code:<10} {lang.name[:22]:<22} {lang.joshi:>5} {'yes' if code in chosen else '':>9} {scores[code]:>9.4f}"
        )
    lines.append("")
    lines += [f"{name:<17} {metrics[name]:.4f}" for name in OBJECTIVE_GROUPS]
    lines.append("diagnostics (depend on the subset, never objectives):")
    lines += [f"  {name:<15} {metrics[name]:.4f}" for name in SUBSET_VIEWS]
    lines.append(f"{'n_languages':<17} {metrics['n_languages']}")
    lines.append(f"{'n_pairs':<17} {metrics['n_pairs']}")
    lines.append(f"{'realign_loss':<17} {metrics['realign_loss']:.4f}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from trainables.trial import run_trial

    trial = load_trial_file(args.config)
    metrics = run_trial(trial, report=_progress, checkpoints=False)
    if args.json:
        print_json(metrics)
    else:
        print(format_table(metrics, trial))
    return 0
