"""``RUN_DIR/console.log``: what the driver printed (progress lines, Ray's table, the summary), kept.

A sweep runs for hours in a terminal that may be gone by the time someone asks how it went; the run
folder keeps a copy of its console. ``sys.stdout`` and ``sys.stderr`` are teed for the duration: lines
printed before the run folder exists (``run`` creates it only once every check has passed) wait in memory
and go first, so the log starts with the command's own header; a run folder that never appears gets
no log. Remote (URI) run folders get none: the console is the record there.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

LOG_NAME = "console.log"


class _Tee:
    """A text stream writing to ``stream`` and, once ``path``'s folder exists, appending to ``path``."""

    def __init__(self, stream: TextIO, path: Path, pending: list[str]) -> None:
        self.stream, self.pending = stream, pending
        self.path: Path | None = path
        self.file: TextIO | None = None

    def write(self, text: str) -> int:
        written = self.stream.write(text)
        if self.path is None:  # the block has ended; a handler that kept this stream (Ray's) still writes
            return written
        try:
            if self.file is None and self.path.parent.is_dir():
                self.file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed by console_log
                self.file.write("".join(self.pending))
                self.pending.clear()
            if self.file is not None:
                self.file.write(text)
                self.file.flush()
            else:
                self.pending.append(text)
        except OSError:  # a full disk or a deleted folder must not break the console itself
            self.file = None
        return written

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str):  # isatty, encoding, fileno ...: the console's
        return getattr(self.stream, name)


@contextmanager
def console_log(run_dir: str, command: str | None = None) -> Iterator[None]:
    """Tee the console into ``RUN_DIR/console.log`` while the block runs (a header line per command)."""
    from search.run_files import is_uri

    if is_uri(run_dir):
        yield
        return
    path = Path(run_dir, LOG_NAME)
    pending = [f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} realign-search {command or ' '.join(sys.argv[1:])}\n"]
    out, err = _Tee(sys.stdout, path, pending), _Tee(sys.stderr, path, pending)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
        for tee in (out, err):
            if tee.file is not None:
                tee.file.close()
            tee.path = None
