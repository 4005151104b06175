"""Ray's ``OptunaSearch`` that never hands Tune a configuration it already evaluated (``search.reuse``).

Ray 2.60's ``OptunaSearch.suggest(trial_id)`` asks the study for an Optuna trial, keeps it in
``_ot_trials[trial_id]`` and returns its parameters; ``on_trial_complete`` tells the study that trial's
values. This subclass looks at each proposal first: when its configuration is already finished, the Optuna
trial is told the finished values at once (user attribute ``reused_from`` = the trial that ran it) and the
study is asked again; when it is still running, the Optuna trial waits and is told its values (or its
failure) when it finishes. After ``MAX_REPEATS`` repeats in a row the proposal runs anyway, so a sweep in
an exhausted space still ends. A reused proposal is no Ray trial: it is not in Tune's progress, the trial
table or the report; the study (``search.optuna_storage``) holds it.

Everything it adds lives in its ``__dict__``, which ``OptunaSearch.save`` pickles into the experiment
state, so a restored sweep keeps reusing what it had.
"""

from __future__ import annotations

from typing import Any

from search.engines.outcomes import PhaseAwareOptunaSearch
from search.reuse import MAX_REPEATS, REUSED_FROM, ConfigLedger, config_key, objective_values
from spaces.vocab import stopped_early


class ReusingOptunaSearch(PhaseAwareOptunaSearch):
    """The sweep's searcher: reuse on top of ``PhaseAwareOptunaSearch`` (pruned trials, cost caps, user
    attributes). A configuration stopped early has no final values to reuse: it is forgotten like a failed
    one (a later proposal may run it), and the proposals waiting for it are told PRUNED."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ledger = ConfigLedger()

    def suggest(self, trial_id: str) -> dict | None:
        for attempt in range(MAX_REPEATS + 1):
            config = super().suggest(trial_id)
            if not isinstance(config, dict):
                return config
            key = config_key(self._space, config)
            if attempt == MAX_REPEATS or not self._ledger.seen(key):
                self._ledger.start(trial_id, key)
                return config
            self._reuse(trial_id, key)
        return None  # unreachable: the last attempt returns

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        super().on_trial_complete(trial_id, result=result, error=error)
        pruned = not error and stopped_early(result)
        values = None if error or pruned else objective_values(result, self._metrics())
        _, waiting = self._ledger.finish(trial_id, values)
        for ot_trial in waiting:
            self._tell(ot_trial, values, pruned=pruned)

    # ------------------------------------------------------------------------------------------- pieces
    def _metrics(self) -> list[str]:
        return list(self.metric) if isinstance(self.metric, list) else [self.metric]

    def _reuse(self, trial_id: str, key: str) -> None:
        """Take the proposal away from ``trial_id`` and answer it from the ledger (now or when it ends)."""
        ot_trial = self._ot_trials.pop(trial_id)
        ot_trial.set_user_attr(REUSED_FROM, self._ledger.owner[key])
        self._ledger.reused += 1
        if key in self._ledger.values:
            self._tell(ot_trial, self._ledger.values[key])
        else:
            self._ledger.waiting.setdefault(key, []).append(ot_trial)

    def _tell(self, ot_trial: Any, values: list[float] | None, *, pruned: bool = False) -> None:
        import optuna

        if values is None:
            state = optuna.trial.TrialState.PRUNED if pruned else optuna.trial.TrialState.FAIL
            self._ot_study.tell(ot_trial, state=state)
        else:
            self._ot_study.tell(ot_trial, values if isinstance(self.metric, list) else values[0])
