"""Search efficiency: hypervolume of the Pareto front after n trials, ours vs random search vs exhaustive.

The objective is the product's cheap fidelity, the proxy (``trainables.units.proxy.result``): maximise
predicted ``unseen_lrl``, minimise ``n_languages``, on a 12-language pool (the 65-language pool minus
53 ``must_exclude`` languages, so every constraint and heuristic of ``spaces.config`` applies as in a
real sweep). Each trial follows the product's code path without Ray: the same Optuna sampler
(``search.samplers.make_sampler``), warm start (``points_to_evaluate`` -> ``study.enqueue_trial``, as
Ray's ``OptunaSearch`` does), define-by-run space and ``resolve_trial`` (``spaces.config.SearchSpace``),
then the proxy, told back through Optuna's ask/tell.

Exhaustive = all 2^12 - 1 non-empty subsets scored by the proxy: the true front of this problem. Every
hypervolume uses one reference point: (the fine-tuning-only baseline's predicted unseen_lrl, pool size
+ 1), i.e. the area of "better than not realigning" x "fewer languages than the whole pool + 1".
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _common
from search.pareto import hypervolume_2d, pareto_front
from spaces.vocab import TASKS, Objective

# Four resource classes, eight families, seven scripts; five of them low-resource (Joshi <= 2).
POOL = ("de", "ru", "hi", "ar", "ja", "id", "ta", "swh_Latn", "yor_Latn", "hau_Latn", "amh_Ethi", "mya_Mymr")
OBJECTIVES = (Objective("unseen_lrl", "max"), Objective("n_languages", "min"))
MODES = tuple(o.mode for o in OBJECTIVES)  # of each objective, in order
TRIAL_COUNTS = (10, 20, 30, 50)
WARM_STRATEGIES = ("most_uriel_en", "least_uriel_en", "most_family_en", "most_distinct_script")


@dataclass(frozen=True)
class Variant:
    """One search method: a sampler and subset encoding of the product's search space."""

    label: str
    sampler: str
    encoding: str
    warm_start: bool


VARIANTS = (
    Variant("ours: TPE, mask, heuristic warm start", "tpe", "mask", True),
    Variant("ours: NSGA-II, mask, heuristic warm start", "nsga2", "mask", True),
    Variant("ours: TPE, strategy encoding, warm start", "tpe", "strategy", True),
    Variant("random search (uniform masks)", "random", "mask", False),
)


def search_config(
    variant: Variant, seed: int, model: str, task: str, warm_sizes: Sequence[int], pool: Sequence[str] = POOL
):
    """The product's ``SearchConfig`` for this benchmark (proxy trainable, ``pool`` as the only languages)."""
    from spaces.catalog import load_catalog
    from spaces.config import parse_search_config

    outside = [code for code in load_catalog().realignment_pool() if code not in pool]
    return parse_search_config(
        {
            "experiment": {
                "name": "search-efficiency",
                "trainable": "proxy",
                "world": "real",
                "model": model,
                "task": task,
            },
            "subset": {
                "encoding": variant.encoding,
                "pool": "all",
                "must_exclude": outside,
                "strategies": list(WARM_STRATEGIES) + (["random"] if variant.encoding == "strategy" else []),
                "min_languages": 1,
            },
            "search": {
                "sampler": variant.sampler,
                "objectives": [str(o) for o in OBJECTIVES],
                "num_samples": max(TRIAL_COUNTS),
                "warm_start": variant.warm_start,
                "warm_start_sizes": list(warm_sizes),
                "seed": seed,
            },
        },
        source="benchmarks/search_efficiency.py",
    )


def objective_values(cfg, sampled: dict) -> tuple[float, float]:
    """What one trial reports, through the product's path: resolve the sampled point, run the proxy."""
    from spaces.config import SearchSpace
    from trainables.units.proxy import result

    metrics = result(SearchSpace(cfg).resolve(sampled))
    return metrics[OBJECTIVES[0].metric], float(metrics[OBJECTIVES[1].metric])


def run_search(cfg, n_trials: int) -> list[tuple[float, float]]:
    """``n_trials`` trials of the configured Optuna search, in order, as (unseen_lrl, n_languages)."""
    import optuna

    from search.samplers import make_sampler
    from spaces.config import SearchSpace

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = SearchSpace(cfg)
    study = optuna.create_study(
        directions=["maximize" if m == "max" else "minimize" for m in MODES], sampler=make_sampler(cfg)
    )
    if cfg.search.warm_start:
        for point in space.warm_start_points():
            study.enqueue_trial(point)
    points = []
    for _ in range(n_trials):
        trial = study.ask()
        constants = space(trial)  # define-by-run: suggests the subset parameters, returns `languages`
        values = objective_values(cfg, {**trial.params, **constants})
        study.tell(trial, list(values))
        points.append(values)
    return points


def exhaustive(cfg) -> list[tuple[float, float]]:
    """Every non-empty subset of the pool, scored by the proxy."""
    pool = cfg.subset.available
    return [
        objective_values(cfg, {"languages": list(subset)})
        for size in range(1, len(pool) + 1)
        for subset in itertools.combinations(pool, size)
    ]


def reference_point(cfg) -> tuple[float, float]:
    """(baseline unseen_lrl, pool size + 1): shared by every hypervolume in the table."""
    from spaces.trial_config import RealignParams, TrialConfig
    from trainables.units.proxy import result

    exp = cfg.experiment
    baseline = TrialConfig(world=exp.world, model=exp.model, task=exp.task, realign=RealignParams(mode="none"))
    return result(baseline.to_dict())[OBJECTIVES[0].metric], float(len(cfg.subset.available) + 1)


def hypervolume(points: Sequence[tuple[float, float]], reference: tuple[float, float]) -> float:
    return hypervolume_2d(points, MODES, reference)


def measure(
    seeds: int,
    counts: Sequence[int],
    model: str,
    task: str,
    warm_sizes: Sequence[int],
    variants: Sequence[Variant] = VARIANTS,
    pool: Sequence[str] = POOL,
) -> dict:
    """Hypervolumes per variant and trial count over ``seeds`` seeds, plus the exhaustive front's."""
    first = search_config(variants[0], 0, model, task, warm_sizes, pool)
    reference = reference_point(first)
    results: dict[str, dict[int, list[float]]] = {}
    warm_points: dict[str, int] = {}
    for variant in variants:
        results[variant.label] = {n: [] for n in counts}
        for seed in range(seeds):
            cfg = search_config(variant, seed, model, task, warm_sizes, pool)
            warm_points[variant.label] = len(cfg_points(cfg))
            points = run_search(cfg, max(counts))
            for n in counts:
                results[variant.label][n].append(hypervolume(points[:n], reference))
    every = exhaustive(first)
    return {
        "reference": reference,
        "results": results,
        "warm_points": warm_points,
        "seeds": seeds,
        "pool": tuple(first.subset.available),
        "exhaustive": hypervolume(every, reference),
        "exhaustive_front_size": len({every[i] for i in pareto_front(every, MODES)}),
        "n_subsets": len(every),
    }


def cfg_points(cfg) -> list:
    from spaces.config import warm_start_points

    return warm_start_points(cfg)


def table(result: dict, counts: Sequence[int]) -> str:
    exhaustive_hv = result["exhaustive"]
    headers = ["search", "warm-start points", *[f"HV after {n}" for n in counts]]
    rows = []
    for label, by_n in result["results"].items():
        cells = []
        for n in counts:
            mean, sd = _common.mean_sd(by_n[n])
            cells.append(f"{1000 * mean:.2f} ± {1000 * sd:.2f} ({100 * mean / exhaustive_hv:.0f}%)")
        rows.append([label, result["warm_points"][label], *cells])
    rows.append(
        [
            f"exhaustive ({result['n_subsets']} subsets, front of {result['exhaustive_front_size']})",
            "-",
            *[f"{1000 * exhaustive_hv:.2f} (100%)"] * len(counts),
        ]
    )
    random_label = next((label for label in result["results"] if label.startswith("random")), None)
    ratios = []
    if random_label is not None:
        baseline = {n: _common.mean_sd(result["results"][random_label][n])[0] for n in counts}
        ratios = [
            [label, *[f"{_common.mean_sd(by_n[n])[0] / baseline[n]:.3f}x" if baseline[n] else "-" for n in counts]]
            for label, by_n in result["results"].items()
            if label != random_label
        ]
    ref = result["reference"]
    ratio_table = (
        (
            "\n\nRatio of mean hypervolumes, each search vs random search at the same n:\n\n"
            + _common.markdown_table(["search", *[f"n = {n}" for n in counts]], ratios)
        )
        if ratios
        else ""
    )
    return (
        _common.markdown_table(headers, rows)
        + f"\n\nHypervolume x 1000 (unseen_lrl is a 0-1 score), mean ± sd over {result['seeds']} sampler "
        f"seeds, in parentheses the share of the exhaustive front's; reference point: unseen_lrl "
        f"{ref[0]:.4f} (baseline, no realignment), n_languages {ref[1]:.0f}. Pool: {', '.join(result['pool'])}."
        + ratio_table
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = _common.parser(__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=None, help="sampler seeds per search (default 10)")
    p.add_argument("--model", default="xlm-roberta-base", help="proxy model (published results)")
    p.add_argument("--task", default="ner", choices=TASKS)
    p.add_argument("--warm-sizes", default="2,6", help="warm-start sizes of the heuristics (comma-separated)")
    args = p.parse_args(argv)
    counts = (3, 5) if args.quick else TRIAL_COUNTS
    seeds = args.seeds or (1 if args.quick else 10)
    warm_sizes = [int(s) for s in args.warm_sizes.split(",")]
    _common.print_header("Search efficiency on the proxy: hypervolume after n trials", __file__, argv)
    result = measure(
        seeds,
        counts,
        args.model,
        args.task,
        warm_sizes,
        variants=VARIANTS[::3] if args.quick else VARIANTS,
        pool=POOL[:4] if args.quick else POOL,
    )
    print(table(result, counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
