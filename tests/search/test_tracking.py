"""``[tracking]`` -> Ray Tune's logger callbacks; a missing package is refused before Ray, naming the extra."""

from __future__ import annotations

import importlib.util
import os

import pytest

from search.tracking import check_trackers, tracking_callbacks, tracking_environment
from spaces.config import parse_search_config
from spaces.errors import ConfigError


def test_a_missing_tracker_package_is_refused_naming_the_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a))
    cfg = parse_search_config({"tracking": {"wandb": True}})
    with pytest.raises(ConfigError) as refused:
        check_trackers(cfg)
    assert refused.value.field == "tracking.wandb"
    assert "realign-search[tracking]" in str(refused.value)
    check_trackers(parse_search_config({}))  # TensorBoard's tensorboardX comes with ray[tune]


def test_callbacks_follow_the_table(tmp_path):
    from ray.air.integrations.mlflow import MLflowLoggerCallback
    from ray.tune.logger import CSVLoggerCallback, JsonLoggerCallback, TBXLoggerCallback

    default = tracking_callbacks(parse_search_config({}), str(tmp_path))
    assert [type(c) for c in default] == [TBXLoggerCallback]
    off = tracking_callbacks(parse_search_config({"tracking": {"tensorboard": False, "mlflow": True}}), str(tmp_path))
    assert [type(c) for c in off[:2]] == [CSVLoggerCallback, JsonLoggerCallback]  # what Ray's analysis reads
    assert isinstance(off[2], MLflowLoggerCallback)
    assert off[2].tracking_uri == f"sqlite:///{tmp_path}/mlflow.db"  # the run folder's own store
    assert off[2].experiment_name == "realign-search"  # experiment.name


def test_environment_is_set_for_the_fit_only(monkeypatch):
    monkeypatch.delenv("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", raising=False)
    monkeypatch.setenv("WANDB_MODE", "online")
    cfg = parse_search_config({"tracking": {"tensorboard": False, "wandb": {"mode": "offline"}}})
    with tracking_environment(cfg):
        assert os.environ["TUNE_DISABLE_AUTO_CALLBACK_LOGGERS"] == "1"
        assert os.environ["WANDB_MODE"] == "offline"  # Ray's W&B callback asks no API key offline
    assert "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS" not in os.environ
    assert os.environ["WANDB_MODE"] == "online"
