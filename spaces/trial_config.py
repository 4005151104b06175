"""The fully resolved description of ONE trial: the contract between ``spaces`` and ``trainables``.

A search space (``spaces.config``) samples parameters; resolving them yields a TrialConfig, which is all
a trainable needs. It round-trips through plain dicts (``to_dict``/``from_dict``) because Ray Tune
ships configs between processes and stores them in result files.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from spaces.defaults import PAPER_LAYER, UNSET_FIELDS, unset_defaults
from spaces.errors import ConfigError
from spaces.fields import Bound, capped, ruled, rules, table
from spaces.vocab import BATCHING, POOLING, REALIGN_MODES, SAMPLING, TASKS, WORLDS

_CODE_LISTS = ("languages", "targets", "sweep_pool", "seeds")  # tuples here, lists in dicts
_POSITIVE = Bound("> 0", lambda v: v > 0)
_NATURAL = Bound(">= 0", lambda v: v >= 0)
_LENGTH = Bound(">= 8", lambda v: v >= 8, maximum=8192)  # subwords per sequence (mBERT / XLM-R take 512)
_SIZE_MAX = 65536  # batch sizes, projection width


@dataclass(frozen=True)
class RealignParams:
    """Realignment hyperparameters. Defaults are the paper's, except ``steps`` (the paper ran 24,544).

    ``None`` means "unset": ``TrialConfig`` fills it from ``spaces.defaults`` for its model. Each field's
    rule is the domain a search space may range over (``spaces.fields``).
    """

    mode: str = ruled("before", kind=str, allowed=REALIGN_MODES)
    lr: float | None = ruled(None, kind=float, bound=_POSITIVE)  # unset: 2e-5 mBERT, 7.5e-6 XLM-R, 1e-3 tiny
    temperature: float = ruled(0.1, kind=float, bound=_POSITIVE)
    steps: int = ruled(200, kind=int, bound=capped(_NATURAL, 10**7))  # the paper ran 24,544
    batch_size: int = ruled(
        16, kind=int, bound=Bound(">= 2 (the loss contrasts pairs within a batch)", lambda v: v >= 2, maximum=_SIZE_MAX)
    )
    # hidden_states index: 0 = embeddings, -1 = last layer, -2 = the paper's
    layer: int = ruled(
        PAPER_LAYER,
        kind=int,
        bound=Bound("-1000..1000; negative counts from the last layer", lambda v: v >= -1000, maximum=1000),
    )
    proj_dim: int = ruled(128, kind=int, bound=Bound(">= 1", lambda v: v >= 1, maximum=_SIZE_MAX))
    joint_coef: float = ruled(1.0, kind=float, bound=_NATURAL)  # weight of the realignment loss in `joint` mode
    # language weights over the subset: uniform (paper) | proportional to data
    sampling: str = ruled("uniform", kind=str, allowed=SAMPLING)
    # cap on parallel pairs used per language; 0 = all available
    pairs_per_language: int = ruled(
        0, kind=int, bound=Bound(">= 0 (0 = all available)", lambda v: v >= 0, maximum=10**9)
    )
    max_length: int = ruled(96, kind=int, bound=_LENGTH)
    # mixed: a language per pair (paper) | per_language: one language per batch
    batching: str = ruled("mixed", kind=str, allowed=BATCHING)
    # mean: every real subword | first_subword | paper_prefix (trainables.realign)
    pooling: str = ruled("mean", kind=str, allowed=POOLING)


@dataclass(frozen=True)
class FinetuneParams:
    """English fine-tuning: fresh Adam, linear schedule with warm-up, as in the paper.

    ``None`` means "unset": ``TrialConfig`` fills it from ``spaces.defaults`` for its model and task.
    """

    lr: float | None = ruled(None, kind=float, bound=_POSITIVE)  # unset: 2e-5 mBERT, 7.5e-6 XLM-R, 1e-3 tiny
    # unset: 2 NLI, 5 NER/PoS; 2 tiny
    epochs: int | None = ruled(None, kind=int, bound=Bound(">= 1", lambda v: v >= 1, maximum=10**4))
    batch_size: int = ruled(32, kind=int, bound=Bound(">= 1", lambda v: v >= 1, maximum=_SIZE_MAX))
    warmup: float = ruled(0.1, kind=float, bound=Bound("between 0 and 1", lambda v: 0 <= v <= 1))
    max_length: int = ruled(96, kind=int, bound=_LENGTH)  # training examples, in subword tokens
    # English examples; 0 = all
    train_size: int = ruled(0, kind=int, bound=Bound(">= 0 (0 = all)", lambda v: v >= 0, maximum=10**9))
    eval_max_length: int | None = ruled(None, kind=int, bound=_LENGTH)  # test examples; unset: 128 tagging, 256 NLI


@dataclass(frozen=True)
class TrialConfig:
    """Everything one trial needs. ``languages`` are canonical catalog codes, already validated."""

    languages: tuple[str, ...] = ruled((), kind=str, many=True)
    world: str = ruled("tiny", kind=str, allowed=WORLDS)
    model: str = ruled("tiny", kind=str)
    task: str = ruled("pos", kind=str, allowed=TASKS)
    seed: int = ruled(0, kind=int)
    # evaluation languages; empty = every language the task has
    targets: tuple[str, ...] = ruled((), kind=str, many=True)
    realign: RealignParams = ruled(factory=RealignParams, kind=RealignParams)
    finetune: FinetuneParams = ruled(factory=FinetuneParams, kind=FinetuneParams)
    # What ANY trial of the sweep may realign on (the space's subset.available), so that the `heldout`
    # objective averages the same targets for every trial; empty = every realignable language (a trial
    # outside a sweep). See spaces.targets.
    sweep_pool: tuple[str, ...] = ruled((), kind=str, many=True)
    # run once per seed and report the mean (trainables.multiseed); () = `seed`
    seeds: tuple[int, ...] = ruled((), kind=int, many=True)

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
        """Build from a (possibly partial) dict, refusing unknown keys, values of the wrong type and
        out-of-set names (top-level fields are named bare: ``languages``, ``realign.steps``)."""
        values = check_types(data)
        cfg = cls(
            **{name: _section(name, value) if isinstance(value, dict) else value for name, value in values.items()}
        )
        cfg.check()
        return cfg

    def check(self) -> None:
        check_types(_shallow(self))
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError("seeds", f"duplicate seeds in {list(self.seeds)}")
        if self.realign.mode != "none" and not self.languages:
            raise ConfigError(
                "languages",
                f"realign.mode={self.realign.mode!r} needs at least one "
                "realignment language; use mode 'none' for the fine-tuning-only baseline",
            )
        outside = [code for code in self.languages if self.sweep_pool and code not in self.sweep_pool]
        if outside:
            raise ConfigError(
                "languages",
                f"{', '.join(outside)} lie outside the sweep's pool (sweep_pool), "
                "whose complement the 'heldout' objective scores as never realigned on",
                self.sweep_pool,
            )


def check_types(data: dict[str, Any]) -> dict[str, Any]:
    """A trial's fields (``TrialConfig.to_dict()`` form; sections as tables) checked against their rules:
    types and closed sets, not the search-space bounds (a trial may go outside any space)."""
    out: dict[str, Any] = {}
    top = rules(TrialConfig)
    for name, value in table("trial", data).items():
        if name not in top:
            raise ConfigError(name, "unknown key", list(top))
        kind = top[name].kind
        if kind in (RealignParams, FinetuneParams):
            section = rules(kind)
            out[name] = {}
            for key, item in table(name, value).items():
                if key not in section:
                    raise ConfigError(f"{name}.{key}", "unknown key", list(section))
                out[name][key] = (
                    item
                    if item is None and key in UNSET_FIELDS[name]
                    else section[key].check(f"{name}.{key}", item, bounds=False)
                )
        else:
            out[name] = top[name].check(name, value, bounds=False)
    return out


def _section(name: str, values: dict[str, Any]) -> RealignParams | FinetuneParams:
    return (RealignParams if name == "realign" else FinetuneParams)(**values)


def _shallow(trial: TrialConfig) -> dict[str, Any]:
    """The fields of ``trial`` as ``check_types`` reads them (sections as tables)."""
    return {
        f.name: asdict(getattr(trial, f.name)) if f.name in ("realign", "finetune") else getattr(trial, f.name)
        for f in fields(trial)
    }


def read_trial_file(path: Path) -> TrialConfig:
    """A trial file (``.toml`` or ``.json``: top-level ``TrialConfig`` keys plus ``[realign]`` and
    ``[finetune]``) as a TrialConfig, its language codes made canonical; every problem is a ConfigError."""
    if not path.is_file():
        raise ConfigError("--config", f"{path} does not exist or is not a file")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            raise ConfigError("--config", f"unsupported file type {path.suffix!r}", [".toml", ".json"])
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as err:
        raise ConfigError("--config", f"{path} is not valid {path.suffix[1:].upper()}: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError("--config", f"{path} must hold a table of trial keys")
    check_types(data)
    from spaces.catalog import load_catalog

    catalog = load_catalog()  # canonical codes, so realigned-on and held-out targets are recognised
    for key in ("languages", "targets", "sweep_pool"):
        if key in data:
            data[key] = catalog.resolve(data[key], key)
    return TrialConfig.from_dict(data)
