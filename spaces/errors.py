"""The product's error types: everything a user can get wrong, and the faults a user must fix.

Every refusal names the offending field and, where there is a closed set, the allowed values, so the
CLI can print a single paragraph and exit with status 2 before any trial (or any run directory) exists.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from collections.abc import Iterable, Iterator


class ConfigError(ValueError):
    """Bad user input: a config field, a CLI argument, a language code.

    ``field`` is the dotted path of the offending value (``subset.must_include``, ``--size``) and
    ``allowed`` the values that would have been accepted, when that set is small enough to print.
    """

    def __init__(self, field: str, problem: str, allowed: Iterable[object] | None = None) -> None:
        self.field = field
        self.problem = problem
        self.allowed = None if allowed is None else [str(a) for a in allowed]
        message = f"{field}: {problem}"
        if self.allowed is not None:
            shown = self.allowed if len(self.allowed) <= 80 else [*self.allowed[:80], "..."]
            message += f" (allowed: {', '.join(shown)})"
        super().__init__(message)

    def __reduce__(self):  # with its fields: Ray ships a trial's exception from the worker to the driver
        return type(self), (self.field, self.problem, self.allowed)


# ------------------------------------------------------------------------------------- faults, not input
# The two faults below are not the user's mistake, but the user is the one who can fix them (free space,
# clear a cache entry), so they too are one paragraph that names the path and the remedy, never a
# traceback. The CLI exits 1 for them. Both survive pickling with their fields: Ray ships a trial's
# exception from the worker to the driver.

DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
# How a full disk reads when the errno was lost on the way (pyarrow, torch, sqlite, a Ray task error).
_DISK_FULL_TEXT = re.compile(
    r"no space left on device|disk quota exceeded|database or disk is full|"
    r"\[errno (?:28|122)\]",
    re.IGNORECASE,
)


class DiskFullError(OSError):
    """Nothing more fits on the filesystem holding ``path``; ``detail`` is the error as it was raised."""

    def __init__(self, path: str, detail: str) -> None:
        self.path = str(path)
        self.detail = detail
        super().__init__(errno.ENOSPC, f"no space left on the disk holding {self.path} ({detail})")

    def __str__(self) -> str:
        return self.strerror

    def __reduce__(self):
        return type(self), (self.path, self.detail)


class CacheEntryError(RuntimeError):
    """A cache entry that cannot be read and could not be rebuilt; ``command`` clears it."""

    def __init__(self, path: str, problem: str, command: str) -> None:
        self.path = str(path)
        self.problem = problem
        self.command = command
        super().__init__(
            f"the cache entry {self.path} cannot be used: {problem}. Clear it with `{command}` and run again"
        )

    def __reduce__(self):
        return type(self), (self.path, self.problem, self.command)


def exception_chain(err: BaseException) -> Iterator[BaseException]:
    """``err``, its causes and contexts, and the original exception inside a Ray task error."""
    seen: set[int] = set()
    todo = [err]
    while todo:
        current = todo.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__, getattr(current, "cause", None)]


def disk_full_cause(err: BaseException) -> BaseException | None:
    """The exception in ``err``'s chain that says the disk is full, or None."""
    for current in exception_chain(err):
        if isinstance(current, OSError) and current.errno in DISK_FULL_ERRNOS:
            return current
    for current in exception_chain(err):
        if _DISK_FULL_TEXT.search(str(current)):
            return current
    return None


# A failed write with less than this left on its filesystem failed for want of space, even when the
# error no longer says so (numpy: "N requested and M written", torch: "unexpected pos").
NEARLY_FULL_BYTES = 1 << 20


def free_bytes(path: str | os.PathLike) -> int | None:
    """Free bytes on the filesystem holding ``path`` (or its nearest existing ancestor); None if unknown."""
    probe = os.path.abspath(path)
    while not os.path.exists(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return None


def as_disk_full(err: BaseException, path: str | os.PathLike, *, wrote: int | None = None) -> DiskFullError | None:
    """``err`` as a DiskFullError naming the path it concerns, or None when it is not about a full disk.

    The path is the one the error names, else ``path``. ``wrote``: the caller knows ``err`` came from
    writing about that many bytes under ``path``; then a filesystem with less room than that (or than
    ``NEARLY_FULL_BYTES``) also counts as full.
    """
    for current in exception_chain(err):  # ours, raised where the path was known (a trial, the cache)
        if isinstance(current, DiskFullError) and hasattr(current, "path") and hasattr(current, "detail"):
            return DiskFullError(current.path, current.detail)  # plain, not Ray's task-error hybrid
    cause = disk_full_cause(err)
    if cause is not None:  # a copy names its source first and the file it was writing second
        named = getattr(cause, "filename2", None) or getattr(cause, "filename", None)
        detail = cause.strerror if isinstance(named, str) and getattr(cause, "strerror", None) else str(cause)
        return DiskFullError(named if isinstance(named, str) else str(path), _last_line(detail, cause))
    if wrote is not None and isinstance(err, (OSError, RuntimeError)):
        free = free_bytes(path)
        if free is not None and free < max(wrote, NEARLY_FULL_BYTES):
            return DiskFullError(
                str(path), f"{_last_line(str(err), err)}; {free} bytes free for a write of about {wrote} bytes"
            )
    return None


def _last_line(text: str, err: BaseException) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else type(err).__name__
