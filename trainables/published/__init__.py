"""The paper's published measurements, shipped in compact form (MIT, see LICENSE here): loader, replay
trainable, strategy studies. ``build.py`` regenerates the data from the paper's CSVs."""

from trainables.published.data import Run, load_runs, result_metrics
from trainables.published.replay import Replay, SeedResult, published_metrics, published_trainable, replay

__all__ = ["Replay", "Run", "SeedResult", "load_runs", "published_metrics", "published_trainable", "replay",
           "result_metrics"]
