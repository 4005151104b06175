"""What a trial costs besides its training: set-up with cold vs warm caches, and Ray Tune's per-trial overhead.

Part 1 -- cache reuse. A temporary ``$REALIGN_SEARCH_CACHE`` holds a link to the already built tiny world
and nothing else (no tokenised corpora), so the first trial pays tokenisation. Then, in one fresh process:
trial 1 (cold), trial 2 (same languages, other hyperparameters: everything cached in memory), trial 3
(two new languages: their pairs are tokenised, task sets are cached); and in a second fresh process, a
trial as a new Ray worker sees it (tokenised files on disk, nothing in memory). "Set-up" is the trial's
own ``time/setup`` (``trainables.trial.run_trial``: world, tokenised data, encoder, heads), excluding
interpreter start and imports.

Part 2 -- Ray Tune overhead. The same n short trials through a ``Tuner`` (the ``realign`` trainable,
1 CPU, one trial at a time) and as n direct ``run_trial`` calls whose checkpoints are copied to a
storage folder as Tune persists them, alternated, warm disk cache for both. The difference per trial
is what Tune adds (worker start-up, imports, result and checkpoint handling), amortised over n.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _common

FIRST_LANGUAGES = "de,swh_Latn"
NEW_LANGUAGES = "hi,yor_Latn"


def short_trial(languages: Sequence[str], quick: bool, seed: int = 0, lr: float = 5e-4, targets: Sequence[str] = ()):
    """A short but complete trial: realign, fine-tune one epoch, evaluate (``targets``; () = every language)."""
    from spaces.trial_config import FinetuneParams, RealignParams, TrialConfig

    return TrialConfig(
        languages=tuple(languages),
        seed=seed,
        targets=tuple(targets),
        realign=RealignParams(steps=2 if quick else 5, lr=lr),
        finetune=FinetuneParams(epochs=1, train_size=16 if quick else 64, max_length=64, lr=2e-4),
    )


def seeded_cache(world_dir: Path, root: Path) -> Path:
    """A cache root whose ``tinyworld/`` links to the built world and which holds nothing else."""
    link = root / "tinyworld" / world_dir.name
    link.parent.mkdir(parents=True)
    link.symlink_to(world_dir.resolve(), target_is_directory=True)
    return root


# ----------------------------------------------------------------------------------------- part 1
def setup_phases(phase: str, quick: bool, first: Sequence[str], new: Sequence[str], world=None) -> dict[str, float]:
    """``time/setup`` of the trials of one process: ``cold`` = trials 1, 2, 3; ``worker`` = one trial."""
    from trainables.trial import run_trial

    if phase == "worker":
        return {"worker": run_trial(short_trial(first, quick), world=world)["time/setup"]}
    return {
        "trial 1": run_trial(short_trial(first, quick), world=world)["time/setup"],
        "trial 2": run_trial(short_trial(first, quick, lr=1e-3), world=world)["time/setup"],
        "trial 3": run_trial(short_trial(new, quick), world=world)["time/setup"],
    }


def child_setup(cache: Path, phase: str, quick: bool, first: Sequence[str], new: Sequence[str]) -> dict[str, float]:
    """``setup_phases`` in a fresh interpreter on ``cache`` (nothing in memory, as a new worker)."""
    env = {**os.environ, "REALIGN_SEARCH_CACHE": str(cache)}
    args = [
        sys.executable,
        __file__,
        "--child",
        phase,
        "--languages",
        ",".join(first),
        "--new-languages",
        ",".join(new),
    ] + (["--quick"] if quick else [])
    out = subprocess.run(args, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_setup(
    repeats: int, quick: bool, first: Sequence[str], new: Sequence[str], world=None
) -> dict[str, list[float]]:
    """Set-up seconds per situation over ``repeats`` fresh caches.

    With ``world`` given (tests: a world that exists only in this process) every phase runs in this
    process, and forgetting the in-memory tokenised sets stands in for a fresh interpreter.
    """
    from trainables.tinyworld import load_world

    times: dict[str, list[float]] = {}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="setup-bench-") as tmp:
            if world is None:
                cache = seeded_cache(load_world(0).path, Path(tmp))
                runs = [child_setup(cache, phase, quick, first, new) for phase in ("cold", "worker")]
            else:
                runs = in_process_phases(Path(tmp), quick, first, new, world)
            for run in runs:
                for name, seconds in run.items():
                    times.setdefault(name, []).append(seconds)
    return times


def in_process_phases(
    cache: Path, quick: bool, first: Sequence[str], new: Sequence[str], world
) -> list[dict[str, float]]:
    from trainables import data

    previous = os.environ.get("REALIGN_SEARCH_CACHE")
    os.environ["REALIGN_SEARCH_CACHE"] = str(cache)
    try:
        data._MEMORY.clear()
        cold = setup_phases("cold", quick, first, new, world)
        data._MEMORY.clear()
        return [cold, setup_phases("worker", quick, first, new, world)]
    finally:
        data._MEMORY.clear()
        if previous is None:
            os.environ.pop("REALIGN_SEARCH_CACHE")
        else:
            os.environ["REALIGN_SEARCH_CACHE"] = previous


def setup_table(times: dict[str, list[float]]) -> str:
    cold = _common.median(times["trial 1"])
    what = {
        "trial 1": "cold cache: tokenise pairs, English train set, every test set; load encoder",
        "trial 2": "same process, same languages, other hyperparameters",
        "trial 3": "same process, two new languages (their pairs tokenised)",
        "worker": "new process, tokenised files on disk (a new Ray worker)",
    }
    rows = [
        [
            name,
            what[name],
            _common.fmt(_common.median(times[name]), 3),
            f"{cold / _common.median(times[name]):.1f}x" if _common.median(times[name]) else "-",
        ]
        for name in ("trial 1", "trial 2", "trial 3", "worker")
    ]
    return _common.markdown_table(
        ["trial", "situation", "set-up s (median)", "trial 1 / this"], rows, align=["l", "l", "r", "r"]
    )


# ----------------------------------------------------------------------------------------- part 2
def measure_ray(n: int, repeats: int, quick: bool, languages: Sequence[str], world=None) -> dict:
    """Seconds per trial: n trials through a Tuner vs n direct calls, alternated ``repeats`` times."""
    from ray import tune

    from search.engines.ray_tune import quiet_output, start_ray
    from trainables.registry import get_trainable
    from trainables.trial import run_trial

    # Few evaluation languages: the trial's own work is not what is compared here, only what surrounds it.
    trials = [short_trial(languages, quick, seed=s, targets=("en", *languages)) for s in range(n)]
    storage = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    previous_cache = os.environ.get("REALIGN_SEARCH_CACHE")
    if world is None:  # Ray's workers inherit this environment: a private cache, the built world linked in
        from trainables.tinyworld import load_world

        os.environ["REALIGN_SEARCH_CACHE"] = str(seeded_cache(load_world(0).path, storage / "cache"))
    run_trial(trials[0], world=world)  # warm-up: tokenised files on disk, imports done, for both variants
    import ray

    quiet_output()  # the product's console settings: no per-experiment boxes, no Optuna chatter
    ours = not ray.is_initialized()
    started = time.perf_counter()
    start_ray(None, num_cpus=2)
    ray_start = time.perf_counter() - started
    trainable = tune.with_resources(get_trainable("realign"), {"cpu": 1})
    if world is not None:  # tests: the injected world must travel to the worker
        from trainables.units.realign import tune_trial

        trainable = tune.with_resources(tune.with_parameters(tune_trial, world=world), {"cpu": 1})
    blocks = {"tuner": 0, "direct": 0}
    inside: list[float] = []  # per Tuner block: seconds the trainable itself ran (Tune's time_total_s)

    def through_tuner() -> None:
        blocks["tuner"] += 1
        space = {**trials[0].to_dict(), "seed": tune.grid_search([t.seed for t in trials])}
        tuner = tune.Tuner(
            trainable,
            param_space=space,
            tune_config=tune.TuneConfig(max_concurrent_trials=1),
            run_config=tune.RunConfig(name=f"tuner-{blocks['tuner']}", storage_path=str(storage), verbose=0),
        )
        grid = tuner.fit()
        if grid.num_errors:
            raise RuntimeError(f"{grid.num_errors} Tune trial(s) failed: {grid.errors}")
        inside.append(sum(r.metrics["time_total_s"] for r in grid))

    def direct() -> None:
        blocks["direct"] += 1
        target = storage / f"direct-{blocks['direct']}"

        def persist(metrics: dict, checkpoint: Path | None) -> None:
            if checkpoint is not None:
                shutil.copytree(checkpoint, target / f"seed{metrics.get('seed', 0)}-{time.monotonic_ns()}")

        for trial in trials:
            run_trial(trial, persist, world=world)

    try:
        times = _common.interleaved({"direct": direct, "tuner": through_tuner}, repeats=repeats, warmup=0)
    finally:
        if ours:
            ray.shutdown()
        shutil.rmtree(storage, ignore_errors=True)
        if previous_cache is None:
            os.environ.pop("REALIGN_SEARCH_CACHE", None)
        else:
            os.environ["REALIGN_SEARCH_CACHE"] = previous_cache
    return {"n": n, "ray_start": ray_start, "times": times, "inside": inside}


def ray_table(result: dict) -> str:
    n = result["n"]
    direct = _common.median(result["times"]["direct"]) / n
    tuner = _common.median(result["times"]["tuner"]) / n
    inside = _common.median(result["inside"]) / n
    rows = [
        ["direct `run_trial` calls", _common.fmt(direct), "-", "-", "1.00x"],
        [
            "Ray Tune `Tuner` (realign trainable, 1 CPU)",
            _common.fmt(tuner),
            _common.fmt(inside),
            _common.fmt(tuner - direct),
            f"{tuner / direct:.2f}x",
        ],
    ]
    headers = ["how", "s / trial (median)", "of which inside the trainable", "overhead s / trial", "ratio"]
    return (
        _common.markdown_table(headers, rows)
        + f"\n\nTrials per block: {n}; {len(result['times']['tuner'])} alternating blocks each, after one "
        "untimed direct trial (tokenised files on disk for both; the direct calls also keep them in memory, "
        "while each Tuner starts fresh worker processes: that start is part of Tune's cost). \"Inside the "
        "trainable\" is Tune's own `time_total_s`, summed over a block's trials. `ray.init` once before: "
        f"{result['ray_start']:.1f} s."
    )


def main(argv: Sequence[str] | None = None, world=None) -> int:
    p = _common.parser(__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=None, help="fresh caches for part 1 (default 2)")
    p.add_argument("--trials", type=int, default=None, help="trials per block in part 2 (default 3)")
    p.add_argument("--ray-repeats", type=int, default=None, help="alternating blocks in part 2 (default 2)")
    p.add_argument("--languages", default=FIRST_LANGUAGES, help="realignment languages of trials 1 and 2")
    p.add_argument("--new-languages", default=NEW_LANGUAGES, help="realignment languages of trial 3")
    p.add_argument("--skip-ray", action="store_true", help="part 1 only")
    p.add_argument("--child", choices=("cold", "worker"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    first, new = args.languages.split(","), args.new_languages.split(",")
    os.environ.setdefault("REALIGN_SEARCH_THREADS", "1")  # as a Ray trial with 1 CPU, in every variant
    if args.child:
        print(json.dumps(setup_phases(args.child, args.quick, first, new)))
        return 0
    _common.print_header("Trial set-up (cache reuse) and Ray Tune's per-trial overhead", __file__, argv)
    times = measure_setup(args.repeats or (1 if args.quick else 2), args.quick, first, new, world)
    print(setup_table(times))
    print(f"\nMedians over {len(times['trial 1'])} fresh cache(s); `time/setup` as the trial reports it.\n")
    if not args.skip_ray:
        result = measure_ray(
            args.trials or (1 if args.quick else 3),
            args.ray_repeats or (1 if args.quick else 2),
            args.quick,
            first,
            world,
        )
        print(ray_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
