"""The ``proxy`` trainable: what realigning on ANY subset of the 65 would score, predicted in milliseconds
by the regression of ``trainables.proxy`` (fitted on the published results)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainables import proxy
from trainables.cost import with_cost
from trainables.published.data import check_model, check_task
from trainables.units.paper import final_result, requested


@with_cost
def result(config: Mapping[str, Any]) -> dict[str, Any]:
    """What a trial with this ``TrialConfig.to_dict()`` would report, predicted (``realign.mode`` none =
    the baseline)."""
    trial, languages = requested(config, "the proxy is fitted on 'before' realignment and the baseline only")
    codes = proxy.realignable(languages)
    return final_result(trial, codes, proxy.predict_scores(check_model(trial.model), check_task(trial.task), codes))


def trainable(config: dict) -> None:
    """Ray Tune function trainable: reports the proxy's prediction for the trial's subset once."""
    from ray import tune

    tune.report(result(config))
