"""Build and run one sweep: a Ray Tune ``Tuner`` over a trainable, with Optuna choosing the trials.

Order matters: everything a user can get wrong (the config, ``--address``, the storage path, a clash with
an existing run) is checked before Ray starts or a run directory exists, so bad input never leaves a
half-made run behind. Only then is Ray started, the run directory created, and the resolved search
config saved into it — ``resume`` and ``report`` need nothing but that directory.

Trials receive Optuna's sampled parameters (``/``-named, unflattened by Ray) and turn them into a
``TrialConfig`` through the search space (``spaces.config.resolve_trial``) inside the trial process, so a
sampled point that breaks a constraint fails as that trial's error instead of stopping the sweep.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from search.pareto import Objective
from spaces.errors import ConfigError

CONFIG_JSON = "search_config.json"   # cfg.to_dict() with CLI overrides: what resume/report reload
CONFIG_TOML = "search_config.toml"   # the TOML the user gave (or the embedded default), for people
RUN_INFO = "run_info.json"           # CLI overrides and where Ray ran
SAMPLERS = ("tpe", "nsga2", "random")
DEFAULT_STORAGE = "~/realign-search-runs"
# Persist Tune's experiment state (trial table + Optuna searcher) at every controller step rather than
# Ray's adaptive >= 10 s: after a kill -9 a trial that had finished must be known as finished.
EXPERIMENT_CHECKPOINT_PERIOD_S = "0"


# --------------------------------------------------------------------------------------------- the space
class SearchSpace:
    """The bridge to ``spaces.config``: the define-by-run function, warm start and trial resolution.

    A plain class (not closures) because Ray pickles the Optuna searcher — and with it the
    define-by-run callable — into the experiment checkpoint with the standard ``pickle`` module.
    """

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg

    def define_by_run(self, trial: Any) -> dict[str, Any] | None:
        from spaces.config import define_by_run

        return define_by_run(self.cfg)(trial)

    def warm_start_points(self) -> list[dict[str, Any]]:
        from spaces.config import warm_start_points

        return list(warm_start_points(self.cfg))

    def resolve(self, sampled: Mapping[str, Any]) -> dict[str, Any]:
        """The ``TrialConfig`` dict a trainable runs for ``sampled`` (Ray's nested or flat names)."""
        from spaces.config import resolve_trial

        return resolve_trial(self.cfg, dict(sampled)).to_dict()

    def languages(self, sampled: Mapping[str, Any]) -> list[str]:
        """The define-by-run function returns the repaired subset as ``languages``; resolve otherwise."""
        if "languages" in sampled:
            return list(sampled["languages"])
        return list(self.resolve(sampled)["languages"])

    def __call__(self, trial: Any) -> dict[str, Any] | None:  # what OptunaSearch calls
        return self.define_by_run(trial)


def run_sampled_trial(config: dict[str, Any], space: SearchSpace, trial_fn: Callable[[dict], Any]) -> None:
    """The function Ray runs per trial: resolve the sampled point, then hand over to the trainable."""
    trial_fn(space.resolve(config))


# ----------------------------------------------------------------------------------------- the settings
def objectives_of(cfg: Any) -> list[Objective]:
    specs = list(cfg.search.objectives)
    if not specs:
        raise ConfigError("search.objectives", "needs at least one objective", ["unseen_lrl:max", "n_languages:min"])
    return [Objective.parse(s) for s in specs]


def check_settings(cfg: Any) -> None:
    """Refuse what ``spaces.config`` leaves to the driver: objectives the Pareto code can read."""
    objectives_of(cfg)
    if cfg.search.sampler not in SAMPLERS:
        raise ConfigError("search.sampler", f"{cfg.search.sampler!r} is not a sampler", SAMPLERS)


# ---------------------------------------------------------------------------------- where the run goes
@dataclass(frozen=True)
class RunTarget:
    """Where a sweep runs and is stored. ``run_dir`` is Ray's experiment directory."""

    storage_path: str  # absolute local path or a URI (s3://, gs://, ...)
    name: str
    address: str | None = None
    warnings: tuple[str, ...] = ()  # e.g. the disk may fill (search.space_check); the CLI prints them

    @property
    def is_uri(self) -> bool:
        return is_uri(self.storage_path)

    @property
    def run_dir(self) -> str:
        return f"{self.storage_path.rstrip('/')}/{self.name}" if self.is_uri else str(Path(self.storage_path, self.name))


def is_uri(path: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+://", path))


def check_storage(storage_path: str) -> str:
    """Absolute local path or the URI itself, refused when it cannot hold a run (nothing is created)."""
    if is_uri(storage_path):
        import pyarrow.fs

        try:
            pyarrow.fs.FileSystem.from_uri(storage_path)
        except Exception as err:  # pyarrow raises several types for unknown schemes / unreachable stores
            raise ConfigError("--storage-path", f"{storage_path!r} cannot be opened: {err}",
                              ["a local directory", "s3://bucket/prefix", "gs://bucket/prefix"]) from None
        return storage_path
    path = Path(storage_path).expanduser().resolve()
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError("--storage-path", f"{str(existing)!r} exists and is not a directory")
    try:  # a real write (then removed): permission bits say nothing for root, /proc or read-only mounts
        tempfile.TemporaryDirectory(dir=existing, prefix=".realign-search-probe-").cleanup()
    except OSError as err:
        raise ConfigError("--storage-path", f"{str(path)!r} cannot be created: {str(existing)!r} is not "
                          f"writable ({err.strerror or err})") from None
    return str(path)


def check_address(address: str | None, timeout_s: float = 3.0) -> None:
    """Refuse an address with no Ray head listening, before anything is started or written."""
    if address is None or address in ("auto", "local"):
        return
    parsed = urlparse(address if "://" in address else f"ray://{address}")
    host, port = parsed.hostname, parsed.port
    if not host or not port:
        raise ConfigError("--address", f"{address!r} is not HOST:PORT", ["HOST:PORT", "ray://HOST:PORT", "auto"])
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as err:
        raise ConfigError("--address", f"no Ray head reachable at {address!r} ({err.strerror or err}); "
                          "start one with `ray start --head` or leave --address out to run locally") from None


def default_name(cfg: Any, storage_path: str) -> str:
    """``experiment.name``; with a timestamp appended when that run directory is already taken."""
    name = getattr(cfg.experiment, "name", None) or "sweep"
    if is_uri(storage_path) or not _holds_files(Path(storage_path, name)):
        return name
    return f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"


def _holds_files(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def plan_run(cfg: Any, *, storage_path: str | None = None, name: str | None = None,
             address: str | None = None, trainable: Callable[[dict], Any] | None = None) -> RunTarget:
    """Validate everything about where and how the sweep runs; create nothing.

    ``trainable`` replaces the configured one (tests, benchmarks); otherwise it is imported here.
    """
    check_settings(cfg)
    storage = check_storage(storage_path or getattr(cfg.search, "storage_path", None) or DEFAULT_STORAGE)
    run_name = name or default_name(cfg, storage)
    if not re.fullmatch(r"[A-Za-z0-9._-]+", run_name):
        raise ConfigError("--name", f"{run_name!r} must be letters, digits, '.', '_' or '-'")
    target = RunTarget(storage, run_name, address)
    if not target.is_uri and _holds_files(Path(target.run_dir)):
        raise ConfigError("--name", f"{target.run_dir!r} already holds a run; use `realign-search resume "
                          f"{target.run_dir}` to continue it or pick another --name")
    check_address(address)
    check_optuna_storage(getattr(cfg.search, "optuna_storage", ""))
    if trainable is None:  # an injected trainable (tests, benchmarks) has its own, unknown footprint
        load_trainable(cfg)
        from search.space_check import check_space

        warning = check_space(cfg, storage, local=address in (None, "local"))
        if warning:
            target = replace(target, warnings=(warning,))
    return target


def check_optuna_storage(url: str | None) -> None:
    """Open the Optuna RDB (creating its tables, as the sweep would) so a bad URL fails before Ray starts."""
    if not url:
        return
    import optuna

    try:
        optuna.storages.RDBStorage(url)
    except Exception as err:  # sqlalchemy / driver errors vary by backend
        reason = " ".join(str(err).split("\n")[0].split())  # sqlalchemy appends a help-link line
        raise ConfigError("search.optuna_storage", f"cannot open {url!r}: {type(err).__name__}: {reason}",
                          ["sqlite:///PATH.db", "postgresql://USER@HOST/DB", "mysql://USER@HOST/DB"]) from None


def load_trainable(cfg: Any) -> Callable[[dict], Any]:
    """The configured trainable, imported now so a missing piece fails before Ray starts."""
    from trainables.registry import get_trainable

    try:
        return get_trainable(cfg.experiment.trainable)
    except ImportError as err:
        raise ConfigError("experiment.trainable", f"{cfg.experiment.trainable!r} cannot be loaded in this "
                          f"installation ({err})") from None


# ------------------------------------------------------------------------------------------ Ray pieces
def make_sampler(cfg: Any):
    import optuna

    seed = getattr(cfg.search, "seed", 0)
    return {
        "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "nsga2": lambda: optuna.samplers.NSGAIISampler(seed=seed),
        "random": lambda: optuna.samplers.RandomSampler(seed=seed),
    }[cfg.search.sampler]()


def make_searcher(cfg: Any, space: SearchSpace, study_name: str):
    """OptunaSearch (multi-objective when several objectives), warm-started, under a concurrency cap."""
    import optuna
    from ray.tune.search import ConcurrencyLimiter
    from ray.tune.search.optuna import OptunaSearch

    objectives = objectives_of(cfg)
    storage = None
    if getattr(cfg.search, "optuna_storage", None):
        storage = optuna.storages.RDBStorage(cfg.search.optuna_storage)
    points = space.warm_start_points() if getattr(cfg.search, "warm_start", True) else []
    multi = len(objectives) > 1
    searcher = OptunaSearch(
        space=space,
        metric=[o.metric for o in objectives] if multi else objectives[0].metric,
        mode=[o.mode for o in objectives] if multi else objectives[0].mode,
        points_to_evaluate=points or None,
        sampler=make_sampler(cfg),
        study_name=study_name,
        storage=storage,
    )
    return ConcurrencyLimiter(searcher, max_concurrent=cfg.search.max_concurrent)


def make_scheduler(cfg: Any):
    """ASHA on one metric (the first objective's, unless set), independent of the multi-objective search.

    Rungs count fine-tuning epochs (``time_attr="epoch"``), not reports: a ``before`` trial's first report
    comes after realignment, with no task head yet and NaN scores (epoch 0), so counting reports would
    compare it against a ``none`` trial's first epoch.
    """
    asha = getattr(cfg.search, "asha", None)
    if asha is None or not asha.enabled:
        return None
    from ray.tune.schedulers import ASHAScheduler

    objectives = objectives_of(cfg)
    metric = getattr(asha, "metric", None) or objectives[0].metric
    mode = next((o.mode for o in objectives if o.metric == metric), "max")
    return ASHAScheduler(time_attr="epoch", metric=metric, mode=mode, grace_period=asha.grace_period,
                         reduction_factor=asha.reduction_factor, max_t=getattr(asha, "max_t", 100))


def make_trainable(cfg: Any, space: SearchSpace, trainable: Callable[[dict], Any] | None = None):
    """The per-trial function with its resources (fractional GPUs allowed)."""
    from ray import tune

    if trainable is None:
        trainable = load_trainable(cfg)
    fn = tune.with_parameters(run_sampled_trial, space=space, trial_fn=trainable)
    resources = {"cpu": cfg.search.cpus_per_trial}
    if cfg.search.gpus_per_trial:
        resources["gpu"] = cfg.search.gpus_per_trial
    return tune.with_resources(fn, resources)


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
    quiet = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
                 configure_logging=True)
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


# --------------------------------------------------------------------------------------- run directory
def write_text(run_dir: str, name: str, text: str) -> None:
    """Write one of the run's own files: all of it or (on any error) nothing new."""
    if is_uri(run_dir):
        import pyarrow.fs

        fs, root = pyarrow.fs.FileSystem.from_uri(run_dir)
        fs.create_dir(root, recursive=True)
        with fs.open_output_stream(f"{root}/{name}") as out:
            out.write(text.encode())
    else:
        from search.atomic import atomic_write

        atomic_write(Path(run_dir, name), text)  # a full disk never leaves half a config behind


def read_text(run_dir: str, name: str) -> str | None:
    if is_uri(run_dir):
        import pyarrow.fs

        fs, root = pyarrow.fs.FileSystem.from_uri(run_dir)
        try:
            with fs.open_input_stream(f"{root}/{name}") as src:
                return src.read().decode()
        except (FileNotFoundError, OSError):
            return None
    path = Path(run_dir, name)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def save_run_files(target: RunTarget, cfg: Any, source_toml: str | None, overrides: Mapping[str, Any]) -> None:
    write_text(target.run_dir, CONFIG_JSON, json.dumps(cfg.to_dict(), indent=2, default=str))
    if source_toml is not None:
        write_text(target.run_dir, CONFIG_TOML, source_toml)
    info = {"name": target.name, "storage_path": target.storage_path, "address": target.address,
            "overrides": dict(overrides), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    write_text(target.run_dir, RUN_INFO, json.dumps(info, indent=2))


# ------------------------------------------------------------------------------------------- the sweep
def make_reporter(cfg: Any, max_report_frequency_s: int = 30):
    """Ray's legacy table, objectives only, at most every 30 s: the live view next to our per-trial lines."""
    from ray.tune import CLIReporter

    metrics = [o.metric for o in objectives_of(cfg)]
    return CLIReporter(metric_columns=metrics + [m for m in ("n_languages",) if m not in metrics],
                       parameter_columns={"subset/strategy": "strategy", "subset/size": "size"}, max_report_frequency=max_report_frequency_s,
                       max_progress_rows=10, max_error_rows=5, sort_by_metric=False)


def short_trial_dirname(trial: Any) -> str:
    """Ray's default folder name spells out every parameter (65 ``lang/`` flags): too long for filesystems."""
    return f"trial_{trial.trial_id}"


def build_tuner(cfg: Any, target: RunTarget, *, space: SearchSpace | None = None,
                trainable: Callable[[dict], Any] | None = None, callbacks: list | None = None,
                verbose: int = 1):
    from ray import tune

    quiet_output()
    space = space or SearchSpace(cfg)
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


def prepare_shared_work(cfg: Any) -> None:
    """Build the tiny world (first use only, with a progress bar) before trials start, instead of inside
    the first trials where it would be silent. On a cluster each node builds its own cached copy."""
    if cfg.experiment.trainable == "realign" and cfg.experiment.world == "tiny":
        from trainables.worlds import get_world

        get_world(cfg.experiment.world, model=cfg.experiment.model)


def sweep_callbacks(cfg: Any, space: SearchSpace, progress: bool = True) -> list:
    """The callbacks of every fit: disk-full stop, keep policy, and (``progress``) one line per trial."""
    from search.disk_full import StopOnDiskFull
    from search.keep import KeepModels
    from search.progress import TrialProgress

    callbacks = [StopOnDiskFull(), KeepModels(cfg.search.keep_models, objectives_of(cfg))]
    if progress:
        callbacks.append(TrialProgress(space, objectives_of(cfg), total=cfg.search.num_samples))
    return callbacks


def fit(tuner: Any, cfg: Any, run_dir: str):
    """``tuner.fit()`` under ``search.disk_full``'s guard, then the keep policy over what finished."""
    from search.disk_full import raise_parked
    from search.keep import prune_run

    results = tuner.fit()
    raise_parked()  # the final save of Ray's state found the disk full
    try:
        prune_run(run_dir, cfg.search.keep_models, objectives_of(cfg))
    except Exception as err:  # noqa: BLE001 - housekeeping must not cost the sweep its report
        logging.getLogger(__name__).warning("could not apply search.keep_models to %s: %s", run_dir, err)
    return results


def discard_unstarted(target: RunTarget) -> None:
    """Remove a run directory whose sweep never started (``plan_run`` made sure it held nothing), so
    neither ``resume`` nor a new ``run`` trips over its half-written files."""
    import shutil

    if not target.is_uri:
        shutil.rmtree(target.run_dir, ignore_errors=True)


def run_sweep(cfg: Any, target: RunTarget, *, source_toml: str | None = None,
              overrides: Mapping[str, Any] | None = None, space: SearchSpace | None = None,
              trainable: Callable[[dict], Any] | None = None, num_cpus: int | None = None,
              verbose: int = 1, progress: bool = True):
    """Start Ray, create the run directory, run every trial; returns Ray's ``ResultGrid``.

    ``target`` must come from ``plan_run`` (validation is not repeated here). A full disk ends it with
    ``DiskFullError`` (``search.disk_full``), the state saved before intact.
    """
    from search.disk_full import guard_ray

    quiet_output()

    os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", EXPERIMENT_CHECKPOINT_PERIOD_S)
    space = space or SearchSpace(cfg)
    if trainable is None and target.address is None:
        prepare_shared_work(cfg)
    start_ray(target.address, num_cpus=num_cpus)
    guard_ray()
    try:
        tuner = build_tuner(cfg, target, space=space, trainable=trainable,
                            callbacks=sweep_callbacks(cfg, space, progress), verbose=verbose)
        save_run_files(target, cfg, source_toml, overrides or {})
    except BaseException:
        discard_unstarted(target)
        raise
    return fit(tuner, cfg, target.run_dir)
