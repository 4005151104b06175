"""Noise-aware fronts: re-run what the front and the warm starts found with more seeds, rank on the means.

Why: with one seed per trial the front picks lucky draws (a 13-language trial at 0.21 beside neighbours
at 0.38; a 5-language point ahead of larger ones by less than the seed noise). After the search,
``search.reeval_seeds = N`` runs each front member and each warm start (the paper's subsets) again with N
seeds it has not seen (the ones after its largest seed), and the report merges them per configuration:

- every aggregate (``unseen_lrl`` ...) and ``score/<code>`` becomes the mean over all the seeds the
  configuration ran (its own and the re-evaluation's), ``<aggregate>_sd`` their sample sd (ddof = 1),
  ``n_seeds`` how many, ``seed/<s>/<aggregate>`` each seed's value;
- the front, the best per size and the hypervolume are then computed on those means.

In rounds: a trial that reaches the front only after re-evaluated members dropped is re-evaluated in the
next round (front members only), until every front member was re-evaluated or ``REEVAL_ROUNDS`` ran.
The replay and the proxy are deterministic, so nothing is re-run for them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from spaces.config import SearchConfig, SearchSpace
from spaces.vocab import AGGREGATES, CHEAP_TRAINABLES

REEVAL_DIR = "reeval"  # RUN_DIR/reeval: the re-evaluation's own experiment (Ray's state and trials)
# Rounds: a trial that joins the front once re-evaluated members fall is re-evaluated in the next round
# (RUN_DIR/reeval-2 ...), until the front holds only re-evaluated trials or this many rounds ran.
REEVAL_ROUNDS = 3


def wanted(cfg: SearchConfig) -> bool:
    return cfg.search.reeval_seeds > 0 and cfg.experiment.trainable not in CHEAP_TRAINABLES


def seed_list(trial: Mapping[str, Any]) -> list[int]:
    """The seeds a ``TrialConfig.to_dict()`` runs."""
    return list(trial.get("seeds") or [trial["seed"]])


def extra_seeds(trial: Mapping[str, Any], n: int) -> list[int]:
    """``n`` seeds the trial has not run: the ones right after its largest."""
    top = max(seed_list(trial))
    return list(range(top + 1, top + 1 + n))


def reeval_trial(trial: Mapping[str, Any], n: int) -> dict[str, Any]:
    """The ``TrialConfig.to_dict()`` of ``trial`` over ``n`` new seeds."""
    seeds = extra_seeds(trial, n)
    return {**trial, "seed": seeds[0], "seeds": seeds if len(seeds) > 1 else []}


def candidates(
    cfg: SearchConfig, space: SearchSpace, trials: Sequence[Any], *, done: Iterable[str] = (), warm: bool = True
) -> list[dict[str, Any]]:
    """``{"of": trial id, "trial": TrialConfig dict}`` for each front member (and, with ``warm``, each warm
    start) not in ``done``, once per trial (``search.report.TrialRecord``s, earlier rounds merged)."""
    from search.report import analyse

    report = analyse(list(trials), cfg.search.objectives)
    chosen = [*report.front, *(t for t in report.finished if warm and (t.heuristic or t.all_pool))]
    out, seen = [], set(done)
    for t in chosen:
        if t.trial_id in seen:
            continue
        seen.add(t.trial_id)
        trial = space.resolve({**t.params, "languages": t.languages})
        out.append({"of": t.trial_id, "trial": reeval_trial(trial, cfg.search.reeval_seeds)})
    return out


def round_dirs(run_dir: str) -> list[str]:
    """The folder of each round (``reeval``, ``reeval-2`` ...), in order."""
    return [REEVAL_DIR if r == 0 else f"{REEVAL_DIR}-{r + 1}" for r in range(REEVAL_ROUNDS)]


def started_rounds(run_dir: str) -> list[str]:
    """The paths of the rounds that have an experiment, in order."""
    paths = [f"{run_dir.rstrip('/')}/{name}" for name in round_dirs(run_dir)]
    return [p for p in paths if "://" not in p and Path(p, "tuner.pkl").is_file()]


def rows(run_dir: str) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """``(of, status, trial config, result)`` of every re-evaluation trial of every started round."""
    from search.report_sources import trial_rows

    return [
        (config["reeval"]["of"], status, config["reeval"]["trial"], result)
        for path in started_rounds(run_dir)
        for _, status, config, result, _ in trial_rows(path)
        if "reeval" in config
    ]


# ------------------------------------------------------------------------------------------- merging
def per_seed(metrics: Mapping[str, Any], scores: Mapping[str, float], seeds: Sequence[int]) -> dict[int, dict]:
    """Each seed's aggregates and ``score/<code>`` of one trial's result: its ``seed/<s>/...`` keys
    (a multi-seed trial) or, for one seed, the result itself."""
    if len(seeds) == 1:
        single = {k: metrics[k] for k in AGGREGATES if k in metrics}
        return {seeds[0]: {**single, **{f"score/{c}": v for c, v in scores.items()}}}
    out: dict[int, dict] = {}
    for seed in seeds:
        prefix = f"seed/{seed}/"
        out[seed] = {k[len(prefix) :]: v for k, v in metrics.items() if k.startswith(prefix)}
    return out


def merge(runs: Iterable[dict[int, dict]]) -> dict[str, Any]:
    """Means, sds and per-seed values over the seeds of several runs of one configuration."""
    seeds: dict[int, dict] = {}
    for run in runs:
        seeds.update(run)
    keys = sorted({k for values in seeds.values() for k in values})
    out: dict[str, Any] = {"n_seeds": len(seeds)}
    for key in keys:
        values = [float(v[key]) for v in seeds.values() if _finite(v.get(key))]
        out[key] = math.fsum(values) / len(values) if values else math.nan
        if key in AGGREGATES:
            out[f"{key}_sd"] = float(np.std(values, ddof=1)) if len(values) > 1 else math.nan
    for seed, values in seeds.items():
        out |= {f"seed/{seed}/{k}": v for k, v in values.items()}
    return out


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def main_seeds(cfg: SearchConfig) -> list[int]:
    """The seeds every trial of the search ran (``experiment.seeds``, else ``experiment.seed``)."""
    return list(cfg.experiment.seeds or [cfg.experiment.seed])


def apply(
    trials: Sequence[Any], seeds: Sequence[int], reevaluated: Sequence[tuple[str, dict[str, Any], dict[str, Any]]]
) -> None:
    """Merge each finished re-evaluation ``(of, trial config, result)`` into the ``TrialRecord`` it
    re-ran (``seeds``: what the search's trials ran): its metrics and scores become the means over all
    its seeds (in place)."""
    by_id = {t.trial_id: t for t in trials}
    extra: dict[str, list[dict[int, dict]]] = {}
    for of, trial, result in reevaluated:
        scores = {k.split("/", 1)[1]: v for k, v in result.items() if k.startswith("score/")}
        extra.setdefault(of, []).append(per_seed(result, scores, seed_list(trial)))
    for of, runs in extra.items():
        record = by_id.get(of)
        if record is None or record.status != "ok":
            continue
        own = per_seed(record.metrics, record.scores, list(seeds))
        merged = merge([own, *runs])
        record.scores = {k.split("/", 1)[1]: v for k, v in merged.items() if k.startswith("score/")}
        record.metrics = {
            **{k: v for k, v in record.metrics.items() if not k.startswith("seed/")},
            **{k: v for k, v in merged.items() if not k.startswith("score/")},
        }


def merge_run(run_dir: str, cfg: SearchConfig, trials: list[Any]) -> None:
    """Fold the finished re-evaluations of every round into the trials they re-ran."""
    done = [(of, trial, result) for of, status, trial, result in rows(run_dir) if status == "ok"]
    apply(trials, main_seeds(cfg), done)
