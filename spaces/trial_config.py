"""The fully resolved description of ONE trial: the contract between ``spaces`` and ``trainables``.

A search space (``spaces.config``) samples parameters; resolving them yields a TrialConfig, which is all
a trainable needs. It round-trips through plain dicts (``to_dict``/``from_dict``) because Ray Tune
ships configs between processes and stores them in result files.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from spaces.defaults import PAPER_LAYER, UNSET_FIELDS, unset_defaults
from spaces.errors import ConfigError

MODES = ("none", "before", "joint")
SAMPLING = ("uniform", "proportional")
BATCHING = ("mixed", "per_language")
POOLING = ("mean", "first_subword", "paper_prefix")
TASKS = ("pos", "ner", "nli")
WORLDS = ("tiny", "real")
_CODE_LISTS = ("languages", "targets", "sweep_pool", "seeds")  # tuples here, lists in dicts


@dataclass(frozen=True)
class RealignParams:
    """Realignment hyperparameters. Defaults are the paper's, except ``steps`` (the paper ran 24,544).

    ``None`` means "unset": ``TrialConfig`` fills it from ``spaces.defaults`` for its model.
    """

    mode: str = "before"
    lr: float | None = None  # unset: 2e-5 mBERT, 7.5e-6 XLM-R, 1e-3 tiny
    temperature: float = 0.1
    steps: int = 200
    batch_size: int = 16
    layer: int = PAPER_LAYER  # hidden_states index: 0 = embeddings, -1 = last layer, -2 = the paper's
    proj_dim: int = 128
    joint_coef: float = 1.0  # weight of the realignment loss in `joint` mode
    sampling: str = "uniform"  # language weights over the subset: uniform (paper) | proportional to data
    pairs_per_language: int = 0  # cap on parallel pairs used per language; 0 = all available
    max_length: int = 96
    batching: str = "mixed"  # mixed: a language per pair (paper) | per_language: one language per batch
    pooling: str = "mean"  # mean: every real subword | first_subword | paper_prefix (trainables.realign)


@dataclass(frozen=True)
class FinetuneParams:
    """English fine-tuning: fresh Adam, linear schedule with warm-up, as in the paper.

    ``None`` means "unset": ``TrialConfig`` fills it from ``spaces.defaults`` for its model and task.
    """

    lr: float | None = None  # unset: 2e-5 mBERT, 7.5e-6 XLM-R, 1e-3 tiny
    epochs: int | None = None  # unset: 2 NLI, 5 NER / PoS; 2 for the tiny encoder
    batch_size: int = 32
    warmup: float = 0.1
    max_length: int = 96  # training examples, in subword tokens
    train_size: int = 0  # cap on English training examples; 0 = all
    eval_max_length: int | None = None  # test examples; unset: 128 tagging, 256 NLI


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
    seeds: tuple[int, ...] = ()  # run once per seed and report the mean (trainables.multiseed); () = `seed`

    def __post_init__(self) -> None:
        """Unset (``None``) hyperparameters take the paper's value for this model and task."""
        defaults = unset_defaults(self.model, self.task)
        for section, names in UNSET_FIELDS.items():
            params = getattr(self, section)
            missing = {name: defaults[section][name] for name in names if getattr(params, name) is None}
            if missing:
                object.__setattr__(self, section, replace(params, **missing))
        if self.seeds:
            object.__setattr__(self, "seeds", tuple(self.seeds))

    @property
    def seed_list(self) -> tuple[int, ...]:
        """The seeds this trial runs: ``seeds`` when given, else just ``seed``."""
        return self.seeds or (self.seed,)

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
        _choice("realign.batching", self.realign.batching, BATCHING)
        _choice("realign.pooling", self.realign.pooling, POOLING)
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError("seeds", f"duplicate seeds in {list(self.seeds)}")
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
