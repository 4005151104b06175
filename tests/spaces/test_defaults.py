"""Unset hyperparameters take the paper's value for the model and task; an explicit value always wins."""

from __future__ import annotations

import pytest

from spaces.config import parse_search_config
from spaces.errors import ConfigError
from spaces.trial_config import RealignParams, TrialConfig


@pytest.mark.parametrize(
    "model, lr",
    [
        ("bert-base-multilingual-cased", 2e-5),
        ("mbert", 2e-5),
        ("xlm-roberta-base", 7.5e-6),
        ("xlmr", 7.5e-6),
        ("tiny", 1e-3),
    ],
)
def test_unset_learning_rates_follow_the_model(model: str, lr: float) -> None:
    trial = TrialConfig(model=model, world="tiny" if model == "tiny" else "real")
    assert trial.realign.lr == lr and trial.finetune.lr == lr


@pytest.mark.parametrize("task, epochs, eval_length", [("nli", 2, 256), ("ner", 5, 128), ("pos", 5, 128)])
def test_unset_epochs_and_evaluation_length_follow_the_task(task: str, epochs: int, eval_length: int) -> None:
    trial = TrialConfig(model="xlmr", world="real", task=task)
    assert trial.finetune.epochs == epochs
    assert trial.finetune.eval_max_length == eval_length
    tiny = TrialConfig(task=task)  # the tiny encoder keeps its working 2 epochs; lengths follow the task
    assert tiny.finetune.epochs == 2 and tiny.finetune.eval_max_length == eval_length
    assert trial.finetune.max_length == 96 and trial.realign.max_length == 96  # training length


def test_every_model_realigns_the_penultimate_layer_by_default() -> None:
    assert TrialConfig(model="mbert", world="real").realign.layer == -2
    assert TrialConfig(model="xlmr", world="real").realign.layer == -2
    assert TrialConfig().realign.layer == -2


def test_explicit_values_win() -> None:
    trial = TrialConfig.from_dict(
        {
            "model": "xlmr",
            "world": "real",
            "task": "nli",
            "languages": ["af"],
            "realign": {"lr": 1e-4, "layer": -1},
            "finetune": {"lr": 3e-5, "epochs": 7, "eval_max_length": 64},
        }
    )
    assert (trial.realign.lr, trial.realign.layer) == (1e-4, -1)
    assert (trial.finetune.lr, trial.finetune.epochs, trial.finetune.eval_max_length) == (3e-5, 7, 64)
    assert TrialConfig(realign=RealignParams(lr=0.5)).realign.lr == 0.5


def test_resolved_trial_round_trips_with_numbers() -> None:
    trial = TrialConfig(languages=("af",), model="mbert", world="real", task="ner")
    data = trial.to_dict()
    assert data["realign"]["lr"] == 2e-5 and data["finetune"]["epochs"] == 5
    assert TrialConfig.from_dict(data) == trial


def test_a_parsed_space_shows_the_resolved_values() -> None:
    cfg = parse_search_config({"experiment": {"world": "real", "model": "xlmr", "task": "nli"}})
    assert cfg.realign.get("lr").value == 7.5e-6 and cfg.finetune.get("lr").value == 7.5e-6
    assert cfg.finetune.get("epochs").value == 2 and cfg.finetune.get("eval_max_length").value == 256
    assert cfg.realign.get("layer").value == -2
    assert cfg.realign.get("batching").value == "mixed" and cfg.realign.get("pooling").value == "mean"
    explicit = parse_search_config(
        {"experiment": {"world": "real", "model": "xlmr", "task": "nli"}, "finetune": {"epochs": 3}}
    )
    assert explicit.finetune.get("epochs").value == 3


@pytest.mark.parametrize(
    "section, key, value",
    [
        ("realign", "batching", "random"),
        ("realign", "pooling", "max"),
        ("finetune", "eval_max_length", 4),
        ("finetune", "lr", "fast"),
    ],
)
def test_bad_new_values_name_the_field(section: str, key: str, value: object) -> None:
    with pytest.raises(ConfigError, match=f"{section}.{key}"):
        parse_search_config({section: {key: value}})
