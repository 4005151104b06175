"""A sweep's run folder: where it is, and the files of our own it holds beside Ray's state.

``resume``, ``report`` and ``compare`` need nothing but the run folder: Ray's experiment state and the
search config the driver saved into it (``search_config.json``, CLI overrides applied). A run folder is a
local path or a URI (``s3://``, ``gs://``, ...) that pyarrow can open.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from spaces.config import SearchConfig
from spaces.errors import ConfigError

CONFIG_JSON = "search_config.json"  # cfg.to_dict() with CLI overrides: what resume/report reload
CONFIG_TOML = "search_config.toml"  # the TOML the user gave (or the embedded default), for people
RUN_INFO = "run_info.json"  # CLI overrides and where Ray ran


def is_uri(path: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+://", path))


def normalise_run_dir(run_dir: str | os.PathLike) -> str:
    text = str(run_dir)
    return text.rstrip("/") if is_uri(text) else str(Path(text).expanduser().resolve())


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


def save_run_files(run_dir: str, info: Mapping[str, Any], cfg: SearchConfig, source_toml: str | None) -> None:
    """The search config (JSON, and the TOML as given) and ``info`` (name, storage, overrides, address)."""
    save_config(run_dir, cfg)
    if source_toml is not None:
        write_text(run_dir, CONFIG_TOML, source_toml)
    write_text(run_dir, RUN_INFO, json.dumps({**info, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}, indent=2))


def save_config(run_dir: str, cfg: SearchConfig) -> None:
    """The config ``resume`` and ``report`` reload (``search_config.json``)."""
    write_text(run_dir, CONFIG_JSON, json.dumps(cfg.to_dict(), indent=2, default=str))


def run_info(run_dir: str) -> dict[str, Any]:
    text = read_text(run_dir, RUN_INFO)
    return json.loads(text) if text else {}


def load_saved_config(run_dir: str) -> SearchConfig:
    """The SearchConfig the sweep ran with (CLI overrides included), from the run directory's JSON."""
    from spaces.config import parse_search_config

    text = read_text(run_dir, CONFIG_JSON)
    if text is None:
        raise ConfigError("RUN_DIR", f"{run_dir!r} has no {CONFIG_JSON}; it was not started by `realign-search run`")
    return parse_search_config(json.loads(text), source=f"{run_dir}/{CONFIG_JSON}")


def check_run_dir(run_dir: str) -> None:
    """Refuse a path that is not a sweep Ray can restore (before Ray starts) or the local engine's."""
    if not is_uri(run_dir) and not Path(run_dir).is_dir():
        raise ConfigError("RUN_DIR", f"{run_dir!r} is not a directory; give the run directory `run` printed")
    from search.engines.local import is_local_run

    if not is_uri(run_dir) and is_local_run(run_dir):
        return  # no Ray state, and no Ray import (seconds) for a sweep that never used Ray
    from ray import tune

    try:
        ok = tune.Tuner.can_restore(run_dir)
    except Exception as err:  # unreadable remote stores raise pyarrow / OS errors
        raise ConfigError("RUN_DIR", f"{run_dir!r} cannot be read: {err}") from None
    if not ok:
        raise ConfigError(
            "RUN_DIR",
            f"{run_dir!r} holds no Ray Tune experiment state (no tuner.pkl); "
            "was the sweep started with `realign-search run`?",
        )


def discard_unstarted(run_dir: str) -> None:
    """Remove a run directory whose sweep never started (``plan_run`` made sure it held nothing), so
    neither ``resume`` nor a new ``run`` trips over its half-written files."""
    import shutil

    if not is_uri(run_dir):
        shutil.rmtree(run_dir, ignore_errors=True)
