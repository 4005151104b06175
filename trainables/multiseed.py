"""One trial over several seeds: the configuration runs once per seed and reports the seed mean.

Why inside the trial rather than as more trials: the paper reports every subset as a mean over seeds
17/23/42/66, and a search that ranks subsets on one seed ranks noise as much as subsets (the seed-to-seed
spread of a subset is often as large as the gap between strategies). So a trial with
``TrialConfig.seeds`` runs ``run_trial`` for each seed in turn and its final result is:

- ``score/<code>``: the mean over seeds of that language's score (finite seeds only);
- every aggregate (``unseen_lrl`` ...): the mean over seeds of the seed's aggregate, and
  ``<aggregate>_sd``, their sample standard deviation (ddof = 1);
- ``n_seeds``, and each seed's own ``seed/<s>/score/<code>`` and ``seed/<s>/<aggregate>``;
- ``time/*`` summed, ``realign_loss`` averaged, the rest (``n_languages`` ...) as one seed reports it.

Intermediate reports are the running seed's own (``seed`` says which, ``n_seeds`` how many are done),
with ``epoch`` counted over all seeds so far, so it only grows and ASHA's rungs stay meaningful. Every
report carries a checkpoint: the running seed's own (``trainables.trial``), plus ``seeds.json`` with the
final metrics of the seeds already done, so a restarted trial skips finished seeds and continues the
running one from its step: the result equals an uninterrupted run's.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from spaces.errors import ConfigError
from spaces.trial_config import TrialConfig
from spaces.vocab import AGGREGATES

SEEDS_FILE = "seeds.json"


def run_seeds(
    trial: TrialConfig, report=None, resume_from: Path | None = None, world=None, checkpoints: bool = True
) -> dict:
    """``run_trial`` once per seed of ``trial.seed_list``; returns (and reports last) ``combine``'s result."""
    from trainables.trial import STATE_FILE, run_trial

    seeds = trial.seed_list
    done, resume_seed = _restore(trial, Path(resume_from)) if resume_from is not None else ({}, None)
    for seed in seeds:
        if seed in done:
            continue
        offset = sum(int(done[s]["epoch"]) for s in done)
        last = seed == seeds[-1]

        def forward(
            metrics: dict, checkpoint: Path | None, seed: int = seed, offset: int = offset, last: bool = last
        ) -> None:
            finished = {**done, seed: metrics} if metrics["phase"] == "final" else done
            if last and metrics["phase"] == "final":
                return  # the combined result is reported instead, below
            if checkpoint is not None:
                _save(Path(checkpoint), trial, finished)
            report(
                {
                    **metrics,
                    "seed": seed,
                    "n_seeds": len(finished),
                    "epoch": offset + metrics["epoch"],
                    "phase": "epoch" if metrics["phase"] == "final" else metrics["phase"],
                },
                checkpoint,
            )

        single = replace(trial, seed=seed, seeds=())
        start = resume_from if seed == resume_seed and (Path(resume_from) / STATE_FILE).exists() else None
        done[seed] = run_trial(
            single, forward if report is not None else None, resume_from=start, world=world, checkpoints=checkpoints
        )
    result = combine(trial, done)
    if report is not None:
        if not checkpoints:
            report(dict(result), None)
        else:
            scratch = Path(tempfile.mkdtemp(prefix="realign-seeds-"))
            try:
                _save(scratch, trial, done)
                report(dict(result), scratch)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    return result


def combine(trial: TrialConfig, per_seed: dict[int, dict]) -> dict:
    """The multi-seed result of finished single-seed results (see the module docstring)."""
    seeds = [s for s in trial.seed_list if s in per_seed]
    runs = [per_seed[s] for s in seeds]
    codes = sorted({key for run in runs for key in run if key.startswith("score/")})
    out: dict = {}
    for key in codes:
        out[key] = _mean([run.get(key, math.nan) for run in runs])
    for name in AGGREGATES:
        values = [run.get(name, math.nan) for run in runs]
        out[name] = _mean(values)
        finite = [v for v in values if math.isfinite(v)]
        out[f"{name}_sd"] = float(np.std(finite, ddof=1)) if len(finite) > 1 else math.nan
    first = runs[0]
    out |= {
        key: value
        for key, value in first.items()
        if key not in out and not key.startswith(("score/", "time/")) and key != "realign_loss"
    }
    out["realign_loss"] = _mean([run.get("realign_loss", math.nan) for run in runs])
    for key in sorted({k for run in runs for k in run if k.startswith("time/")}):
        out[key] = round(sum(run.get(key, 0.0) for run in runs), 3)
    out |= {"n_seeds": len(runs), "phase": "final", "epoch": sum(int(run["epoch"]) for run in runs)}
    for seed, run in zip(seeds, runs, strict=True):
        out |= {f"seed/{seed}/{key}": run[key] for key in (*codes, *AGGREGATES) if key in run}
    return out


def _mean(values: list[float]) -> float:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return math.fsum(finite) / len(finite) if finite else math.nan


def _save(directory: Path, trial: TrialConfig, done: dict[int, dict]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    payload = {"trial": trial.to_dict(), "done": {str(seed): metrics for seed, metrics in done.items()}}
    (directory / SEEDS_FILE).write_text(json.dumps(payload, default=float))


def _restore(trial: TrialConfig, directory: Path) -> tuple[dict[int, dict], int | None]:
    """Finished seeds' results and the seed whose own checkpoint ``directory`` holds (if any)."""
    from trainables.trial import STATE_FILE

    done: dict[int, dict] = {}
    seeds_file = directory / SEEDS_FILE
    if seeds_file.exists():
        saved = json.loads(seeds_file.read_text())
        if TrialConfig.from_dict(saved["trial"]) != trial:
            raise ConfigError("resume_from", f"{directory} is a checkpoint of a different multi-seed trial")
        done = {int(seed): metrics for seed, metrics in saved["done"].items()}
    state = directory / STATE_FILE
    resume_seed = int(json.loads(state.read_text())["trial"]["seed"]) if state.exists() else None
    if not seeds_file.exists() and resume_seed is None:
        raise ConfigError("resume_from", f"{directory} holds no trial checkpoint")
    return done, resume_seed
