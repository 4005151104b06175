"""A trial's cost (``trainables.cost``): GPU time is wall time times the GPUs Ray allotted, in seconds and
hours, and 0 where nothing was allotted."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from trainables.cost import TrialClock, allotted_gpus, cost_metrics, with_cost


@pytest.mark.parametrize("wall, gpus", [(7200.0, 0.5), (90.0, 2.0), (12.5, 0.0)])
def test_gpu_time_is_wall_time_times_allotted_gpus(wall, gpus):
    cost = cost_metrics(wall, gpus)
    assert cost["wall_s"] == wall
    assert cost["gpu_s"] == pytest.approx(wall * gpus)
    assert cost["gpu_hours"] == pytest.approx(wall * gpus / 3600)


def test_cost_metrics_by_hand():
    assert cost_metrics(7200.0, 0.5) == {"wall_s": 7200.0, "gpu_s": 3600.0, "gpu_hours": 1.0}


def test_allotted_gpus_come_from_the_trials_placement_group(monkeypatch):
    from ray.tune.execution.placement_groups import PlacementGroupFactory

    pgf = PlacementGroupFactory([{"CPU": 1.0, "GPU": 0.5}])
    monkeypatch.setattr("ray.tune.get_context", lambda: SimpleNamespace(get_trial_resources=lambda: pgf))
    assert allotted_gpus() == 0.5
    clock = TrialClock()
    time.sleep(0.05)
    cost = clock.cost()
    assert cost["wall_s"] >= 0.05 and cost["gpu_s"] == pytest.approx(cost["wall_s"] * 0.5)


def test_nothing_is_allotted_outside_a_trial():
    assert allotted_gpus() == 0.0


def test_with_cost_times_the_call():
    @with_cost
    def result(x):
        time.sleep(0.02)
        return {"score": x}

    out = result(3)
    assert out["score"] == 3 and out["wall_s"] >= 0.02 and out["gpu_hours"] == 0.0
