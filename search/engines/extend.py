"""``resume RUN_DIR --num-samples N``: a finished Ray Tune sweep extended to N trials.

Ray 2.60 has no public way to raise ``num_samples`` of a restored experiment. ``Tuner.restore`` takes the
``TuneConfig`` from ``tuner.pkl``, and then the trial count is restored a second time: ``SearchGenerator``
(the wrapper Tune puts around a ``Searcher``) saves ``counter`` / ``total_samples`` beside the searcher and
``TuneController.resume`` sets them back, after any ``num_samples`` given at fit time. The narrowest
change is therefore at that one place: the restored ``TuneConfig.search_alg`` is replaced by
``ExtendedSearch``, a ``SearchGenerator`` (which ``tune.run`` uses as given) around the same restored
searcher, whose ``set_state`` raises the restored total to N. Everything else is restored as Ray saved it:
the trial table (finished trials are not run again), the ``ConcurrencyLimiter`` and the pickled
``OptunaSearch`` with its study, which goes on sampling from every trial it was told. The new total is
saved with the searcher state at every step, so an interrupted extension resumes to N as well.
"""

from __future__ import annotations

from typing import Any

from ray.tune.search import SearchGenerator

from spaces.errors import ConfigError


class ExtendedSearch(SearchGenerator):
    """A ``SearchGenerator`` whose restored trial total is raised to ``total``."""

    def __init__(self, searcher: Any, total: int) -> None:
        super().__init__(searcher)
        self.total = total

    def set_state(self, state: dict) -> None:
        super().set_state(state)
        if self.total > self._total_samples:
            self._total_samples = self.total
            self._finished = False  # a sweep that had run its trials: more are wanted now


def extend_tuner(tuner: Any, total: int) -> None:
    """Make the restored ``tuner`` run until the sweep has ``total`` trials."""
    try:
        tune_config = tuner._local_tuner._tune_config
    except AttributeError:  # a Ray whose Tuner is laid out differently: refuse rather than run nothing new
        raise ConfigError("--num-samples", "this Ray version's Tuner cannot be extended by realign-search") from None
    searcher = tune_config.search_alg
    if isinstance(searcher, SearchGenerator):
        searcher = searcher.searcher
    tune_config.search_alg = ExtendedSearch(searcher, total)
    tune_config.num_samples = total
    from search.progress import TrialProgress

    for callback in tuner._local_tuner.get_run_config().callbacks or []:  # restored from tuner.pkl
        if isinstance(callback, TrialProgress):
            callback.total = total
