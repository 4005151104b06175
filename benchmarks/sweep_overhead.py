"""Sweep overhead on a cheap trainable: the product's sweep vs a plain Optuna loop over the same proxy.

Both loops run the same search: the default search space (strategy encoding, the warm starts) with the
``proxy`` trainable (XLM-R NER by default), TPE seeded alike, the same number of trials. *Product* is what
``realign-search run`` does (``plan_run`` + ``run_sweep``: the run folder, the saved config, the engine
``search.engine`` picks, ``auto`` = the in-process one for the proxy, with its reuse of evaluated
configurations and one ``trials.jsonl`` line per trial); its report is timed apart. *Direct* is
``study.ask()``, the space's define-by-run function, ``trainables.units.proxy.result``, ``study.tell``:
nothing else. One untimed plain loop warms the space's memoised heuristic selections for both; then
runs alternate (product, direct, direct, product, ...); the table gives the medians.

TPE for both, whatever the product's default sampler is: this measures the engine's cost per trial, and
a slower sampler would slow both loops alike.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

try:
    from benchmarks import _common
except ImportError:  # run as `python benchmarks/sweep_overhead.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks import _common


def proxy_config(trials: int, model: str, task: str, engine: str = "auto", seed: int = 0):
    """The default search space with the proxy trainable and TPE."""
    import tomllib

    from spaces.config import default_toml, parse_search_config

    data = tomllib.loads(default_toml())
    data["experiment"] |= {
        "name": "sweep-overhead",
        "trainable": "proxy",
        "world": "real",
        "model": model,
        "task": task,
    }
    data["search"] |= {"sampler": "tpe", "num_samples": trials, "seed": seed, "engine": engine}
    return parse_search_config(data, source="benchmarks/sweep_overhead.py")


def product_sweep(cfg, storage: str) -> tuple[float, str]:
    """Seconds for the product's sweep (plan, run folder, every trial); the report is timed apart."""
    from search.driver import plan_run, run_sweep

    target = plan_run(cfg, storage_path=storage)
    start = time.perf_counter()
    run_sweep(cfg, target, verbose=0, progress=False)
    return time.perf_counter() - start, target.run_dir


def direct_loop(cfg) -> int:
    """The plain Optuna loop over the same space and proxy; returns how many trials ran."""
    import optuna

    from search.samplers import make_sampler
    from spaces.config import SearchSpace
    from trainables.units.proxy import result

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = SearchSpace(cfg)
    metrics = cfg.search.metrics
    study = optuna.create_study(
        directions=["maximize" if o.mode == "max" else "minimize" for o in cfg.search.objectives],
        sampler=make_sampler(cfg),
    )
    for point in space.warm_start_points():
        study.enqueue_trial(point)
    for _ in range(cfg.search.num_samples):
        trial = study.ask()
        constants = space(trial)
        metrics_ = result(space.resolve({**trial.params, **constants}))
        study.tell(trial, [metrics_[m] for m in metrics])
    return cfg.search.num_samples


def measure(trials: int, repeats: int, model: str, task: str) -> dict:
    from search.engines.local import read_records

    cfg = proxy_config(trials, model, task)
    product_s: list[float] = []
    direct_s: list[float] = []
    report_s: list[float] = []
    reused: list[int] = []  # proposals the product answered from an earlier trial (not run, not counted)
    with tempfile.TemporaryDirectory(prefix="sweep-overhead-") as scratch:
        runs = iter(range(10_000))

        def product() -> None:
            from search.report import report_run

            seconds, run_dir = product_sweep(cfg, str(Path(scratch, f"runs{next(runs)}")))
            product_s.append(seconds)
            reused.append(sum(r["status"] == "reused" for r in read_records(run_dir)))
            start = time.perf_counter()
            report_run(run_dir)
            report_s.append(time.perf_counter() - start)

        def direct() -> None:
            start = time.perf_counter()
            direct_loop(cfg)
            direct_s.append(time.perf_counter() - start)

        # One untimed plain loop first: the space memoises each heuristic selection it computes, and the
        # seeded sampler proposes the same points to both loops, so whichever ran first would pay for them.
        direct_loop(cfg)
        _common.interleaved({"product": product, "direct": direct}, repeats=repeats, warmup=0)
    from search.engines import engine_name

    product_med, direct_med = _common.median(product_s), _common.median(direct_s)
    return {
        "trials": trials,
        "repeats": repeats,
        "model": model,
        "task": task,
        "sampler": "tpe",
        "engine": engine_name(cfg),
        "product_s": product_med,
        "direct_s": direct_med,
        "report_s": _common.median(report_s),
        "product_reused": _common.median(reused),
        "product_trials_per_s": trials / product_med,
        "direct_trials_per_s": trials / direct_med,
        "ratio": direct_med / product_med,
    }


def table(result: dict) -> str:
    rows = [
        [
            "product (`run_sweep`, engine " + result["engine"] + ")",
            _common.fmt(result["product_s"]),
            _common.fmt(result["product_trials_per_s"], 1),
        ],
        ["direct Optuna loop", _common.fmt(result["direct_s"]), _common.fmt(result["direct_trials_per_s"], 1)],
    ]
    return (
        _common.markdown_table(["loop", "seconds (median)", "trials/s"], rows)
        + f"\n\n{result['trials']} trials, TPE, proxy {result['model']} {result['task']}, "
        f"{result['repeats']} runs of each, alternated. Product / direct trials per second: "
        f"**{result['ratio']:.2f}**. The product also answered {result['product_reused']:.0f} repeated "
        "proposals from earlier trials (not run, not counted; the direct loop runs every proposal). "
        f"The product's report then took {result['report_s']:.2f} s."
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = _common.parser(__doc__.split("\n")[0])
    p.add_argument("--trials", type=int, default=1000, help="trials per sweep (default 1000)")
    p.add_argument("--repeats", type=int, default=2, help="runs of each loop, alternated (default 2)")
    p.add_argument("--model", default="xlm-roberta-base", help="proxy model (published results)")
    p.add_argument("--task", default="ner", help="proxy task")
    p.add_argument("--json", metavar="FILE", help="also write the figures to FILE")
    args = p.parse_args(argv)
    trials, repeats = (12, 1) if args.quick else (args.trials, args.repeats)
    _common.print_header("Sweep overhead on the proxy: the product's sweep vs a plain Optuna loop", __file__, argv)
    result = measure(trials, repeats, args.model, args.task)
    print(table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
