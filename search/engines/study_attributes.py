"""What each Optuna trial records besides its objectives, so ``optuna-dashboard`` shows what it tried.

Ray's ``OptunaSearch`` tells the study only the objective values and the sampled parameters; under the
strategy encoding those are a size, a strategy name and a seed, which do not say which languages the trial
realigned on. Before the trial is told, ``AttributedOptunaSearch`` stores as user attributes:

* ``languages``: the subset it realigned on (after repair), and ``n_languages``;
* ``score/<code>``: its per-language scores (None where a score is NaN: JSON storages refuse NaN).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from ray.tune.search.optuna import OptunaSearch

SCORE_PREFIX = "score/"
CONFIG_PREFIX = "config/"


def trial_attributes(result: dict[str, Any] | None, space: Any) -> dict[str, Any]:
    """The user attributes of a trial that ended with ``result`` (its last report, Ray's ``config`` in it)."""
    result = result or {}
    attrs: dict[str, Any] = {}
    config = result.get("config")
    if config is None:  # Tune hands searchers the flattened result: config/languages, config/realign/lr ...
        config = {key[len(CONFIG_PREFIX) :]: value for key, value in result.items() if key.startswith(CONFIG_PREFIX)}
    if config and space is not None:
        try:
            attrs["languages"] = list(space.languages(config))
            attrs["n_languages"] = len(attrs["languages"])
        except Exception:  # noqa: BLE001 - a point the space refuses failed as its trial; nothing to add
            pass
    for key, value in result.items():
        if key.startswith(SCORE_PREFIX) and isinstance(value, (int, float)) and not isinstance(value, bool):
            attrs[key] = float(value) if math.isfinite(value) else None
    return attrs


class AttributedOptunaSearch(OptunaSearch):
    """``OptunaSearch`` that stores ``trial_attributes`` on the Optuna trial before telling it."""

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        self.record_attributes(trial_id, result)
        super().on_trial_complete(trial_id, result=result, error=error)

    def record_attributes(self, trial_id: str, result: dict | None) -> None:
        """Store ``trial_attributes`` on the trial's Optuna trial, once, before it is told (any state)."""
        ot_trial = self._ot_trials.get(trial_id)
        if ot_trial is None or trial_id in self._completed_trials:
            return
        try:
            for key, value in trial_attributes(result, self._space).items():
                ot_trial.set_user_attr(key, value)
        except Exception as err:  # noqa: BLE001 - attributes are for people; the study must still learn
            logging.getLogger(__name__).warning("could not store user attributes of trial %s: %s", trial_id, err)
