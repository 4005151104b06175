"""Does the tiny world behave like the real problem? Prints, over several seeds:

1. zero-shot score per language without realignment against its featural distance from English
   (Pearson / Spearman; the issue requires a clearly negative correlation), and
2. the mean unseen-LRL score without realignment, with all-pool realignment and with a 10-language
   diverse subset (``most_uriel_en``), each next to the baseline on the *same* target languages
   (unseen_lrl covers different languages for different subsets, so only that pairing is fair).

Usage: python benchmarks/tinyworld_fidelity.py [--seeds 0,1,2] [--task pos] [--world-seed 0]
Every trial runs through ``trainables.trial.run_trial``, exactly as a sweep would.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from dataclasses import replace

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2", help="trial seeds (fine-tuning/realignment)")
    parser.add_argument("--task", default="pos", choices=("pos", "ner", "nli"))
    parser.add_argument("--world-seed", type=int, default=0)
    parser.add_argument("--subset-size", type=int, default=10)
    parser.add_argument("--realign-steps", type=int, default=400)
    parser.add_argument("--realign-lr", type=float, default=1e-3)
    parser.add_argument("--finetune-lr", type=float, default=5e-4)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()

    from scipy.stats import pearsonr, spearmanr

    from spaces.catalog import ENGLISH, load_catalog
    from spaces.heuristics import select
    from spaces.trial_config import FinetuneParams, RealignParams, TrialConfig
    from spaces.typology import load_typology
    from trainables.metrics import aggregate
    from trainables.tinyworld import load_world
    from trainables.trial import run_trial

    catalog, typology = load_catalog(), load_typology()
    world = load_world(args.world_seed)
    seeds = [int(s) for s in args.seeds.split(",")]
    pool = catalog.realignment_pool()
    diverse = select("most_uriel_en", args.subset_size)
    setups = {"baseline": ("none", ()), "all-pool": ("before", tuple(pool)),
              f"most_uriel_en-{args.subset_size}": ("before", tuple(diverse))}
    base = TrialConfig(world="tiny", model="tiny", task=args.task,
                       realign=RealignParams(steps=args.realign_steps, lr=args.realign_lr),
                       finetune=FinetuneParams(lr=args.finetune_lr, epochs=args.epochs))
    scores: dict[str, list[dict[str, float]]] = {name: [] for name in setups}
    started = time.time()
    for seed in seeds:
        for name, (mode, langs) in setups.items():
            trial = replace(base, seed=seed, languages=langs, realign=replace(base.realign, mode=mode))
            metrics = run_trial(trial, world=world)
            scores[name].append({k.split("/", 1)[1]: v for k, v in metrics.items() if k.startswith("score/")})
            print(f"  seed {seed} {name:<20} unseen_lrl {metrics['unseen_lrl']:.3f} "
                  f"({time.time() - started:.0f} s)", flush=True)

    def mean_scores(name: str) -> dict[str, float]:
        return {code: statistics.fmean(run[code] for run in scores[name]) for code in scores[name][0]}

    means = {name: mean_scores(name) for name in setups}
    targets = [c for c in means["baseline"] if c != ENGLISH]
    distance = {c: typology.distance("featural", ENGLISH, c) for c in targets}

    print(f"\nTiny world (seed {args.world_seed}), task {args.task}, trial seeds {seeds}; "
          f"English score {means['baseline'][ENGLISH]:.3f}")
    print("\n| language | script | Joshi | XLM-R seen | featural dist. | baseline | all-pool | "
          f"most_uriel_en-{args.subset_size} |")
    print("|---|---|---|---|---|---|---|---|")
    for code in sorted(targets, key=distance.get):
        lang = catalog.get(code)
        row = [means[name][code] for name in setups]
        print(f"| {code} | {lang.script} | {lang.joshi} | {'yes' if lang.seen_xlmr else 'no'} | "
              f"{distance[code]:.3f} | " + " | ".join(f"{v:.3f}" for v in row) + " |")

    xs = [distance[c] for c in targets]
    for name in setups:
        ys = [means[name][c] for c in targets]
        pearson, spearman = pearsonr(xs, ys), spearmanr(xs, ys)
        print(f"\n{name}: zero-shot score vs featural distance from English: "
              f"Pearson {pearson[0]:+.3f} (p={pearson[1]:.1g}), Spearman {spearman[0]:+.3f} "
              f"(p={spearman[1]:.1g}) (n={len(xs)})")

    print("\n| setup | subset size | unseen-LRL targets | unseen_lrl realigned (mean ± sd over seeds) | "
          "baseline on the same targets | gain |")
    print("|---|---|---|---|---|---|")
    for name, (_, langs) in setups.items():
        per_seed = [aggregate(run, langs)["unseen_lrl"] for run in scores[name]]
        base_seed = [aggregate(run, langs)["unseen_lrl"] for run in scores["baseline"]]
        n_targets = sum(1 for c in targets if catalog.get(c).is_lrl and c not in langs)
        sd = statistics.stdev(per_seed) if len(per_seed) > 1 else math.nan
        gain = statistics.fmean(per_seed) - statistics.fmean(base_seed)
        print(f"| {name} | {len(langs)} | {n_targets} | {statistics.fmean(per_seed):.3f} ± {sd:.3f} | "
              f"{statistics.fmean(base_seed):.3f} | {gain:+.3f} |")
    print(f"\nsubset {args.subset_size}: {', '.join(diverse)}")
    print(f"total {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
