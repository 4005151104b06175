"""One line per finished trial, so a sweep's console shows outcomes rather than a wall of logs.

Ray's own table (at low verbosity) shows what is running; this callback says what each trial achieved:
the objectives, the subset it realigned on, how long it took, or why it failed.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from ray.tune import Callback

from spaces.config import SearchSpace
from spaces.formats import fmt_number
from spaces.vocab import Objective, stopped_early

MAX_SHOWN_LANGUAGES = 12


def format_languages(languages: Sequence[str]) -> str:
    shown = ",".join(languages[:MAX_SHOWN_LANGUAGES])
    more = len(languages) - MAX_SHOWN_LANGUAGES
    return f"[{shown}{f',+{more}' if more > 0 else ''}]"


def error_reason(trial: Any) -> str:
    """The last line of the trial's error (e.g. ``ValueError: NaN loss``), or a placeholder."""
    path = getattr(trial, "error_file", None)
    try:
        text = Path(path).read_text(encoding="utf-8") if path else ""
    except OSError:
        text = ""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "unknown error"


def outcome_word(result: Mapping[str, Any]) -> str:
    """``ok`` for a trial that finished, ``stopped`` for one ended before its final report (ASHA): its
    scores are intermediate, and Optuna was told it was pruned."""
    return "stopped" if stopped_early(result) else "ok"


def trial_line(count: str, trial_id: str, result: Mapping[str, Any], objectives: Sequence[Objective]) -> str:
    """``[done/total] trial ID ok|stopped <objectives>`` (every engine prints a finished trial this way)."""
    scores = " ".join(f"{o.metric}={fmt_number(result.get(o.metric), missing='None')}" for o in objectives)
    extra = (
        ""
        if any(o.metric == "n_languages" for o in objectives)
        else f" n_languages={fmt_number(result.get('n_languages'), missing='None')}"
    )
    return f"{count} trial {trial_id} {outcome_word(result):<6} {scores}{extra}"


def languages_text(space: SearchSpace, config: Mapping[str, Any]) -> str:
    """The trial's languages as a progress line shows them; ``[?]`` when they cannot be resolved."""
    try:
        return format_languages(space.languages(config))
    except Exception:  # noqa: BLE001 - a progress line must never break the sweep
        return "[?]"


def took(result: Mapping[str, Any]) -> str:
    seconds = result.get("time_total_s")
    return f" {seconds:.1f}s" if isinstance(seconds, (int, float)) else ""


class TrialProgress(Callback):
    """Prints ``[done/total] trial ID ok|stopped|FAILED ...`` when a trial completes or errors."""

    def __init__(
        self,
        space: SearchSpace,
        objectives: Sequence[Objective],
        total: int | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.space = space
        self.objectives = list(objectives)
        self.total = total
        self.stream = stream

    def _out(self) -> TextIO:
        return self.stream or sys.stdout

    def _count(self, trials: Sequence[Any], trial: Any) -> str:
        finished = ("TERMINATED", "ERROR")
        # Ray calls back before it marks ``trial`` finished; count it either way.
        done = sum(t.status in finished for t in trials if t is not trial) + 1
        return f"[{done:>3}/{self.total if self.total else '?'}]"

    def _languages(self, trial: Any) -> str:
        return languages_text(self.space, trial.config)

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        line = trial_line(self._count(trials, trial), trial.trial_id, trial.last_result or {}, self.objectives)
        print(f"{line} {self._languages(trial)}{took(trial.last_result or {})}", file=self._out(), flush=True)

    def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        print(
            f"{' ' * len(self._count(trials, trial))} trial {trial.trial_id} retry  after {error_reason(trial)}",
            file=self._out(),
            flush=True,
        )

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        print(
            f"{self._count(trials, trial)} trial {trial.trial_id} FAILED {error_reason(trial)} "
            f"{self._languages(trial)}",
            file=self._out(),
            flush=True,
        )
