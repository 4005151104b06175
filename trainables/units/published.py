"""The ``published`` trainable: the paper's seed-mean result for the trial's subset, replayed.

A subset the paper never measured is refused (``trainables.published.replay``): a replay never invents
a number; the ``proxy`` unit predicts one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainables.cost import with_cost
from trainables.published.data import OURS
from trainables.published.replay import measurement
from trainables.units.paper import final_result, requested


@with_cost
def result(config: Mapping[str, Any]) -> dict[str, Any]:
    """The final result a trial with this ``TrialConfig.to_dict()`` would report, replayed (seed mean)."""
    trial, languages = requested(config, "the paper published only 'before' realignment and the baseline")
    measured = measurement(trial.model, trial.task, languages, OURS if languages else "baseline")
    return final_result(trial, measured.languages, measured.scores, n_seeds=len(measured.runs))


def trainable(config: dict) -> None:
    """Ray Tune function trainable: reports the paper's seed-mean result for the trial's subset once."""
    from ray import tune

    tune.report(result(config))
