"""How the end of a trial is told to Optuna: pruned when it was stopped early, with its costs.

Ray's ``OptunaSearch`` tells every trial that ended without an error as COMPLETE with its last result.
A trial ASHA stopped after its first epoch would then enter the study as a finished trial with its
epoch-1 scores, and the sampler would learn from (and the study's front would hold) a score the trial
never finished. Trials report ``phase`` (``spaces.vocab.PHASES``; ``final`` only on the last report),
so a trial that ended before its final report is told as PRUNED instead, the state Optuna's samplers
treat as "stopped early, not comparable".

The trial's costs go into the Optuna trial as user attributes before it is told: what the cost caps
(``search.costs.CostConstraints``, the sampler's ``constraints_func``) read, and what optuna-dashboard
shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ray.tune.search.optuna import OptunaSearch

from search.costs import cost_attributes

FINAL = "final"  # the phase of a trial's last report (spaces.vocab.PHASES)


def optuna_state(result: Mapping[str, Any] | None, error: bool) -> str:
    """``COMPLETE``, ``PRUNED`` or ``FAIL``: what a trial that ended with ``result`` was.

    A trial that reports no phase (a custom trainable) counts as final, as the report and the keep
    policy read it."""
    if error:
        return "FAIL"
    if not result or result.get("phase", FINAL) != FINAL:
        return "PRUNED"
    return "COMPLETE"


class PhaseAwareOptunaSearch(OptunaSearch):
    """``OptunaSearch`` that tells a trial stopped before its final report as PRUNED, and records every
    trial's costs as user attributes first (for ``CostConstraints`` and optuna-dashboard)."""

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        ot_trial = self._ot_trials.get(trial_id)
        if ot_trial is not None and trial_id not in self._completed_trials:
            for name, value in cost_attributes(result).items():
                ot_trial.set_user_attr(name, value)
        if ot_trial is None or trial_id in self._completed_trials or optuna_state(result, error) != "PRUNED":
            super().on_trial_complete(trial_id, result=result, error=error)
            return
        from optuna.trial import TrialState

        self._ot_study.tell(ot_trial, state=TrialState.PRUNED)
        self._completed_trials.add(trial_id)
