"""``[tracking]``: which of Ray Tune's logger callbacks a sweep turns on (``search.tracking`` builds them).

```
[tracking]
tensorboard = true                                   # event files in every trial folder (Ray's default)
mlflow = { tracking_uri = "file:/abs/mlruns", experiment_name = "mine" }   # or mlflow = true
wandb = { project = "realign", mode = "offline" }    # or wandb = true (project = experiment.name)
```

An omitted tracker is off (TensorBoard: on, as Ray does by itself); ``true`` turns one on with its
defaults; a table sets its keys. The packages come with ``pip install "realign-search[tracking]"``
(``search.tracking`` refuses a tracker whose package is missing before Ray starts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spaces.errors import ConfigError
from spaces.fields import read as read_fields
from spaces.fields import ruled, table
from spaces.vocab import WANDB_MODES


@dataclass(frozen=True)
class MlflowSettings:
    """``MLflowLoggerCallback``'s arguments: "" = the run folder's own ``mlruns`` / the experiment's name."""

    tracking_uri: str = ruled("", kind=str)  # "file:/path", "sqlite:///mlflow.db", "http://host:5000"
    experiment_name: str = ruled("", kind=str)


@dataclass(frozen=True)
class WandbSettings:
    """``WandbLoggerCallback``'s arguments; "" = the experiment's name. Offline runs need no account."""

    project: str = ruled("", kind=str)
    mode: str = ruled("offline", kind=str, allowed=WANDB_MODES)
    group: str = ruled("", kind=str)


@dataclass(frozen=True)
class TrackingConfig:
    tensorboard: bool = ruled(True, kind=bool)
    mlflow: MlflowSettings | None = None
    wandb: WandbSettings | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tensorboard": self.tensorboard}
        for name in ("mlflow", "wandb"):
            value = getattr(self, name)
            if value is not None:
                out[name] = dict(value.__dict__)
        return out

    @property
    def trackers(self) -> list[str]:
        """The trackers turned on, by name."""
        on = ["tensorboard"] if self.tensorboard else []
        return on + [name for name in ("mlflow", "wandb") if getattr(self, name) is not None]


KEYS = ("tensorboard", "mlflow", "wandb")
_SETTINGS = {"mlflow": MlflowSettings, "wandb": WandbSettings}


def parse_tracking(data: Any) -> TrackingConfig:
    """``[tracking]`` -> ``TrackingConfig``; every refusal names the field."""
    data = table("tracking", data)
    given = read_fields("tracking", TrackingConfig, data)
    out: dict[str, Any] = {}
    if "tensorboard" in given:
        out["tensorboard"] = given["tensorboard"]
    for name, cls in _SETTINGS.items():
        raw = data.get(name)
        if raw is None or raw is False:
            continue
        if raw is True:
            out[name] = cls()
        elif isinstance(raw, dict):
            out[name] = cls(**read_fields(f"tracking.{name}", cls, raw))
        else:
            raise ConfigError(f"tracking.{name}", f"expected true, false or a table, got {raw!r}")
    return TrackingConfig(**out)
