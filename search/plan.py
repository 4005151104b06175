"""Everything about where and how a sweep runs is checked before Ray starts or a run folder exists.

A user's mistake (``--address`` with no Ray head, a storage path that cannot hold a run, a clash with an
existing run, an Optuna RDB that cannot be opened, a disk too small for the checkpoints) is one
ConfigError paragraph with nothing left behind. The config itself was validated by ``spaces.config``.
"""

from __future__ import annotations

import re
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from search.engines import check_engine
from search.run_files import is_uri
from spaces.config import SearchConfig
from spaces.errors import ConfigError


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
        return (
            f"{self.storage_path.rstrip('/')}/{self.name}" if self.is_uri else str(Path(self.storage_path, self.name))
        )


def plan_run(
    cfg: SearchConfig,
    *,
    storage_path: str | None = None,
    name: str | None = None,
    address: str | None = None,
    trainable: Callable[[dict], Any] | None = None,
) -> RunTarget:
    """Validate everything about where and how the sweep runs; create nothing.

    ``trainable`` replaces the configured one (tests, benchmarks); otherwise it is imported here.
    """
    storage = check_storage(storage_path or cfg.search.storage_path)
    run_name = name or default_name(cfg, storage)
    if not re.fullmatch(r"[A-Za-z0-9._-]+", run_name):
        raise ConfigError("--name", f"{run_name!r} must be letters, digits, '.', '_' or '-'")
    target = RunTarget(storage, run_name, address)
    if not target.is_uri and _holds_files(Path(target.run_dir)):
        raise ConfigError(
            "--name",
            f"{target.run_dir!r} already holds a run; use `realign-search resume "
            f"{target.run_dir}` to continue it or pick another --name",
        )
    check_address(address)
    check_engine(cfg, is_uri=target.is_uri, address=address)
    check_optuna_storage(cfg.search.optuna_storage)
    from search.tracking import check_trackers

    check_trackers(cfg)
    if trainable is None:  # an injected trainable (tests, benchmarks) has its own, unknown footprint
        load_trainable(cfg)
        from search.space_check import check_space

        warning = check_space(cfg, storage, local=address in (None, "local"))
        if warning:
            target = replace(target, warnings=(warning,))
    return target


def check_storage(storage_path: str) -> str:
    """Absolute local path or the URI itself, refused when it cannot hold a run (nothing is created)."""
    if is_uri(storage_path):
        import pyarrow.fs

        try:
            pyarrow.fs.FileSystem.from_uri(storage_path)
        except Exception as err:  # pyarrow raises several types for unknown schemes / unreachable stores
            raise ConfigError(
                "--storage-path",
                f"{storage_path!r} cannot be opened: {err}",
                ["a local directory", "s3://bucket/prefix", "gs://bucket/prefix"],
            ) from None
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
        raise ConfigError(
            "--storage-path",
            f"{str(path)!r} cannot be created: {str(existing)!r} is not writable ({err.strerror or err})",
        ) from None
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
        raise ConfigError(
            "--address",
            f"no Ray head reachable at {address!r} ({err.strerror or err}); "
            "start one with `ray start --head` or leave --address out to run locally",
        ) from None


def default_name(cfg: SearchConfig, storage_path: str) -> str:
    """``experiment.name``; with a timestamp appended when that run directory is already taken."""
    name = cfg.experiment.name
    if is_uri(storage_path) or not _holds_files(Path(storage_path, name)):
        return name
    return f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"


def _holds_files(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def check_optuna_storage(url: str) -> None:
    """Open the Optuna RDB (creating its tables, as the sweep would) so a bad URL fails before Ray starts."""
    if not url:
        return
    import optuna

    try:
        optuna.storages.RDBStorage(url)
    except Exception as err:  # sqlalchemy / driver errors vary by backend
        reason = " ".join(str(err).split("\n")[0].split())  # sqlalchemy appends a help-link line
        raise ConfigError(
            "search.optuna_storage",
            f"cannot open {url!r}: {type(err).__name__}: {reason}",
            ["sqlite:///PATH.db", "postgresql://USER@HOST/DB", "mysql://USER@HOST/DB"],
        ) from None


def load_trainable(cfg: SearchConfig) -> Callable[[dict], Any]:
    """The configured trainable, imported now so a missing piece fails before Ray starts."""
    from trainables.registry import get_trainable

    try:
        return get_trainable(cfg.experiment.trainable)
    except ImportError as err:
        raise ConfigError(
            "experiment.trainable", f"{cfg.experiment.trainable!r} cannot be loaded in this installation ({err})"
        ) from None
