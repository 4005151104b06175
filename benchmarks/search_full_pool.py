"""Full pool: after 100 proxy trials, does the default search's front dominate or equal every paper point?

Issue 12's goal on the 65-language pool: the proxy front after 100 trials (warm start included) dominates or
equals every subset the paper measured, at the paper's sizes. A paper point is the proxy's ``unseen_lrl``
(the fixed target group) of one subset the paper realigned on (``trainables.published.replay
.measured_subsets``: every distinct list of the model x task's ``before`` runs, whichever folder and seed),
at its own size. It is *missed* when no trial of that size or smaller scores at least as much.

Each search is the product's default space on the proxy (``search_config``: mask encoding, the default
sampler, default strategies and warm-start sizes 5 and 20, the whole pool), run as
``benchmarks/search_efficiency.py`` runs it: the product's sampler, warm start, define-by-run space and
proxy through Optuna ask/tell, without Ray. Methods (``--methods``):

* ``default``: exactly that;
* ``default+ablations``: the same, plus the paper's own lists of its ablations as extra warm starts
  (``subset.strategies`` += ``paper:<name>`` for ``afri_only``, ``most_same_script`` and every
  ``abla_*_unseen_<model>`` list, each at the sizes the paper ran that the space allows): the lists the
  default search misses most, in the research prototype's runs;
* ``tpe``: TPE on the same space, for comparison.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _common
from benchmarks.search_efficiency import BY_NAME, OBJECTIVES, objective_values, reference_point, run_search
from search.pareto import hypervolume_2d
from spaces.vocab import REAL_MODELS, TASKS, canonical_model, short_model

STRATEGIES = ("most_uriel_en", "least_uriel_en", "most_family_en", "random")  # spaces/data/default.toml
WARM_SIZES = (5, 20)
ABLATIONS = ("afri_only", "most_same_script")  # plus every abla_*_unseen_<model> list (both models)
METHODS = ("default", "default+ablations", "tpe")


def ablation_strategies() -> list[str]:
    """``paper:<name>`` of the ablation lists: ``ABLATIONS`` and the ``abla_*_unseen_<model>`` lists (the
    paper ran both models' lists with each model, so both count as paper points)."""
    from spaces.paper import paper_names

    wanted = {f"paper:{name}" for name in ABLATIONS}
    return [n for n in paper_names() if n in wanted or (n.startswith("paper:abla_") and "_unseen_" in n)]


def search_config(method: str, seed: int, model: str, task: str, trials: int):
    """The product's default space on the proxy for ``model`` x ``task`` (see the module docstring)."""
    from spaces.config import parse_search_config

    strategies = list(STRATEGIES) + (ablation_strategies() if method == "default+ablations" else [])
    search = {"objectives": [str(o) for o in OBJECTIVES], "num_samples": trials, "seed": seed}
    if method == "tpe":
        search["sampler"] = "tpe"
    return parse_search_config(
        {
            "experiment": {"name": "full-pool", "trainable": "proxy", "world": "real", "model": model, "task": task},
            "subset": {"encoding": "mask", "pool": "all", "strategies": strategies, "min_languages": 1},
            "search": search | {"warm_start_sizes": list(WARM_SIZES)},
        },
        source="benchmarks/search_full_pool.py",
    )


def paper_points(cfg) -> list[tuple[float, float, str]]:
    """(proxy unseen_lrl, size, folder) of every subset the paper measured for the space's model x task."""
    from trainables.published.replay import measured_subsets

    exp = cfg.experiment
    return [
        (*objective_values(cfg, {"languages": list(m.languages)}), m.folders[0])
        for m in measured_subsets(exp.model, exp.task)
    ]


def misses(points: Sequence[tuple[float, float]], paper: Sequence[tuple[float, float, str]]) -> list[dict]:
    """Paper points no trial of that size or smaller reaches: the folder, size, value and the shortfall."""
    out = []
    for value, size, folder in paper:
        best = max((v for v, n in points if n <= size), default=float("-inf"))
        if best < value - 1e-12:
            out.append({"folder": folder, "size": int(size), "paper": value, "best": best, "short": value - best})
    return out


def measure(model: str, task: str, methods: Sequence[str], seeds: int, trials: int) -> dict:
    """Per method and seed: paper points missed, the worst shortfall, and HV relative to the paper's."""
    base = search_config(methods[0], 0, model, task, trials)
    paper = paper_points(base)
    reference = reference_point(base)
    paper_hv = hypervolume_2d([(v, n) for v, n, _ in paper], [o.mode for o in OBJECTIVES], reference)
    out: dict = {"model": model, "task": task, "paper_points": len(paper), "methods": {}}
    for method in methods:
        rows = []
        for seed in range(seeds):
            cfg = search_config(method, seed, model, task, trials)
            variant = BY_NAME["tpe" if method == "tpe" else "default"]
            points = run_search(cfg, trials, variant)
            missed = misses(points, paper)
            hv = hypervolume_2d(points, [o.mode for o in OBJECTIVES], reference)
            rows.append({"missed": len(missed), "misses": missed, "hv_vs_paper": hv / paper_hv})
        out["methods"][method] = rows
    return out


def table(results: Sequence[dict]) -> str:
    headers = [
        "model task",
        "method",
        "paper points",
        "missed per seed",
        "worst shortfall",
        "folders missed",
        "HV / paper HV",
    ]
    rows = []
    for res in results:
        for method, per_seed in res["methods"].items():
            every = [m for row in per_seed for m in row["misses"]]
            worst = max((m["short"] for m in every), default=0.0)
            folders = sorted({f"{m['folder']} ({m['size']})" for m in every})
            shown = ", ".join(folders[:4]) + (f", +{len(folders) - 4}" if len(folders) > 4 else "") or "-"
            hv = sum(row["hv_vs_paper"] for row in per_seed) / len(per_seed)
            missed = [row["missed"] for row in per_seed]
            label = f"{short_model(res['model'])} {res['task']}"
            rows.append([label, method, res["paper_points"], str(missed), f"{worst:.4f}", shown, f"{hv:.3f}"])
    return (
        _common.markdown_table(headers, rows)
        + "\n\nA paper point is missed when no trial of its size or smaller scores its proxy unseen_lrl; the worst "
        "shortfall is in unseen_lrl units (0-1). HV / paper HV: the trials' hypervolume over the paper points' "
        "(reference: the baseline's unseen_lrl, 66 languages)."
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = _common.parser(__doc__.split("\n")[0])
    p.add_argument("--model", default="all", help="a proxy model, or all (both)")
    p.add_argument("--task", default="all", choices=(*TASKS, "all"))
    p.add_argument("--methods", default="default,default+ablations", help=f"comma-separated, of {', '.join(METHODS)}")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--trials", type=int, default=100, help="trials per search, warm start included")
    p.add_argument("--json", type=Path, default=None, help="write the per-seed misses here")
    args = p.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if not methods or any(m not in METHODS for m in methods):
        p.error(f"--methods: choose from {', '.join(METHODS)}")
    models = list(REAL_MODELS) if args.model == "all" else [canonical_model(args.model)]
    tasks = list(TASKS) if args.task == "all" else [args.task]
    seeds, trials = (1, 12) if args.quick else (args.seeds, args.trials)
    if args.quick:
        models, tasks = models[:1], tasks[:1]
    _common.print_header(f"Full pool: the front after {trials} trials vs every paper point", __file__, argv)
    results = [measure(model, task, methods, seeds, trials) for model in models for task in tasks]
    print(table(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
