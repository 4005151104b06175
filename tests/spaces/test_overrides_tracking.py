"""``--set KEY=VALUE`` (``spaces.config.overrides``) and the ``[tracking]`` table (``spaces.config.tracking``)."""

from __future__ import annotations

import pytest

from _search_support import MINIMAL_TOML
from spaces.config import dump_search_config, load_search_config, parse_search_config
from spaces.config.overrides import apply_overrides, parse_assignment
from spaces.config.tracking import MlflowSettings, TrackingConfig, WandbSettings
from spaces.errors import ConfigError


@pytest.mark.parametrize(
    "text, path, value",
    [
        ("realign.lr=1e-4", ["realign", "lr"], 1e-4),
        ("search.num_samples = 8", ["search", "num_samples"], 8),
        ('subset.must_include=["de", "sw"]', ["subset", "must_include"], ["de", "sw"]),
        (
            "realign.lr={ low = 1e-5, high = 1e-3, log = true }",
            ["realign", "lr"],
            {"low": 1e-5, "high": 1e-3, "log": True},
        ),
        ("search.asha.enabled=true", ["search", "asha", "enabled"], True),
        ("experiment.task=ner", ["experiment", "task"], "ner"),  # a bare word: the string typed
        ('experiment.name="x y"', ["experiment", "name"], "x y"),
    ],
)
def test_assignment_reads_toml_values(text, path, value):
    assert parse_assignment(text) == (path, value)


@pytest.mark.parametrize("text", ["realign.lr", "=3", "realign..lr=3", 'subset.must_include=["de"'])
def test_malformed_assignment_is_refused(text):
    with pytest.raises(ConfigError):
        parse_assignment(text)


def test_overrides_set_nested_keys_without_touching_the_input():
    data = {"realign": {"lr": 1e-3}, "search": {}}
    out = apply_overrides(data, ["realign.lr=1e-4", "search.asha.enabled=true", "realign.lr=2e-4"])
    assert out == {"realign": {"lr": 2e-4}, "search": {"asha": {"enabled": True}}}  # later wins
    assert data == {"realign": {"lr": 1e-3}, "search": {}}
    with pytest.raises(ConfigError, match="realign.lr: is a value"):
        apply_overrides(data, ["realign.lr.low=1e-5"])


def _error(thunk) -> str:
    with pytest.raises(ConfigError) as info:
        thunk()
    return str(info.value)


@pytest.mark.parametrize(
    "assignment, toml_line, section",
    [
        ("realign.steps=many", 'steps = "many"', "[realign]"),
        ("search.num_samples=0", "num_samples = 0", "[search]"),
        ("subset.must_include=['xx']", 'must_include = ["xx"]', "[subset]"),
        ("search.sampler=cmaes", 'sampler = "cmaes"', "[search]"),
    ],
)
def test_an_override_is_refused_with_the_message_of_the_same_toml_line(tmp_path, assignment, toml_line, section):
    space = tmp_path / "space.toml"
    space.write_text(MINIMAL_TOML, encoding="utf-8")
    edited = tmp_path / "edited.toml"
    lines = MINIMAL_TOML.splitlines()
    key = toml_line.split(" =")[0]
    lines = [ln for ln in lines if not ln.startswith(f"{key} =")]
    lines.insert(lines.index(section) + 1, toml_line)
    edited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    by_set = _error(lambda: load_search_config(space, overrides=[assignment]))
    by_file = _error(lambda: load_search_config(edited))
    assert by_set == by_file
    assert by_set.startswith(assignment.split("=")[0])  # names the field


def test_overrides_reach_the_config(tmp_path):
    space = tmp_path / "space.toml"
    space.write_text(MINIMAL_TOML, encoding="utf-8")
    cfg = load_search_config(space, overrides=["realign.steps=7", "search.num_samples=8", 'subset.must_include=["uk"]'])
    assert cfg.realign.get("steps").value == 7
    assert cfg.search.num_samples == 8
    assert cfg.subset.must_include == ("uk",)
    assert load_search_config(space).search.num_samples == 3  # the file itself is unchanged


# ------------------------------------------------------------------------------------------ [tracking]
def test_tracking_defaults_match_ray_s_own_behaviour():
    assert parse_search_config({}).tracking == TrackingConfig(tensorboard=True, mlflow=None, wandb=None)
    assert parse_search_config({}).tracking.trackers == ["tensorboard"]


def test_tracking_true_tables_and_false():
    cfg = parse_search_config(
        {"tracking": {"tensorboard": False, "mlflow": True, "wandb": {"project": "p", "mode": "online"}}}
    )
    assert cfg.tracking == TrackingConfig(False, MlflowSettings(), WandbSettings(project="p", mode="online"))
    assert cfg.tracking.trackers == ["mlflow", "wandb"]
    assert parse_search_config({"tracking": {"mlflow": False}}).tracking.mlflow is None


@pytest.mark.parametrize(
    "tracking, field",
    [
        ({"tensorboard": "yes"}, "tracking.tensorboard"),
        ({"mlflow": "file:/x"}, "tracking.mlflow"),
        ({"mlflow": {"uri": "file:/x"}}, "tracking.mlflow.uri"),
        ({"wandb": {"mode": "cloud"}}, "tracking.wandb.mode"),
        ({"comet": True}, "tracking.comet"),
    ],
)
def test_bad_tracking_is_refused_naming_the_field(tracking, field):
    assert _error(lambda: parse_search_config({"tracking": tracking})).startswith(f"{field}:")


def test_tracking_round_trips_through_the_saved_toml(tmp_path):
    cfg = parse_search_config(
        {"tracking": {"mlflow": {"tracking_uri": "sqlite:///m.db", "experiment_name": "e"}, "wandb": True}}
    )
    path = tmp_path / "saved.toml"
    path.write_text(dump_search_config(cfg), encoding="utf-8")
    assert load_search_config(path).tracking == cfg.tracking
    assert parse_search_config(cfg.to_dict()).tracking == cfg.tracking
