"""Damaged cache entries heal: an entry that cannot be read is reported once, moved aside, and rebuilt.

The tokenised data and the tiny world are written atomically, but a disk fault can damage a file
afterwards (truncated, garbled). Read directly, such a file fails deep inside numpy ("EOF: reading
array header"), safetensors ("invalid header length") or tokenizers, naming no path and giving no
remedy, in every trial of a sweep. So each reader of a cache entry goes through ``load_healing``:

- the entry is read (and checked: ``check_*`` below look at headers and sizes, not at every byte);
- when that fails, the entry is reported once per process with its path (on stderr: the console for
  the driver, which opens the tiny world before any trial; a worker's log for a trial), moved into
  ``CACHE/damaged/`` (a rename, kept for inspection; ``realign-search cache clear`` removes it) and
  rebuilt by the entry's own builder;
- when the rebuild fails, or the rebuilt entry is unreadable too, the caller gets ``CacheEntryError``
  naming the path and the ``realign-search cache clear`` command for its area; a full disk stays a
  ``DiskFullError``.

Only errors that say "this file is bad" count as damage; a ConfigError, a full disk or a bug in the
reader (ImportError, TypeError, ...) propagates unchanged, so a good entry is never moved aside.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from spaces.errors import CacheEntryError, ConfigError, as_disk_full
from trainables.cache import DAMAGED, cache_dir

T = TypeVar("T")
REASON_FILE = "DAMAGE.txt"
CLEAR_COMMANDS = {
    "tinyworld": "realign-search cache clear --world",
    "real": "realign-search cache clear --world",
    "tokenised": "realign-search cache clear --tokenised",
}

_reported: set[str] = set()


def is_damage(err: BaseException) -> bool:
    """Whether ``err``, raised while reading a cache entry, says the entry itself is bad."""
    if isinstance(err, ConfigError) or as_disk_full(err, ".") is not None:
        return False
    from safetensors import SafetensorError

    return (
        isinstance(
            err, (OSError, ValueError, EOFError, KeyError, RuntimeError, pickle.UnpicklingError, SafetensorError)
        )
        or type(err) is Exception
    )  # tokenizers raises a bare Exception for a garbled tokenizer.json


def clear_command(entry: Path) -> str:
    """The ``cache clear`` command for the area ``entry`` belongs to."""
    try:
        area = entry.resolve().relative_to(cache_root().resolve()).parts[0]
    except (ValueError, IndexError):
        return "realign-search cache clear"
    return CLEAR_COMMANDS.get(area, "realign-search cache clear")


def cache_root() -> Path:
    return cache_dir()


def move_aside(entry: Path, err: BaseException) -> Path | None:
    """Move ``entry`` into ``CACHE/damaged/`` with a note of what was wrong; None if it was gone already
    (another process moved it first)."""
    try:
        name = "-".join(entry.resolve().relative_to(cache_root().resolve()).parts)
    except ValueError:  # outside the cache (a test's own folder): keep it beside the entry
        name = entry.name
    aside = cache_dir(DAMAGED) / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    try:
        os.rename(entry, aside)
    except FileNotFoundError:
        return None
    except OSError:  # another filesystem (a symlinked area): leave it, the rebuild replaces it
        return None
    with contextlib.suppress(OSError):
        (aside / REASON_FILE).write_text(f"{entry}\n{type(err).__name__}: {err}\n", encoding="utf-8")
    return aside


def report_damage(entry: Path, err: BaseException, aside: Path | None) -> None:
    """One line per damaged entry per process: its path, the error, where it went."""
    if str(entry) in _reported:
        return
    _reported.add(str(entry))
    message = " ".join(str(err).split())[:300]
    where = f"moved aside to {aside}" if aside is not None else "replacing it"
    print(
        f"realign-search: cache entry {entry} cannot be read ({type(err).__name__}: {message}); {where} "
        "and rebuilding it",
        file=sys.stderr,
        flush=True,
    )


def load_healing(entry: Path, load: Callable[[], T], rebuild: Callable[[BaseException], None]) -> T:
    """``load()``; if the entry turns out damaged, ``rebuild(err)`` it and load again.

    ``rebuild`` receives the error that showed the damage and is responsible for moving the entry aside
    (``heal_entry`` for the usual case) -- only it knows which lock guards the entry against another
    process healing it at the same time.
    """
    try:
        return load()
    except Exception as err:
        if not is_damage(err):
            raise
        damage = err
    try:
        rebuild(damage)
    except Exception as err:
        full = as_disk_full(err, entry, wrote=0)
        if full is not None:
            raise full from err
        if isinstance(err, CacheEntryError):
            raise
        raise CacheEntryError(
            entry,
            f"it was damaged ({type(damage).__name__}: {damage}) and rebuilding it "
            f"failed ({type(err).__name__}: {err})",
            clear_command(entry),
        ) from err
    try:
        return load()
    except Exception as err:
        if not is_damage(err):
            raise
        raise CacheEntryError(
            entry, f"it is still unreadable after a rebuild ({type(err).__name__}: {err})", clear_command(entry)
        ) from err


def heal_entry(entry: Path, err: BaseException, build: Callable[[], None]) -> None:
    """Report ``entry``, move it aside and ``build()`` it again (no lock: builders that write into a
    temporary folder and rename it into place, keeping a concurrent builder's result, need none)."""
    aside = move_aside(entry, err)
    report_damage(entry, err, aside)
    build()


# ------------------------------------------------------------------------------------------- checks
def check_safetensors(path: Path) -> None:
    """The header parses and the data covers every tensor it lists (a truncated file fails here)."""
    from safetensors import safe_open

    with safe_open(str(path), "pt") as weights:
        weights.keys()


def check_model_dir(directory: Path) -> None:
    """A saved ``transformers`` model: its config parses and every safetensors file is whole."""
    json.loads((directory / "config.json").read_text("utf-8"))
    files = sorted(directory.glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"no *.safetensors weights in {directory}")
    for file in files:
        check_safetensors(file)
