"""The one metrics path of the fidelities built on the paper's results (``published`` and ``proxy``).

Both score a subset from per-benchmark scores (``<benchmark>/<code>``: measured or predicted) without
training anything, so both refuse what the paper never ran (``joint`` realignment), realign on nothing
for the baseline (``mode = "none"``), and report the same schema as a trained trial: the result of
``trainables.published.data.result_metrics``, the costs of the paper's runs and the final phase.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spaces.catalog import load_catalog
from spaces.errors import ConfigError
from spaces.trial_config import TrialConfig
from trainables.published.data import PAPER_PAIRS, check_model, check_task, result_metrics


def requested(config: Mapping[str, Any], refusal: str) -> tuple[TrialConfig, tuple[str, ...]]:
    """The trial of ``config`` and the languages it realigns on (none for the baseline); ``joint``
    realignment is refused with ``refusal``."""
    trial = TrialConfig.from_dict(dict(config))
    if trial.realign.mode == "joint":
        raise ConfigError("realign.mode", refusal, ["before", "none"])
    return trial, () if trial.realign.mode == "none" else trial.languages


def final_result(
    trial: TrialConfig, subset: tuple[str, ...], bench_scores: Mapping[str, float], **extra: Any
) -> dict[str, Any]:
    """What the trial reports for ``bench_scores`` when it realigned on ``subset`` (canonical codes)."""
    model, task = check_model(trial.model), check_task(trial.task)
    targets = tuple(load_catalog().resolve(trial.targets, "targets"))
    metrics = result_metrics(bench_scores, task, subset, targets, model=model, sweep_pool=tuple(trial.sweep_pool))
    return {**metrics, "n_languages": len(subset), "n_pairs": PAPER_PAIRS if subset else 0, **extra, "phase": "final"}
