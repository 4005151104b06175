"""No configuration is run twice: what makes two sampled points the same trial, and their shared result.

Why: samplers propose the same point again (TPE in a small or converged space, two warm starts whose
strategies pick the same languages, a deterministic trainable scoring ``[zul_Latn]`` three times). A
repeated configuration costs a full trial and adds a duplicate to the front without telling the sampler
anything new. So the engines ask the sampler again instead, and tell it the first run's values at once.

Two sampled points are the same configuration when they resolve to the same ``TrialConfig``
(``SearchSpace.resolve``): the same languages (however the encoding reached them: a strategy, a mask or
a list) and the same hyperparameters. A point that does not resolve (a broken constraint) has no key:
it runs, and fails as its own trial.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from spaces.config import SearchSpace

# How many proposals in a row may repeat evaluated configurations before the engine lets the last one
# run: a sampler that keeps proposing seen points has (nearly) exhausted the space.
MAX_REPEATS = 20
REUSED_FROM = "reused_from"  # Optuna user attribute of a reused proposal: the trial that ran its configuration


def config_key(space: SearchSpace, params: Mapping[str, Any]) -> str | None:
    """The identity of the trial ``params`` would run; None when it does not resolve."""
    try:
        resolved = space.resolve(params)
    except Exception:  # noqa: BLE001 - the trial itself reports why it cannot run
        return None
    return resolved_key(resolved)


def resolved_key(resolved: Mapping[str, Any]) -> str:
    """The identity of a resolved ``TrialConfig.to_dict()`` (the languages' order aside)."""
    return json.dumps({**resolved, "languages": sorted(resolved["languages"])}, sort_keys=True, default=str)


def objective_values(result: Mapping[str, Any] | None, metrics: Sequence[str]) -> list[float] | None:
    """The values to tell Optuna, or None when a metric is missing or not finite (nothing to reuse)."""
    if not result:
        return None
    values = [result.get(m) for m in metrics]
    if any(not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) for v in values):
        return None
    return [float(v) for v in values]


@dataclass
class ConfigLedger:
    """Which configuration each trial runs, and the values of the finished ones.

    ``waiting`` holds the Optuna trials proposed while their configuration was still running: they are
    told its values when it finishes (or failed with it).
    """

    key_of: dict[str, str] = field(default_factory=dict)  # trial id -> configuration key
    owner: dict[str, str] = field(default_factory=dict)  # configuration key -> the trial that runs it
    values: dict[str, list[float]] = field(default_factory=dict)  # configuration key -> told values
    waiting: dict[str, list[Any]] = field(default_factory=dict)  # configuration key -> Optuna trials
    reused: int = 0  # proposals answered from the ledger instead of run

    def seen(self, key: str | None) -> bool:
        return key is not None and key in self.owner

    def start(self, trial_id: str, key: str | None) -> None:
        if key is not None:
            self.key_of[trial_id] = key
            self.owner.setdefault(key, trial_id)

    def finish(self, trial_id: str, values: list[float] | None) -> tuple[str | None, list[Any]]:
        """Record ``trial_id``'s values; returns its key and the Optuna trials waiting for them."""
        key = self.key_of.get(trial_id)
        if key is None or self.owner.get(key) != trial_id:
            return key, []
        if values is None:
            # Failed or undefined: forget it, so a later proposal may run it again (a retry, not a copy).
            del self.owner[key]
        else:
            self.values[key] = values
        return key, self.waiting.pop(key, [])
