"""Does the tiny world behave like the real problem? Prints, over several trial seeds:

1. zero-shot score per language without realignment against its featural distance from English
   (Pearson / Spearman; a clearly negative correlation is expected), and
2. ``unseen_lrl`` without realignment, with all-pool realignment and with a 10-language subset (the
   paper's own ``most_uriel_en`` list by default), with each setup's gain over the baseline paired by
   trial seed. ``unseen_lrl`` averages ONE target set for every setup: the Joshi <= 2 targets the tiny
   encoder never saw in pretraining (``spaces.targets``), realigned on or not, so the setups are
   compared on the same languages.

Usage: python benchmarks/tinyworld_fidelity.py [--seeds 0,1,2] [--task pos] [--world-seed 0]
                                               [--subset paper:most_uriel_en] [--subset-size 10]
Every trial runs through ``trainables.trial.run_trial``, exactly as a sweep would.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _common
from spaces.vocab import TASKS

GROUP = "unseen_lrl"
Plan = dict[str, tuple[str, tuple[str, ...]]]  # setup name -> (realign.mode, subset)


def setups(world, strategy: str, size: int, seed: int | None) -> Plan:
    """name -> (realign.mode, subset): the baseline, every language the world can realign on, a subset."""
    from spaces.catalog import load_catalog
    from spaces.heuristics import select

    pool = tuple(world.parallel_languages())
    outside = [code for code in load_catalog().realignment_pool() if code not in pool]
    subset = tuple(select(strategy, size, seed=seed, exclude=outside))
    return {"baseline": ("none", ()), f"all {len(pool)}": ("before", pool), f"{strategy} {size}": ("before", subset)}


def run_setups(world, plan: Plan, seeds: Sequence[int], base) -> dict[str, list[dict]]:
    """Every setup at every seed: the final metrics of each trial."""
    from trainables.trial import run_trial

    results: dict[str, list[dict]] = {name: [] for name in plan}
    started = time.time()
    for seed in seeds:
        for name, (mode, langs) in plan.items():
            trial = replace(base, seed=seed, languages=langs, realign=replace(base.realign, mode=mode))
            metrics = run_trial(trial, world=world)
            results[name].append(metrics)
            print(
                f"  seed {seed} {name:<28} {GROUP} {metrics[GROUP]:.3f} ({time.time() - started:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    return results


def group_table(plan: Plan, results: dict[str, list[dict]], targets: list[str]) -> str:
    """One row per setup: the fixed group's mean over seeds and the gain over the baseline, paired by seed."""
    from scipy.stats import ttest_rel

    baseline = [m[GROUP] for m in results["baseline"]]
    rows = []
    for name, (_, langs) in plan.items():
        values = [m[GROUP] for m in results[name]]
        mean, sd = _common.mean_sd(values)
        if name == "baseline":
            gain, p = "—", "—"
        else:
            diffs = [v - b for v, b in zip(values, baseline, strict=True)]
            d_mean, d_sd = _common.mean_sd(diffs)
            gain = f"{d_mean:+.3f} ± {d_sd:.3f}"
            p = f"{ttest_rel(values, baseline).pvalue:.2g}" if len(values) > 1 and d_sd > 0 else "—"
        rows.append([name, len(langs), len(targets), f"{mean:.3f} ± {sd:.3f}", gain, p])
    return _common.markdown_table(
        [
            "setup",
            "subset size",
            f"{GROUP} targets",
            f"{GROUP} (mean ± sd over seeds)",
            "gain over baseline (paired by seed)",
            "p (paired t-test)",
        ],
        rows,
    )


def main(argv: Sequence[str] | None = None, world=None) -> int:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--seeds", default=None, help="trial seeds (fine-tuning/realignment); default 0,1,2")
    p.add_argument("--task", default="pos", choices=TASKS)
    p.add_argument("--world-seed", type=int, default=0)
    p.add_argument(
        "--subset",
        default="paper:most_uriel_en",
        help="the small subset's strategy (a computed heuristic or paper:<name>)",
    )
    p.add_argument("--subset-size", type=int, default=10)
    p.add_argument("--subset-seed", type=int, default=None, help="for random / per-seed paper strategies")
    p.add_argument("--realign-steps", type=int, default=400)
    p.add_argument("--realign-lr", type=float, default=1e-3)
    p.add_argument("--finetune-lr", type=float, default=5e-4)
    p.add_argument("--epochs", type=int, default=2)
    args = p.parse_args(argv)

    from scipy.stats import pearsonr, spearmanr

    from spaces.catalog import ENGLISH, load_catalog
    from spaces.targets import group_members
    from spaces.trial_config import FinetuneParams, RealignParams, TrialConfig
    from spaces.typology import load_typology

    _common.print_header(
        "Tiny-world fidelity: distance from English, and realignment on one fixed target group", __file__, argv
    )
    seeds = [int(s) for s in (args.seeds or ("0,1" if args.quick else "0,1,2")).split(",")]
    steps, epochs, train_size = (2, 1, 32) if args.quick else (args.realign_steps, args.epochs, 0)
    if world is None:
        from trainables.tinyworld import load_world

        world = load_world(args.world_seed)
    catalog, typology = load_catalog(), load_typology()
    plan = setups(world, args.subset, args.subset_size, args.subset_seed)
    base = TrialConfig(
        world="tiny",
        model="tiny",
        task=args.task,
        realign=RealignParams(steps=steps, lr=args.realign_lr),
        finetune=FinetuneParams(lr=args.finetune_lr, epochs=epochs, train_size=train_size),
    )
    results = run_setups(world, plan, seeds, base)

    def mean_scores(name: str) -> dict[str, float]:
        runs = [{k.split("/", 1)[1]: v for k, v in m.items() if k.startswith("score/")} for m in results[name]]
        return {code: statistics.fmean(run[code] for run in runs) for code in runs[0]}

    means = {name: mean_scores(name) for name in plan}
    targets = [c for c in means["baseline"] if c != ENGLISH]
    group = group_members(GROUP, targets, base.model)
    distance = {c: typology.distance("featural", ENGLISH, c) for c in targets}

    print(
        f"Tiny world (seed {args.world_seed}), task {args.task}, trial seeds {seeds}; English score "
        f"{means['baseline'][ENGLISH]:.3f}\n"
    )
    print(
        _common.markdown_table(
            ["language", "script", "Joshi", "tiny encoder saw it", "featural dist.", *plan],
            [
                [
                    code,
                    catalog.get(code).script,
                    catalog.get(code).joshi,
                    "yes" if catalog.get(code).seen_by(base.model) else "no",
                    f"{distance[code]:.3f}",
                    *(f"{means[name][code]:.3f}" for name in plan),
                ]
                for code in sorted(targets, key=distance.get)
            ],
        )
    )
    xs = [distance[c] for c in targets]
    for name in plan:
        ys = [means[name][c] for c in targets]
        if len(xs) > 2:
            pearson, spearman = pearsonr(xs, ys), spearmanr(xs, ys)
            print(
                f"\n{name}: zero-shot score vs featural distance from English: Pearson {pearson[0]:+.3f} "
                f"(p={pearson[1]:.1g}), Spearman {spearman[0]:+.3f} (p={spearman[1]:.1g}) (n={len(xs)})"
            )
    print(
        f"\n{GROUP}: the same {len(group)} targets for every setup (Joshi <= 2, unseen by the tiny encoder "
        "in pretraining, realigned on or not):\n"
    )
    print(group_table(plan, results, group))
    print(f"\n{GROUP} targets: {', '.join(group)}")
    for name, (_, langs) in plan.items():
        if langs and len(langs) < 20:
            print(f"{name}: {', '.join(langs)}")
    if any(math.isnan(m[GROUP]) for runs in results.values() for m in runs):
        print(f"\nwarning: no {GROUP} target in this world")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
