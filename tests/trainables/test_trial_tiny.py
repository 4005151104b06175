"""End to end on the real tiny world: a 2-language `before` trial runs and reports finite metrics."""

from __future__ import annotations

import math

import pytest

from spaces.trial_config import TrialConfig
from trainables.trial import run_trial


@pytest.mark.slow
def test_two_language_before_trial_on_the_tiny_world(tiny_world, monkeypatch) -> None:
    monkeypatch.setenv("REALIGN_SEARCH_THREADS", "1")
    targets = ["en", "hi", "swh_Latn", *tiny_world.task_languages("pos")[::6]]  # every 6th: keeps it quick
    targets = list(dict.fromkeys(targets))
    trial = TrialConfig.from_dict(
        {
            "languages": ["hi", "swh_Latn"],
            "task": "pos",
            "targets": targets,
            "realign": {"mode": "before", "steps": 50, "lr": 1e-3},
            "finetune": {"epochs": 2, "lr": 1e-3, "train_size": 500},
        }
    )
    reports = []
    final = run_trial(trial, lambda metrics, _ckpt: reports.append(metrics), world=tiny_world)
    assert [m["phase"] for m in reports] == ["realigned", "epoch", "final"]
    assert {k for k in final if k.startswith("score/")} == {f"score/{code}" for code in targets}
    scores = {code: final[f"score/{code}"] for code in targets}
    assert all(0.0 <= s <= 1.0 for s in scores.values())
    for key in ("unseen_lrl", "seen_lrl", "heldout", "in_subset", "out_of_subset", "lrl", "hrl", "all", "realign_loss"):
        assert math.isfinite(final[key]), key
    assert math.isfinite(reports[1]["unseen_lrl"])  # the intermediate report carries the objective
    assert final["n_languages"] == 2
    assert final["n_pairs"] == sum(len(tiny_world.parallel(code)) for code in ("hi", "swh_Latn"))
    assert final["score/en"] > 0.8  # English fine-tuning itself works
    assert final["unseen_lrl"] > 1 / 17  # zero-shot transfer beats chance over 17 UPOS tags
