"""``[tracking]`` -> Ray Tune's own logger callbacks (TensorBoard, MLflow, W&B), checked before Ray starts.

Ray Tune already knows how to send every trial's config and results to these trackers; this module only
turns its callbacks on from the space's ``[tracking]`` table (``spaces.config.tracking``) and refuses, before
anything starts, a tracker whose package is missing, naming the extra that installs it.

* TensorBoard: Ray writes ``events.out.tfevents.*`` into every trial folder whenever tensorboardX is
  installed (it comes with ``ray[tune]``); ``tensorboard = false`` turns that off (``TUNE_DISABLE_AUTO_
  CALLBACK_LOGGERS``, with the CSV and JSON loggers that Ray's own analysis reads added back).
* MLflow: one MLflow run per trial; without a ``tracking_uri``, a local SQLite store in the run folder
  (``mlflow ui --backend-store-uri sqlite:///RUN_DIR/mlflow.db``: MLflow 3's own recommendation, no
  server); a ``file:`` URI (MLflow's file store, ``/`` in metric names written as ``.``) or a server URL.
* W&B: one W&B run per trial, grouped by the sweep; ``mode = "offline"`` needs no account (``wandb sync``
  uploads it later) and writes under ``RUN_DIR/wandb``.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spaces.config import SearchConfig
from spaces.config.tracking import TrackingConfig
from spaces.errors import ConfigError

EXTRA = "pip install 'realign-search[tracking]' (from a checkout: pip install -e \".[tracking]\")"
# tracker -> (importable module, the package that provides it)
MLFLOW_DB = "mlflow.db"
PACKAGES = {
    "tensorboard": ("tensorboardX", "tensorboardX"),
    "mlflow": ("mlflow", "mlflow"),
    "wandb": ("wandb", "wandb"),
}


def tracking_of(cfg: SearchConfig) -> TrackingConfig:
    """The config's ``[tracking]`` (a config unpickled from an older run folder has none: the defaults)."""
    return getattr(cfg, "tracking", None) or TrackingConfig()


def check_trackers(cfg: SearchConfig) -> None:
    """Refuse a requested tracker whose package is not installed (before Ray starts)."""
    for name in tracking_of(cfg).trackers:
        module, package = PACKAGES[name]
        if importlib.util.find_spec(module) is None:
            raise ConfigError(
                f"tracking.{name}",
                f"needs the {package} package, which is not installed; install the tracking extra: {EXTRA}",
            )


def tracking_callbacks(cfg: SearchConfig, run_dir: str) -> list:
    """The logger callbacks ``[tracking]`` asks for (``check_trackers`` has passed)."""
    from search.run_files import is_uri

    tracking = tracking_of(cfg)
    local = not is_uri(run_dir)
    callbacks: list = []
    if tracking.tensorboard:
        from ray.tune.logger import TBXLoggerCallback

        callbacks.append(TBXLoggerCallback())
    else:  # Ray's automatic loggers are all or nothing: keep the two its analysis reads
        from ray.tune.logger import CSVLoggerCallback, JsonLoggerCallback

        callbacks += [CSVLoggerCallback(), JsonLoggerCallback()]
    if tracking.mlflow is not None:
        from ray.air.integrations.mlflow import MLflowLoggerCallback

        uri = tracking.mlflow.tracking_uri or (f"sqlite:///{Path(run_dir, MLFLOW_DB)}" if local else None)
        cls = file_store_callback() if _file_store(tracking.mlflow.tracking_uri or "-://") else MLflowLoggerCallback
        callbacks.append(
            cls(
                tracking_uri=uri,
                experiment_name=tracking.mlflow.experiment_name or cfg.experiment.name,
                tags={"realign_search_run": run_dir},
            )
        )
    if tracking.wandb is not None:
        from ray.air.integrations.wandb import WandbLoggerCallback

        w = tracking.wandb
        extra = {"dir": run_dir} if local else {}
        callbacks.append(
            WandbLoggerCallback(
                project=w.project or cfg.experiment.name,
                group=w.group or Path(run_dir).name,
                mode=w.mode,
                **extra,
            )
        )
    return callbacks


def _file_store(uri: str) -> bool:
    """Whether MLflow reads ``uri`` as a local file store (a ``file:`` URI or a bare path)."""
    return uri.startswith("file:") or "://" not in uri


def file_store_callback() -> type:
    """``MLflowLoggerCallback`` for MLflow's file store, which keeps each metric in a file named after it:
    ``bench/masakhapos`` and ``bench/masakhapos/yor`` cannot both exist there, so ``/`` becomes ``.``."""
    from ray.air.integrations.mlflow import MLflowLoggerCallback

    class FileStoreMLflowLoggerCallback(MLflowLoggerCallback):
        def log_trial_result(self, iteration: int, trial, result: dict) -> None:
            super().log_trial_result(iteration, trial, {key.replace("/", "."): v for key, v in result.items()})

    return FileStoreMLflowLoggerCallback


@contextmanager
def tracking_environment(cfg: SearchConfig) -> Iterator[None]:
    """What the trackers read from the environment, for the duration of a fit: Ray's automatic loggers
    off when TensorBoard is off (the CSV/JSON ones are then in ``tracking_callbacks``), and W&B's mode,
    which Ray's callback checks before it asks for an API key."""
    tracking = tracking_of(cfg)
    wanted = {}
    if not tracking.tensorboard:
        wanted["TUNE_DISABLE_AUTO_CALLBACK_LOGGERS"] = "1"
    if tracking.wandb is not None:
        wanted["WANDB_MODE"] = tracking.wandb.mode
    if tracking.mlflow is not None and tracking.mlflow.tracking_uri and _file_store(tracking.mlflow.tracking_uri):
        # MLflow 3 keeps its file store in "maintenance mode" and refuses it unless told: a file: URI
        # asks for exactly that store.
        wanted["MLFLOW_ALLOW_FILE_STORE"] = "true"
    saved = {key: os.environ.get(key) for key in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
