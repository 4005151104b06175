"""How the end of a trial is told to Optuna: pruned when it was stopped early, with its costs.

Ray's ``OptunaSearch`` tells every trial that ended without an error as COMPLETE with its last result.
A trial ASHA stopped after its first epoch would then enter the study as a finished trial with its
epoch-1 scores, and the sampler would learn from (and the study's front would hold) a score the trial
never finished. Trials report ``phase`` (``spaces.vocab.PHASES``; ``final`` only on the last report),
so a trial that ended before its final report is told as PRUNED instead, the state Optuna's samplers
treat as "stopped early, not comparable".

The trial's costs go into the Optuna trial before it is told: as user attributes (optuna-dashboard
shows them) and, for each per-trial cap (``search.costs.cost_limits``), as the Optuna constraint
``cost - cap`` (``Trial.set_constraint``), which TPE and NSGA-II read and ``study.best_trials`` honours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from search.costs import cost_attributes
from search.engines.study_attributes import AttributedOptunaSearch
from spaces.vocab import stopped_early


def optuna_state(result: Mapping[str, Any] | None, error: bool) -> str:
    """``COMPLETE``, ``PRUNED`` or ``FAIL``: what a trial that ended with ``result`` was."""
    if error:
        return "FAIL"
    return "PRUNED" if stopped_early(result) else "COMPLETE"


def record_costs(ot_trial: Any, result: Mapping[str, Any] | None, limits: tuple[tuple[str, float], ...]) -> None:
    """The trial's costs as user attributes, and each cap as the constraint ``cost - cap`` (every engine)."""
    costs = cost_attributes(result)
    for name, value in costs.items():
        ot_trial.set_user_attr(name, value)
    for name, cap in limits:
        if name in costs:  # an unknown cost counts as feasible
            ot_trial.set_constraint(f"max_{name}", costs[name] - cap)


class PhaseAwareOptunaSearch(AttributedOptunaSearch):
    """``OptunaSearch`` that tells a trial stopped before its final report as PRUNED. Before it tells the
    trial, it records the trial's languages and per-language scores (``AttributedOptunaSearch``), its costs
    as user attributes and, for each cap in ``cost_limits`` (``(cost, cap)`` pairs), the constraint
    ``cost - cap`` (Optuna: feasible when every constraint is <= 0)."""

    def __init__(self, *args: Any, cost_limits: tuple[tuple[str, float], ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cost_limits = tuple(cost_limits)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        ot_trial = self._ot_trials.get(trial_id)
        told = ot_trial is None or trial_id in self._completed_trials
        if not told:
            record_costs(ot_trial, result, getattr(self, "_cost_limits", ()))
        if told or optuna_state(result, error) != "PRUNED":
            super().on_trial_complete(trial_id, result=result, error=error)  # records languages and scores
            return
        from optuna.trial import TrialState

        self.record_attributes(trial_id, result)
        self._ot_study.tell(ot_trial, state=TrialState.PRUNED)
        self._completed_trials.add(trial_id)
