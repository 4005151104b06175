"""The fully resolved description of ONE trial: the contract between ``spaces`` and ``trainables``.

A search space (``spaces.config``) samples parameters; resolving them yields a TrialConfig, which is all
a trainable needs. It round-trips through plain dicts (``to_dict``/``from_dict``) because Ray Tune
ships configs between processes and stores them in result files.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from spaces.errors import ConfigError

MODES = ("none", "before", "joint")
SAMPLING = ("uniform", "proportional")
TASKS = ("pos", "ner", "nli")
WORLDS = ("tiny", "real")
_CODE_LISTS = ("languages", "targets", "sweep_pool")


@dataclass(frozen=True)
class RealignParams:
    """Realignment hyperparameters. Defaults are the paper's, except ``steps`` (the paper ran 24,544)."""

    mode: str = "before"
    lr: float = 2e-5
    temperature: float = 0.1
    steps: int = 200
    batch_size: int = 16
    layer: int = -1  # hidden-state layer to pool; -1 = last encoder layer
    proj_dim: int = 128
    joint_coef: float = 1.0  # weight of the realignment loss in `joint` mode
    sampling: str = "uniform"  # per-step language sampling over the subset
    pairs_per_language: int = 0  # cap on parallel pairs used per language; 0 = all available
    max_length: int = 96


@dataclass(frozen=True)
class FinetuneParams:
    """English fine-tuning: fresh Adam, linear schedule with warm-up, as in the paper."""

    lr: float = 2e-5
    epochs: int = 2
    batch_size: int = 32
    warmup: float = 0.1
    max_length: int = 128
    train_size: int = 0  # cap on English training examples; 0 = all


@dataclass(frozen=True)
class TrialConfig:
    """Everything one trial needs. ``languages`` are canonical catalog codes, already validated."""

    languages: tuple[str, ...] = ()
    world: str = "tiny"
    model: str = "tiny"
    task: str = "pos"
    seed: int = 0
    targets: tuple[str, ...] = ()  # evaluation languages; empty = every language the task has
    realign: RealignParams = field(default_factory=RealignParams)
    finetune: FinetuneParams = field(default_factory=FinetuneParams)
    # What ANY trial of the sweep may realign on (the space's subset.available), so that the `heldout`
    # objective averages the same targets for every trial; empty = every realignable language (a trial
    # outside a sweep). See spaces.targets.
    sweep_pool: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in _CODE_LISTS:
            out[key] = list(getattr(self, key))
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrialConfig:
        """Build from a (possibly partial) dict, refusing unknown keys and out-of-set values."""
        data = dict(data)
        realign = _sub(RealignParams, data.pop("realign", {}) or {}, "realign")
        finetune = _sub(FinetuneParams, data.pop("finetune", {}) or {}, "finetune")
        top = _check_keys(cls, data, "trial")
        cfg = cls(
            **{k: tuple(v) if k in _CODE_LISTS else v for k, v in top.items()},
            realign=realign, finetune=finetune,
        )
        cfg.check()
        return cfg

    def check(self) -> None:
        _choice("trial.world", self.world, WORLDS)
        _choice("trial.task", self.task, TASKS)
        _choice("realign.mode", self.realign.mode, MODES)
        _choice("realign.sampling", self.realign.sampling, SAMPLING)
        if self.realign.mode != "none" and not self.languages:
            raise ConfigError("languages", f"realign.mode={self.realign.mode!r} needs at least one "
                              "realignment language; use mode 'none' for the fine-tuning-only baseline")
        outside = [code for code in self.languages if self.sweep_pool and code not in self.sweep_pool]
        if outside:
            raise ConfigError("languages", f"{', '.join(outside)} lie outside the sweep's pool (sweep_pool), "
                              "whose complement the 'heldout' objective scores as never realigned on",
                              self.sweep_pool)


def _check_keys(cls: type, data: dict[str, Any], where: str) -> dict[str, Any]:
    allowed = [f.name for f in fields(cls)]
    for key in data:
        if key not in allowed:
            raise ConfigError(f"{where}.{key}", "unknown key", allowed)
    return data


def _sub(cls: type, data: dict[str, Any], where: str):
    return cls(**_check_keys(cls, dict(data), where))


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(name, f"{value!r} is not allowed", allowed)
