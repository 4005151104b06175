"""Does a realignment choice change the transfer score? Mixed vs one-language batches (default), or the
realigned layer / the pooling, measured on the tiny world with the same seeds and the same targets.

For every seed both variants run the same trial (same subset, data, initialisation) and differ only in
the compared setting, so the per-seed difference is paired. The score is the mean over a FIXED target
group: Joshi <= 2 languages the tiny encoder never saw in pretraining (``pretraining_languages``),
computed here from per-language scores so it does not depend on how ``unseen_lrl`` is defined. Printed:
each variant's mean ± sd over seeds, the paired difference (mean ± sd, paired t-test) and the baseline
(no realignment) on the same targets.

Usage: python benchmarks/realign_batching.py [--compare batching|layer|pooling] [--layer L] [--seeds 0,1,2] ...
Every trial goes through ``trainables.trial.run_trial``, as in a sweep.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _common  # noqa: E402
from spaces.vocab import TASKS  # noqa: E402

VARIANTS = {
    "batching": ("mixed", "per_language"),
    "layer": (-2, -1),
    "pooling": ("mean", "first_subword", "paper_prefix"),
}


def target_group(world, task: str) -> list[str]:
    """Joshi <= 2 task languages outside the tiny encoder's pretraining data (fixed, whatever the subset)."""
    from spaces.catalog import load_catalog
    from trainables.tinyworld.generator import pretraining_languages

    catalog, seen = load_catalog(), set(pretraining_languages())
    return [code for code in world.task_languages(task) if catalog.get(code).is_lrl and code not in seen]


def main(argv: list[str] | None = None, world=None) -> int:
    parser = _common.parser(__doc__.splitlines()[0])
    parser.add_argument("--compare", choices=sorted(VARIANTS), default="batching")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--task", default="pos", choices=TASKS)
    parser.add_argument("--strategy", default="most_uriel_en", help="subset heuristic (spaces.heuristics)")
    parser.add_argument("--size", type=int, default=10, help="subset size")
    parser.add_argument("--steps", type=int, default=150, help="realignment steps")
    parser.add_argument("--train-size", type=int, default=1000, help="English fine-tuning examples")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument(
        "--layer", type=int, default=None, help="realignment layer of every variant (default: the trial default, -2)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.size, args.steps, args.train_size, args.epochs = "0,1", 2, 4, 32, 1

    from scipy.stats import ttest_rel

    from spaces.heuristics import select
    from spaces.trial_config import FinetuneParams, RealignParams, TrialConfig
    from trainables.trial import run_trial

    if world is None:
        from trainables.tinyworld import load_world

        world = load_world(0)
    _common.print_header(f"Realignment {args.compare}: paired comparison on a fixed target group", __file__, argv)
    group = target_group(world, args.task)
    pool = world.parallel_languages()
    # a world without the whole pool (the smoke test's fake world) realigns on its own languages
    subset = tuple(select(args.strategy, args.size) if len(pool) >= 65 else pool[: args.size])
    seeds = [int(s) for s in args.seeds.split(",")]
    base = TrialConfig(
        languages=subset,
        world="tiny",
        model="tiny",
        task=args.task,
        targets=tuple(group),
        realign=RealignParams(steps=args.steps, **({} if args.layer is None else {"layer": args.layer})),
        finetune=FinetuneParams(epochs=args.epochs, train_size=args.train_size),
    )
    variants = VARIANTS[args.compare]
    scores: dict[str, list[float]] = {str(v): [] for v in (*variants, "baseline")}
    started = time.time()

    def group_mean(metrics: dict) -> float:
        return _common.mean_sd([metrics[f"score/{c}"] for c in group])[0]

    for seed in seeds:
        for value in variants:
            trial = replace(base, seed=seed, realign=replace(base.realign, **{args.compare: value}))
            scores[str(value)].append(group_mean(run_trial(trial, world=world)))
        none = replace(base, seed=seed, realign=replace(base.realign, mode="none"))
        scores["baseline"].append(group_mean(run_trial(none, world=world)))
        print(
            f"  seed {seed}: "
            + ", ".join(f"{k} {v[-1]:.4f}" for k, v in scores.items())
            + f" ({time.time() - started:.0f} s)",
            flush=True,
        )

    print(f"\nsubset ({args.strategy}, {len(subset)}): {', '.join(subset)}")
    print(f"target group ({len(group)}, Joshi <= 2, unseen in pretraining): {', '.join(group)}")
    print(
        f"{args.steps} realignment steps, fine-tuning {args.train_size} examples x {args.epochs} epochs, "
        f"task {args.task}, seeds {seeds}\n"
    )
    rows = []
    for name, values in scores.items():
        mean, sd = _common.mean_sd(values)
        rows.append([name, " ".join(f"{v:.4f}" for v in values), f"{mean:.4f} ± {sd:.4f}"])
    print(_common.markdown_table([args.compare, "per seed", "mean ± sd"], rows))
    first, second = (str(v) for v in variants[:2])
    diffs = [a - b for a, b in zip(scores[first], scores[second], strict=True)]
    mean, sd = _common.mean_sd(diffs)
    p = ttest_rel(scores[first], scores[second]).pvalue if len(seeds) > 1 else float("nan")
    print(
        f"\npaired difference {first} - {second}: {mean:+.4f} ± {sd:.4f} (per seed: "
        f"{', '.join(f'{d:+.4f}' for d in diffs)}; paired t-test p = {p:.2g}, n = {len(seeds)})"
    )
    print(f"total {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
