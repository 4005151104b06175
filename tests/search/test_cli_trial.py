"""``realign-search trial``: config files, refusals with exit status 2, table and JSON output."""

from __future__ import annotations

import json
import math

import pytest

from _fake_world import fake_world
from search.cli import main
from search.cli.trial import DEFAULT_TRIAL, load_trial_file
from spaces.errors import ConfigError
from trainables import trial as trial_mod

GOOD = """
languages = ["de", "yor"]
task = "pos"
[realign]
steps = 10
batch_size = 8
lr = 1e-4
[finetune]
epochs = 1
batch_size = 8
lr = 0.001
"""


@pytest.fixture()
def on_fake_world(monkeypatch):
    monkeypatch.setenv("REALIGN_SEARCH_THREADS", "1")
    monkeypatch.setattr(trial_mod, "shared_world", lambda name, model: fake_world())


def test_toml_file_becomes_a_trial_config(tmp_path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(GOOD)
    trial = load_trial_file(path)
    # codes come out canonical, so the metrics recognise the subset's languages among the targets
    assert trial.languages == ("de", "yor_Latn") and trial.realign.steps == 10 and trial.finetune.lr == 0.001


def test_default_trial_is_valid() -> None:
    trial = load_trial_file(None)
    assert list(trial.languages) == DEFAULT_TRIAL["languages"] and trial.world == "tiny"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("languages = ['de']\nbogus = 1", "bogus"),
        ("languages = ['de']\n[realign]\nstep = 3", "realign.step"),
        ("languages = ['de']\n[realign]\nsteps = 'many'", "realign.steps"),
        ("languages = 'de'", "languages"),
        ("languages = ['xx-not-a-language']", "languages"),
        ("languages = ['de']\n[finetune]\nlr = true", "finetune.lr"),
        ("languages = ['de'\n", "--config"),
        ("languages = ['de']\nrealign = 3", "realign"),
    ],
)
def test_bad_files_are_refused_naming_the_field(tmp_path, text, field) -> None:
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_trial_file(path)
    assert err.value.field == field


def test_cli_refusal_is_one_paragraph_and_exit_2(tmp_path, capsys) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("languages: [de]")
    assert main(["trial", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "--config" in err and ".toml" in err and "Traceback" not in err
    assert main(["trial", "--config", str(tmp_path / "missing.toml")]) == 2


def test_cli_runs_a_trial_and_prints_json(tmp_path, capsys, on_fake_world) -> None:
    path = tmp_path / "t.toml"
    path.write_text(GOOD.replace('"yor"', '"yor_Latn"'))
    assert main(["trial", "--config", str(path), "--json"]) == 0
    out = capsys.readouterr()
    metrics = json.loads(out.out)
    assert metrics["phase"] == "final" and metrics["n_languages"] == 2
    assert math.isfinite(metrics["unseen_lrl"]) and "score/hau_Latn" in metrics
    assert "realigned: 10 steps" in out.err and "epoch 1:" in out.err


def test_cli_table_lists_every_language_and_the_aggregates(tmp_path, capsys, on_fake_world) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"languages": ["de"], "realign": {"mode": "none"}, "finetune": {"epochs": 1}}))
    assert main(["trial", "--config", str(path)]) == 0
    table = capsys.readouterr().out
    for needle in ("yor_Latn", "hau_Latn", "de ", "unseen_lrl", "n_pairs"):
        assert needle in table
