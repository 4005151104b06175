"""The Ray Tune engine: a ``Tuner`` over the trainable, with Optuna (``OptunaSearch``) choosing the trials.

Trials receive Optuna's sampled parameters (``/``-named, unflattened by Ray) and turn them into a
``TrialConfig`` through the search space (``SearchSpace.resolve``) inside the trial process, so a
sampled point that breaks a constraint fails as that trial's error instead of stopping the sweep.

Ray's experiment state (trial table and the pickled Optuna searcher) is saved at every controller step,
so after a crash ``Tuner.restore`` brings both back consistently: finished trials keep their results and
are not run again, unfinished ones continue under their original trial id (from their checkpoint when
the trainable saved one) and are told to the same Optuna trial, and the sampler goes on from its study.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from search.engines.ray_reeval import reevaluate
from search.plan import RunTarget
from search.samplers import make_sampler
from search.tracking import tracking_callbacks, tracking_environment
from spaces.config import SearchConfig, SearchSpace
from spaces.errors import ConfigError

# Persist Tune's experiment state (trial table + Optuna searcher) at every controller step rather than
# Ray's adaptive >= 10 s: after a kill -9 a trial that had finished must be known as finished.
EXPERIMENT_CHECKPOINT_PERIOD_S = "0"


def run(
    cfg: SearchConfig,
    target: RunTarget,
    space: SearchSpace,
    *,
    save: Callable[[], None],
    trainable: Callable[[dict], Any] | None = None,
    num_cpus: int | None = None,
    verbose: int = 1,
    progress: bool = True,
):
    """Start Ray, build the Tuner, ``save()`` the run files, run every trial; Ray's ``ResultGrid``."""
    from search.disk_full import guard_ray
    from search.run_files import discard_unstarted

    quiet_output()
    os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", EXPERIMENT_CHECKPOINT_PERIOD_S)
    allow_pending_trials(cfg)
    start_ray(target.address, num_cpus=num_cpus)
    guard_ray()
    try:
        tuner = build_tuner(
            cfg,
            target,
            space=space,
            trainable=trainable,
            callbacks=sweep_callbacks(cfg, space, progress) + tracking_callbacks(cfg, target.run_dir),
            verbose=verbose,
        )
        save()
    except BaseException:
        discard_unstarted(target.run_dir)
        raise
    results = fit(tuner, cfg, target.run_dir)
    reevaluate(cfg, target.run_dir, space, trainable, verbose=verbose)
    return results


def resume(
    run_dir: str,
    cfg: SearchConfig,
    space: SearchSpace,
    *,
    address: str | None = None,
    restart_errored: bool = False,
    trainable: Callable[[dict], Any] | None = None,
    num_cpus: int | None = None,
    num_samples: int | None = None,
):
    """Restore the Tuner of ``run_dir`` and finish its sweep; Ray's ``ResultGrid``. ``num_samples``: the
    sweep's new total of trials (``search.engines.extend``), already checked against the saved one."""
    from ray import tune

    from search.disk_full import guard_ray
    from search.tracking import check_trackers

    check_trackers(cfg)
    os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", EXPERIMENT_CHECKPOINT_PERIOD_S)
    allow_pending_trials(cfg)
    quiet_output()
    start_ray(address, num_cpus=num_cpus)
    guard_ray()
    tuner = tune.Tuner.restore(
        run_dir,
        trainable=make_trainable(cfg, space, trainable),
        resume_unfinished=True,
        resume_errored=False,
        restart_errored=restart_errored,
    )
    if num_samples is not None:
        from search.engines.extend import extend_tuner

        extend_tuner(tuner, num_samples)
    add_missing_callbacks(tuner, sweep_callbacks(cfg, space, progress=False) + tracking_callbacks(cfg, run_dir))
    results = fit(tuner, cfg, run_dir)
    reevaluate(cfg, run_dir, space, trainable)
    return results


# ------------------------------------------------------------------------------------------ the pieces
def run_sampled_trial(config: dict[str, Any], space: SearchSpace, trial_fn: Callable[[dict], Any]) -> None:
    """The function Ray runs per trial: resolve the sampled point, then hand over to the trainable.

    (Its name is Ray's name for the trainable, checked on restore: renaming it breaks resuming old runs.)
    """
    trial_fn(space.resolve(config))


def make_searcher(cfg: SearchConfig, space: SearchSpace, study_name: str):
    """OptunaSearch (multi-objective when several objectives), warm-started, under a concurrency cap;
    early-stopped trials are told as PRUNED and cost caps are Optuna constraints (``outcomes``); each Optuna
    trial records its languages and per-language scores (``study_attributes``); a configuration is never run
    twice (``reusing_optuna``)."""
    import optuna
    from ray.tune.search import ConcurrencyLimiter

    from search.costs import cost_limits
    from search.engines.reusing_optuna import ReusingOptunaSearch

    objectives = cfg.search.objectives
    storage = optuna.storages.RDBStorage(cfg.search.optuna_storage) if cfg.search.optuna_storage else None
    points = space.warm_start_points() if cfg.search.warm_start else []
    multi = len(objectives) > 1
    searcher = ReusingOptunaSearch(
        space=space,
        metric=[o.metric for o in objectives] if multi else objectives[0].metric,
        mode=[o.mode for o in objectives] if multi else objectives[0].mode,
        points_to_evaluate=points or None,
        sampler=make_sampler(cfg),
        study_name=study_name,
        storage=storage,
        cost_limits=cost_limits(cfg),
    )
    return ConcurrencyLimiter(searcher, max_concurrent=cfg.search.max_concurrent)


def make_scheduler(cfg: SearchConfig):
    """ASHA on ``search.asha.metric``, independent of the multi-objective search.

    Rungs count fine-tuning epochs (``time_attr="epoch"``), not reports: a ``before`` trial's first report
    comes after realignment, with no task head yet and NaN scores (epoch 0), so counting reports would
    compare it against a ``none`` trial's first epoch.
    """
    asha = cfg.search.asha
    if not asha.enabled:
        return None
    from ray.tune.schedulers import ASHAScheduler

    mode = next((o.mode for o in cfg.search.objectives if o.metric == asha.metric), "max")
    return ASHAScheduler(
        time_attr="epoch",
        metric=asha.metric,
        mode=mode,
        grace_period=asha.grace_period,
        reduction_factor=asha.reduction_factor,
        max_t=asha.max_t,
    )


def make_trainable(cfg: SearchConfig, space: SearchSpace, trainable: Callable[[dict], Any] | None = None):
    """The per-trial function with its resources (fractional GPUs allowed)."""
    from ray import tune

    from search.plan import load_trainable

    if trainable is None:
        trainable = load_trainable(cfg)
    fn = tune.with_parameters(run_sampled_trial, space=space, trial_fn=trainable)
    resources = {"cpu": cfg.search.cpus_per_trial}
    if cfg.search.gpus_per_trial:
        resources["gpu"] = cfg.search.gpus_per_trial
    return tune.with_resources(fn, resources)


def allow_pending_trials(cfg: SearchConfig) -> None:
    """Let Tune start ``search.max_concurrent`` trials at once.

    Tune asks the searcher for a new trial only while fewer than ``TUNE_MAX_PENDING_TRIALS_PG`` trials
    wait for resources. Ray 2.60 derives that limit from a ``ConcurrencyLimiter`` when it finds one, but
    an inherited environment value (or a Ray that finds none: 1 for a custom searcher) would hold a
    sweep of cheap trials below ``max_concurrent``; setting it from the config makes the cap the one the
    user wrote.
    """
    os.environ["TUNE_MAX_PENDING_TRIALS_PG"] = str(cfg.search.max_concurrent)


def quiet_output() -> None:
    """Ray's legacy output engine (verbose=1 is then just the periodic table, without the new engine's
    per-trial config/result boxes) and no Optuna line per study/trial."""
    import optuna

    os.environ["RAY_AIR_NEW_OUTPUT"] = "0"
    # A trial task Tune drops while it stops a sweep (a full disk) would otherwise print its traceback
    # when the dropped result is garbage-collected; every trial error already reaches the console
    # through Tune (the progress line) and the trial's error.txt.
    os.environ.setdefault("RAY_IGNORE_UNHANDLED_ERRORS", "1")
    # Saving the experiment state at every step (and after each kept checkpoint) is deliberate here.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    controller = logging.getLogger("ray.tune.execution.tune_controller")
    if not any(isinstance(f, _DropTrialTracebacks) for f in controller.filters):
        controller.addFilter(_DropTrialTracebacks())


class _DropTrialTracebacks(logging.Filter):
    """Ray logs each failed trial attempt with a full traceback; the progress line already gives the
    reason and the traceback stays in the trial's ``error.txt``."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Trial task failed")


def start_ray(address: str | None, num_cpus: int | None = None) -> None:
    """Join ``address`` or start a quiet local Ray; no dashboard, worker output kept out of the console."""
    import ray

    if ray.is_initialized():
        return
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    quiet = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING, configure_logging=True)
    try:
        if address and address != "local":
            ray.init(address=address, **quiet)
        else:
            ray.init(num_cpus=num_cpus, _temp_dir=ray_temp_dir(), **quiet)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise ConfigError("--address", f"could not join or start Ray at {address or 'local'!r}: {err}") from None


def ray_temp_dir() -> str:
    """Short (Unix sockets cap paths near 107 bytes), per-user, outside the run directory."""
    path = Path(tempfile.gettempdir(), f"rs-ray-{os.getuid()}")
    path.mkdir(exist_ok=True)
    return str(path)


def make_reporter(cfg: SearchConfig, max_report_frequency_s: int = 30):
    """Ray's legacy table, objectives only, at most every 30 s: the live view next to our per-trial lines."""
    return make_reporter_for(cfg, {"subset/strategy": "strategy", "subset/size": "size"}, max_report_frequency_s)


def make_reporter_for(cfg: SearchConfig, parameter_columns: dict[str, str], max_report_frequency_s: int = 30):
    """The same table with other parameter columns (the re-evaluation shows which trial it re-runs)."""
    from ray.tune import CLIReporter

    metrics = cfg.search.metrics
    return CLIReporter(
        metric_columns=metrics + [m for m in ("n_languages",) if m not in metrics],
        parameter_columns=parameter_columns,
        max_report_frequency=max_report_frequency_s,
        max_progress_rows=10,
        max_error_rows=5,
        sort_by_metric=False,
    )


def short_trial_dirname(trial: Any) -> str:
    """Ray's default folder name spells out every parameter (65 ``lang/`` flags): too long for filesystems."""
    return f"trial_{trial.trial_id}"


def build_tuner(
    cfg: SearchConfig,
    target: RunTarget,
    *,
    space: SearchSpace,
    trainable: Callable[[dict], Any] | None = None,
    callbacks: list | None = None,
    verbose: int = 1,
):
    from ray import tune

    quiet_output()
    s = cfg.search
    return tune.Tuner(
        make_trainable(cfg, space, trainable),
        tune_config=tune.TuneConfig(
            search_alg=make_searcher(cfg, space, study_name=target.name),
            scheduler=make_scheduler(cfg),
            num_samples=s.num_samples,
            time_budget_s=s.time_budget_s or None,  # 0 = no limit
            trial_dirname_creator=short_trial_dirname,
            # Keep trial processes alive between trials: the loaded world, tokeniser and encoder
            # weights (cached per process by the trainable) are then reused by the next trial.
            reuse_actors=True,
        ),
        run_config=tune.RunConfig(
            name=target.name,
            storage_path=target.storage_path,
            failure_config=tune.FailureConfig(max_failures=s.max_failures),
            # Trials checkpoint after every report (full weights for `realign`): keep only the latest.
            checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
            callbacks=callbacks,
            progress_reporter=make_reporter(cfg),
            verbose=verbose,
        ),
    )


def sweep_callbacks(cfg: SearchConfig, space: SearchSpace, progress: bool = True) -> list:
    """The callbacks of every fit: disk-full stop, keep policy, and (``progress``) one line per trial."""
    from search.costs import cost_limits
    from search.disk_full import StopOnDiskFull
    from search.keep import KeepModels
    from search.progress import TrialProgress

    objectives = list(cfg.search.objectives)
    callbacks = [StopOnDiskFull(), KeepModels(cfg.search.keep_models, objectives, cost_limits(cfg))]
    if progress:
        callbacks.append(TrialProgress(space, objectives, total=cfg.search.num_samples))
    return callbacks


def add_missing_callbacks(tuner: Any, wanted: list) -> None:
    """The callbacks a sweep started by an older version lacks. A restored Tuner brings back the ones
    pickled into its ``tuner.pkl``; Ray has no public way to add more, hence its run config."""
    try:
        run_config = tuner._local_tuner.get_run_config()
    except AttributeError:  # a Ray whose Tuner is laid out differently: run without them
        return
    callbacks = list(run_config.callbacks or [])
    present = {type(c) for c in callbacks}
    run_config.callbacks = callbacks + [c for c in wanted if type(c) not in present]


def fit(tuner: Any, cfg: SearchConfig, run_dir: str):
    """``tuner.fit()`` under ``search.disk_full``'s guard, then the keep policy over what finished."""
    from search.costs import cost_limits
    from search.disk_full import raise_parked
    from search.keep import prune_run

    with tracking_environment(cfg):
        results = tuner.fit()
    raise_parked()  # the final save of Ray's state found the disk full
    try:
        prune_run(run_dir, cfg.search.keep_models, list(cfg.search.objectives), cost_limits(cfg))
    except Exception as err:  # noqa: BLE001 - housekeeping must not cost the sweep its report
        logging.getLogger(__name__).warning("could not apply search.keep_models to %s: %s", run_dir, err)
    return results
