"""The re-evaluation phase of ``search.reeval`` under Ray Tune: after the search, an experiment per round
(``RUN_DIR/reeval``, ``reeval-2`` ...) with one trial per front member or warm start, over the new seeds.

A Ray experiment of its own (a grid over the chosen configurations) because it then saves its state and
resumes as the search does: ``resume`` restores the search (finished, so nothing re-runs), then each
round that had started (its finished trials are kept, unfinished ones continue), then starts the next
ones. A round's configurations are chosen once, when it starts, and saved with its experiment.
Trials keep no model (``keep_models`` none): the search's trials hold the models; these hold seeds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from search import reeval
from spaces.config import SearchConfig, SearchSpace


def run_reeval_trial(config: dict[str, Any], trial_fn: Callable[[dict], Any]) -> None:
    """What Ray runs per re-evaluation: the stored ``TrialConfig`` dict, as is.

    (Its name is Ray's name for the trainable, checked on restore: renaming it breaks resuming.)"""
    trial_fn(config["reeval"]["trial"])


def reevaluate(
    cfg: SearchConfig,
    run_dir: str,
    space: SearchSpace,
    trainable: Callable[[dict], Any] | None = None,
    *,
    verbose: int = 1,
) -> list:
    """Run (or finish) the re-evaluation rounds of the finished search in ``run_dir``; Ray's results of
    every round, or [] when ``search.reeval_seeds`` is 0, the trainable is deterministic or nothing finished."""
    from ray import tune

    from search.plan import load_trainable

    if not reeval.wanted(cfg) or "://" in run_dir:
        return []
    fn = tune.with_parameters(run_reeval_trial, trial_fn=trainable or load_trainable(cfg))
    resources = {"cpu": cfg.search.cpus_per_trial}
    if cfg.search.gpus_per_trial:
        resources["gpu"] = cfg.search.gpus_per_trial
    fn = tune.with_resources(fn, resources)
    results: list = []
    for number, name in enumerate(reeval.round_dirs(run_dir)):
        path = str(Path(run_dir, name))
        if tune.Tuner.can_restore(path):
            tuner = tune.Tuner.restore(path, trainable=fn, resume_unfinished=True, resume_errored=False)
        else:
            tuner = _new_round(cfg, run_dir, space, fn, name, first=number == 0, verbose=verbose)
            if tuner is None:
                break
        results += _fit(tuner, cfg, path, verbose)
    return results


def _new_round(cfg: SearchConfig, run_dir: str, space: SearchSpace, fn: Any, name: str, *, first: bool, verbose: int):
    """The Tuner of the next round: the front on the means so far (and, first, the warm starts) less
    what was re-evaluated already; None when nothing is left."""
    from ray import tune

    from search.disk_full import StopOnDiskFull
    from search.engines.ray_tune import make_reporter_for, short_trial_dirname
    from search.report import collect_run

    trials = collect_run(run_dir, cfg)
    reeval.merge_run(run_dir, cfg, trials)
    done = {of for of, *_ in reeval.rows(run_dir)}
    chosen = reeval.candidates(cfg, space, trials, done=done, warm=first)
    if not chosen:
        return None
    if verbose:
        what = "front and warm starts" if first else "new front members"
        print(
            f"re-evaluating {len(chosen)} configurations ({what}) with {cfg.search.reeval_seeds} more seed(s) "
            f"-> {Path(run_dir, name)}",
            flush=True,
        )
    return tune.Tuner(
        fn,
        param_space={"reeval": tune.grid_search(chosen)},
        tune_config=tune.TuneConfig(
            max_concurrent_trials=cfg.search.max_concurrent,
            trial_dirname_creator=short_trial_dirname,
            reuse_actors=True,
        ),
        run_config=tune.RunConfig(
            name=name,
            storage_path=run_dir,
            failure_config=tune.FailureConfig(max_failures=cfg.search.max_failures),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
            progress_reporter=make_reporter_for(cfg, {"reeval/of": "of"}),
            callbacks=[StopOnDiskFull()],
            verbose=verbose,
        ),
    )


def _fit(tuner: Any, cfg: SearchConfig, path: str, verbose: int) -> list:
    """Run one round; its trials keep no checkpoint afterwards."""
    from search.disk_full import raise_parked
    from search.keep import prune_run

    started = time.monotonic()
    results = tuner.fit()
    raise_parked()  # the final save of Ray's state found the disk full
    if verbose:
        print(f"re-evaluation: {len(results)} trials in {time.monotonic() - started:.0f} s", flush=True)
    try:
        prune_run(path, "none", list(cfg.search.objectives))
    except Exception as err:  # noqa: BLE001 - housekeeping must not cost the sweep its report
        logging.getLogger(__name__).warning("could not free the re-evaluation's checkpoints: %s", err)
    return list(results)
