"""Search efficiency: hypervolume of the Pareto front after n trials, each sampler vs random vs exhaustive.

The objective is the product's cheap fidelity, the proxy (``trainables.units.proxy.result``): maximise
predicted ``unseen_lrl`` (the fixed target group), minimise ``n_languages``, on a 12-language pool (the
65-language pool minus 53 ``must_exclude`` languages, so every constraint and heuristic of ``spaces.config``
applies as in a real sweep). Each trial follows the product's code path without Ray: the same Optuna sampler
(``search.samplers.make_sampler``), warm start (``points_to_evaluate`` -> ``study.enqueue_trial``, as
Ray's ``OptunaSearch`` does), define-by-run space and ``resolve_trial`` (``spaces.config.SearchSpace``),
then the proxy, told back through Optuna's ask/tell.

Methods (``--methods``): ``default`` (the product's default: the subset sampler on the mask encoding),
``tpe``, ``nsga2``, ``random`` (uniform masks, no warm start), ``tpe-strategy`` and ``gp`` (Optuna's
GPSampler; slow, so ``--gp-seeds``). ``--json FILE`` writes ``methods`` -> method -> "10"/"20"/"30"/"50" ->
mean share of the exhaustive front's hypervolume, and ``default``: the key of the product's default.

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

import json
import time

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
    """One search method: a sampler and subset encoding of the product's search space.

    ``name`` is the method's key in the ``--json`` file; ``sampler`` a name of ``spaces.vocab.SAMPLERS``
    (built by the product's ``search.samplers.make_sampler``) or ``gp`` (Optuna's GPSampler, not a product
    sampler: measured for comparison only).
    """

    name: str
    label: str
    sampler: str
    encoding: str
    warm_start: bool


DEFAULT = "default"  # the --json key of the product's default search (default sampler and encoding)
VARIANTS = (
    Variant(DEFAULT, "default: subset sampler, mask, heuristic warm start", "subset", "mask", True),
    Variant("tpe", "TPE, mask, heuristic warm start", "tpe", "mask", True),
    Variant("nsga2", "NSGA-II, mask, heuristic warm start", "nsga2", "mask", True),
    Variant("random", "random search (uniform masks)", "random", "mask", False),
    Variant("tpe-strategy", "TPE, strategy encoding, warm start", "tpe", "strategy", True),
    Variant("gp", "Optuna GPSampler, mask, heuristic warm start", "gp", "mask", True),
)
BY_NAME = {v.name: v for v in VARIANTS}
DEFAULT_METHODS = ("default", "tpe", "nsga2", "random")


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
                "sampler": "tpe" if variant.sampler == "gp" else variant.sampler,
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


def sampler_for(variant: Variant, cfg):
    """The product's sampler for ``cfg``; Optuna's GPSampler for the ``gp`` comparison."""
    import optuna

    from search.samplers import make_sampler

    if variant.sampler == "gp":
        return optuna.samplers.GPSampler(seed=cfg.search.seed, deterministic_objective=True)
    return make_sampler(cfg)


def run_search(cfg, n_trials: int, variant: Variant | None = None, seconds: list[float] | None = None):
    """``n_trials`` trials of the configured Optuna search, in order, as (unseen_lrl, n_languages);
    ``seconds`` collects each trial's ask + define-by-run time (the sampler's cost)."""
    import optuna

    from spaces.config import SearchSpace

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = SearchSpace(cfg)
    variant = variant or Variant(cfg.search.sampler, cfg.search.sampler, cfg.search.sampler, "", True)
    study = optuna.create_study(
        directions=["maximize" if m == "max" else "minimize" for m in MODES], sampler=sampler_for(variant, cfg)
    )
    if cfg.search.warm_start:
        for point in space.warm_start_points():
            study.enqueue_trial(point)
    points = []
    for _ in range(n_trials):
        start = time.perf_counter()
        trial = study.ask()
        constants = space(trial)  # define-by-run: suggests the subset parameters, returns `languages`
        if seconds is not None:
            seconds.append(time.perf_counter() - start)
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
    variants: Sequence[Variant] = tuple(BY_NAME[m] for m in DEFAULT_METHODS),
    pool: Sequence[str] = POOL,
    seeds_of: dict[str, int] | None = None,
) -> dict:
    """Hypervolumes per variant (by name) and trial count over ``seeds`` seeds (``seeds_of`` overrides
    it per variant name, e.g. fewer for the slow GPSampler), plus the exhaustive front's."""
    first = search_config(variants[0], 0, model, task, warm_sizes, pool)
    reference = reference_point(first)
    results: dict[str, dict[int, list[float]]] = {}
    warm_points: dict[str, int] = {}
    ms_per_trial: dict[str, float] = {}
    for variant in variants:
        results[variant.name] = {n: [] for n in counts}
        seconds: list[float] = []
        for seed in range((seeds_of or {}).get(variant.name, seeds)):
            cfg = search_config(variant, seed, model, task, warm_sizes, pool)
            warm_points[variant.name] = len(cfg_points(cfg))
            points = run_search(cfg, max(counts), variant, seconds)
            for n in counts:
                results[variant.name][n].append(hypervolume(points[:n], reference))
        ms_per_trial[variant.name] = 1000 * sum(seconds) / max(len(seconds), 1)
    every = exhaustive(first)
    return {
        "model": model,
        "task": task,
        "reference": reference,
        "results": results,
        "warm_points": warm_points,
        "ms_per_trial": ms_per_trial,
        "seeds": seeds,
        "pool": tuple(first.subset.available),
        "exhaustive": hypervolume(every, reference),
        "exhaustive_front_size": len({every[i] for i in pareto_front(every, MODES)}),
        "n_subsets": len(every),
    }


def cfg_points(cfg) -> list:
    from spaces.config import warm_start_points

    return warm_start_points(cfg)


def shares(result: dict) -> dict[str, dict[str, float]]:
    """method -> trial count (as text) -> mean share of the exhaustive front's hypervolume: the --json file."""
    return {
        name: {str(n): _common.mean_sd(values)[0] / result["exhaustive"] for n, values in by_n.items()}
        for name, by_n in result["results"].items()
    }


def json_payload(result: dict) -> dict:
    """What ``--json`` writes: ``methods`` -> method -> "10"/"20"/... -> mean share of the exhaustive HV;
    ``default`` is the product's default method's key (and ``default_sampler`` its sampler)."""
    return {
        "model": result["model"],
        "task": result["task"],
        "default": DEFAULT,
        "default_sampler": BY_NAME[DEFAULT].sampler,
        "methods": shares(result),
        "seeds": {name: len(next(iter(by_n.values()))) for name, by_n in result["results"].items()},
        "ms_per_trial": result["ms_per_trial"],
        "exhaustive_hypervolume": result["exhaustive"],
        "reference": list(result["reference"]),
        "pool": list(result["pool"]),
    }


def table(result: dict, counts: Sequence[int]) -> str:
    exhaustive_hv = result["exhaustive"]
    headers = ["search", "seeds", "warm-start points", *[f"HV after {n}" for n in counts], "ms / trial"]
    rows = []
    for name, by_n in result["results"].items():
        cells = []
        for n in counts:
            mean, sd = _common.mean_sd(by_n[n])
            cells.append(f"{1000 * mean:.2f} ± {1000 * sd:.2f} ({100 * mean / exhaustive_hv:.1f}%)")
        label = BY_NAME[name].label if name in BY_NAME else name
        rows.append(
            [label, len(by_n[counts[0]]), result["warm_points"][name], *cells, f"{result['ms_per_trial'][name]:.0f}"]
        )
    rows.append(
        [
            f"exhaustive ({result['n_subsets']} subsets, front of {result['exhaustive_front_size']})",
            "-",
            "-",
            *[f"{1000 * exhaustive_hv:.2f} (100%)"] * len(counts),
            "-",
        ]
    )
    share = shares(result)
    margins = []
    if "random" in share:
        margins = [
            [
                BY_NAME[name].label if name in BY_NAME else name,
                *[f"{100 * (by_n[str(n)] - share['random'][str(n)]):+.1f}" for n in counts],
            ]
            for name, by_n in share.items()
            if name != "random"
        ]
    ref = result["reference"]
    margin_table = (
        (
            "\n\nLead over random search, in points of the exhaustive front's hypervolume, at the same n:\n\n"
            + _common.markdown_table(["search", *[f"n = {n}" for n in counts]], margins)
        )
        if margins
        else ""
    )
    return (
        _common.markdown_table(headers, rows)
        + f"\n\n{result['model']} {result['task']}. Hypervolume x 1000 (unseen_lrl is a 0-1 score), mean ± sd over "
        f"the sampler seeds, in parentheses the share of the exhaustive front's; ms / trial: Optuna ask + "
        f"define-by-run (the sampler's cost), mean; reference point: unseen_lrl "
        f"{ref[0]:.4f} (baseline, no realignment), n_languages {ref[1]:.0f}. Pool: {', '.join(result['pool'])}."
        + margin_table
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = _common.parser(__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=None, help="sampler seeds per search (default 10)")
    p.add_argument("--model", default="xlm-roberta-base", help="proxy model (published results)")
    p.add_argument("--task", default="ner", choices=TASKS)
    p.add_argument("--warm-sizes", default="2,6", help="warm-start sizes of the heuristics (comma-separated)")
    p.add_argument(
        "--methods",
        default=",".join(DEFAULT_METHODS),
        help=f"comma-separated, of {', '.join(BY_NAME)} (gp: Optuna's GPSampler, ~2 s per trial)",
    )
    p.add_argument("--gp-seeds", type=int, default=3, help="seeds for gp (slow), at most --seeds")
    p.add_argument("--json", type=Path, default=None, help="write methods -> trial count -> mean HV share here")
    args = p.parse_args(argv)
    counts = (3, 5) if args.quick else TRIAL_COUNTS
    seeds = args.seeds or (1 if args.quick else 10)
    warm_sizes = [int(s) for s in args.warm_sizes.split(",")]
    names = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in names if m not in BY_NAME]
    if unknown or not names:
        p.error(f"--methods: unknown {unknown}; choose from {', '.join(BY_NAME)}")
    if args.quick:
        names = [n for n in names if n in (DEFAULT, "random")] or [DEFAULT]
    _common.print_header("Search efficiency on the proxy: hypervolume after n trials", __file__, argv)
    result = measure(
        seeds,
        counts,
        args.model,
        args.task,
        warm_sizes,
        variants=[BY_NAME[n] for n in names],
        pool=POOL[:4] if args.quick else POOL,
        seeds_of={"gp": min(args.gp_seeds, seeds)},
    )
    print(table(result, counts))
    if args.json is not None:
        args.json.write_text(json.dumps(json_payload(result), indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
