"""The paper's published measurements, shipped in compact form (MIT, see LICENSE here): loader, replay,
strategy studies and paper presets. ``build.py`` regenerates the data from the paper's CSVs; the replay
trainable is ``trainables.units.published``."""

from trainables.published.data import Run, load_runs, result_metrics
from trainables.published.replay import Measured, Replay, SeedResult, measured_subsets, measurement, replay

__all__ = [
    "Measured",
    "Replay",
    "Run",
    "SeedResult",
    "load_runs",
    "measured_subsets",
    "measurement",
    "replay",
    "result_metrics",
]
