"""What a trial costs, reported beside its scores so that a sweep can optimise or cap it.

Budget-constrained studies compare subsets by what they cost as well as by what they score, so every
report of a trial carries:

* ``wall_s``: wall-clock seconds since the trial (this attempt of it) started;
* ``gpu_s``: ``wall_s`` times the GPUs Ray allotted to the trial (``search.gpus_per_trial``), i.e. the
  GPU time reserved for it, used or not; 0 on a CPU-only trial and outside Ray (nothing was allotted);
* ``gpu_hours``: ``gpu_s / 3600``.

``n_pairs`` (realignment pairs) is the trainables' own cost count and is reported by each of them.
The names are ``spaces.vocab.TRIAL_COSTS``; ``spaces.vocab.COSTS`` adds ``n_languages`` and ``n_pairs``.
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SECONDS_PER_HOUR = 3600.0


def cost_metrics(wall_s: float, gpus: float) -> dict[str, float]:
    """The cost keys of a trial that has run ``wall_s`` seconds on ``gpus`` allotted GPUs."""
    gpu_s = wall_s * gpus
    return {"wall_s": wall_s, "gpu_s": gpu_s, "gpu_hours": gpu_s / SECONDS_PER_HOUR}


def allotted_gpus() -> float:
    """GPUs Ray reserved for the running trial (its placement group's ``GPU``); 0 outside a Tune trial."""
    try:
        from ray import tune

        with warnings.catch_warnings():  # outside a trial Ray warns and returns None
            warnings.simplefilter("ignore")
            resources = tune.get_context().get_trial_resources()
    except Exception:  # noqa: BLE001 - not inside a Tune trial (or no Ray): nothing was allotted
        return 0.0
    required = getattr(resources, "required_resources", None) or {}
    return float(required.get("GPU", 0.0))


@dataclass
class TrialClock:
    """Started with the trial; ``cost()`` gives the cost keys of a report made now."""

    gpus: float = field(default_factory=allotted_gpus)
    started: float = field(default_factory=time.perf_counter)

    def cost(self) -> dict[str, float]:
        return cost_metrics(time.perf_counter() - self.started, self.gpus)


def with_cost(result_fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``result_fn`` (a unit's ``result``) whose metrics also carry the cost of computing them."""

    @functools.wraps(result_fn)
    def timed(*args: Any, **kwargs: Any) -> dict[str, Any]:
        clock = TrialClock()
        return {**result_fn(*args, **kwargs), **clock.cost()}

    return timed
