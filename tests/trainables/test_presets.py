"""The six paper presets: generated from the published runs, the paper's protocol, its own subsets."""

from __future__ import annotations

import pytest

from spaces.config import load_search_config, named_warm_start_points, resolve_trial
from trainables.published.presets import PAPER_SEEDS, main, paper_lists, preset_path
from trainables.published.replay import replay

CASES = [
    (model, task) for model in ("bert-base-multilingual-cased", "xlm-roberta-base") for task in ("pos", "ner", "nli")
]
PROTOCOL = {"nli": (2, 256), "ner": (5, 128), "pos": (5, 128)}


def test_the_shipped_presets_are_what_the_generator_writes() -> None:
    assert main(["--check"]) == 0


@pytest.mark.parametrize("model, task", CASES)
def test_a_preset_runs_the_papers_protocol_on_the_papers_subsets(model: str, task: str) -> None:
    cfg = load_search_config(preset_path(model, task))
    points = named_warm_start_points(cfg)
    lists = paper_lists(model, task)
    assert [label for label, _ in points] == [name for name, _, _ in lists] + ["baseline"]
    assert cfg.search.num_samples == len(points)
    assert {"most_uriel_en_10", "least_uriel_en_10", "xt_afri", "afri_only"} <= {name for name, _, _ in lists}
    assert not any(name.startswith(("random_", "abla_random_")) for name, _, _ in lists)
    epochs, eval_length = PROTOCOL[task]
    lr = 7.5e-6 if model == "xlm-roberta-base" else 2e-5
    for label, point in points:
        trial = resolve_trial(cfg, point)
        r, f = trial.realign, trial.finetune
        assert trial.seeds == PAPER_SEEDS and trial.world == "real" and trial.model == model
        assert (r.steps, r.batch_size, r.temperature, r.lr, r.layer, r.proj_dim, r.max_length) == (
            24544,
            16,
            0.1,
            lr,
            -2,
            128,
            96,
        )
        assert (r.sampling, r.batching, r.pooling) == ("uniform", "mixed", "paper_prefix")
        assert (f.lr, f.epochs, f.batch_size, f.warmup, f.max_length, f.eval_max_length) == (
            lr,
            epochs,
            32,
            0.1,
            96,
            eval_length,
        )
        if label == "baseline":
            assert r.mode == "none"
            continue
        assert r.mode == "before"
        published = replay(model, task, trial.languages)  # refuses a subset the paper never measured
        assert label in published.folders and set(PAPER_SEEDS) <= set(published.seeds)
