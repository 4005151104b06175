"""Declarative search spaces: a TOML file becomes a typed, validated ``SearchConfig``.

Why a separate layer: a sweep can run for days on a cluster, so every mistake a user can make in the
file (a typo'd key, an unknown language, a range with low >= high, a size bound the pool cannot meet)
must be refused *before* Ray starts, with the field named and the allowed values listed. After
``parse_search_config`` succeeds, every trial the sampler can produce satisfies the subset constraints.

The format (``spaces/data/default.toml`` is its commented reference):

* ``[experiment]`` what is trained and evaluated (trainable, world, model, task, seed, targets);
* ``[subset]`` how a language subset is encoded and constrained;
* ``[realign]`` / ``[finetune]`` one entry per field of ``RealignParams`` / ``FinetuneParams``:
  a scalar is a fixed value, a list is a categorical choice, a table ``{low, high, log, step}`` is a
  range (float for float fields, int for int fields);
* ``[search]`` (and ``[search.asha]``) how Ray Tune + Optuna drive the sweep.

Ray 2.60's ``OptunaSearch`` and define-by-run, as read in
``ray/tune/search/optuna/optuna_search.py`` (installed version):
  * ``space`` may be a callable taking an ``optuna.Trial``; Ray wraps the trial in a captor that
    records every ``suggest_*`` value under its name, calls the function, and — if it returns a dict
    (``str`` keys only, else TypeError) — merges ``{**captured, **returned}``; then it returns
    ``unflatten_dict(params)`` which splits keys on ``"/"``. So ``realign/lr`` reaches the trainable as
    ``config["realign"]["lr"]``, ``lang/de`` as ``config["lang"]["de"]``, and a returned constant
    ``"languages"`` (no slash) stays top level. Constants are not recorded in the Optuna study, only in
    Ray's trial config/results.
  * ``points_to_evaluate`` are passed to ``study.enqueue_trial(point)``; the enqueued values are used
    by the matching ``suggest_*`` calls (a value outside the distribution is ignored with a warning),
    and for a callable space the point-length check is skipped, so a point names only the parameters
    that are actually suggested (conditional ones included only when their condition holds).
  * ``OptunaSearch.save`` pickles its ``__dict__`` with plain ``pickle`` (used by ``Tuner.restore``),
    so the space must be picklable: ``define_by_run`` returns an instance of a module-level class, not
    a closure, and ``SearchConfig`` keeps the pool filter as text (``PoolFilter`` holds lambdas).
  * A define-by-run function slower than 1 s triggers a warning, so heuristic selections are memoised.
"""

from __future__ import annotations

import json
import math
import random
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spaces.catalog import TINY_MODEL, load_catalog
from spaces.defaults import MODEL_ALIASES, REAL_MODELS, unset_defaults
from spaces.errors import ConfigError
from spaces.paper import PREFIX as PAPER_PREFIX
from spaces.paper import PaperList, canonical, is_paper, lists_of, paper_names, sizes
from spaces.pool import parse_pool
from spaces.targets import OBJECTIVE_GROUPS, check_objective
from spaces.trial_config import (BATCHING, MODES, POOLING, SAMPLING, TASKS, WORLDS, FinetuneParams, RealignParams,
                                 TrialConfig)

if TYPE_CHECKING:  # optuna is imported lazily: parsing a config must not pay its import cost
    import optuna

# Mirrors trainables.registry.TRAINABLES; `spaces` may not import `trainables` (see
# docs/ARCHITECTURE.md), and tests/test_config.py asserts the copies agree.
TRAINABLES = ("realign", "published", "proxy")
# Objectives: the fixed target groups of spaces.targets (never a subset-dependent view) and the costs.
OBJECTIVE_METRICS = (*OBJECTIVE_GROUPS, "n_languages", "n_pairs")
OBJECTIVE_MODES = ("max", "min")
ENCODINGS = ("mask", "strategy", "lists")
SAMPLERS = ("tpe", "nsga2", "random")
# Which finished trials keep their model weights (no optimizer state): the Pareto front's, every one's, none.
KEEP_MODELS = ("front", "all", "none")
SUBSET_PARAMS = ("size", "strategy", "seed")
DEFAULT_STRATEGIES = ("most_uriel_en", "least_uriel_en", "most_family_en", "most_distinct_script", "random")
SECTIONS = ("experiment", "subset", "realign", "finetune", "search")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_RDB_URL = re.compile(r"^[a-z][a-z0-9+]*://")
_RANGE_KEYS = ("low", "high", "log", "step")


# ----------------------------------------------------------------------------------------------
# Parameter specs ([realign] / [finetune])
# ----------------------------------------------------------------------------------------------

# Domain of each hyperparameter, checked on fixed values, choices and both range bounds alike.
# (description shown to the user, predicate)
_NUMERIC_DOMAINS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "realign.lr": ("> 0", lambda v: v > 0),
    "realign.temperature": ("> 0", lambda v: v > 0),
    "realign.steps": (">= 0", lambda v: v >= 0),
    "realign.batch_size": (">= 2 (the loss contrasts pairs within a batch)", lambda v: v >= 2),
    "realign.layer": ("any integer; negative counts from the last layer", lambda v: True),
    "realign.proj_dim": (">= 1", lambda v: v >= 1),
    "realign.joint_coef": (">= 0", lambda v: v >= 0),
    "realign.pairs_per_language": (">= 0 (0 = all available)", lambda v: v >= 0),
    "realign.max_length": (">= 8", lambda v: v >= 8),
    "finetune.lr": ("> 0", lambda v: v > 0),
    "finetune.epochs": (">= 1", lambda v: v >= 1),
    "finetune.batch_size": (">= 1", lambda v: v >= 1),
    "finetune.warmup": ("between 0 and 1", lambda v: 0 <= v <= 1),
    "finetune.max_length": (">= 8", lambda v: v >= 8),
    "finetune.train_size": (">= 0 (0 = all)", lambda v: v >= 0),
    "finetune.eval_max_length": (">= 8", lambda v: v >= 8),
}
_STRING_DOMAINS: dict[str, tuple[str, ...]] = {"realign.mode": MODES, "realign.sampling": SAMPLING,
                                               "realign.batching": BATCHING, "realign.pooling": POOLING}


@dataclass(frozen=True)
class ParamSpec:
    """One hyperparameter: fixed, a categorical choice, or an int/float range (optionally log/step).

    ``name`` is the Optuna/Ray parameter name (``realign/lr``); ``preferred`` is the TrialConfig
    default, used for warm-start points when the space contains it.
    """

    name: str
    kind: str  # "fixed" | "choice" | "int" | "float"
    value: Any = None
    choices: tuple[Any, ...] = ()
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    step: float | int | None = None
    preferred: Any = None

    @property
    def sampled(self) -> bool:
        return self.kind != "fixed"

    @property
    def field_name(self) -> str:
        return self.name.split("/", 1)[1]

    def suggest(self, trial: optuna.Trial) -> Any:
        if self.kind == "fixed":
            return self.value
        if self.kind == "choice":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high),
                                     step=int(self.step or 1), log=self.log)
        return trial.suggest_float(self.name, float(self.low), float(self.high), step=self.step, log=self.log)

    def contains(self, value: Any) -> bool:
        if self.kind == "fixed":
            return value == self.value
        if self.kind == "choice":
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if not self.low <= value <= self.high:
            return False
        if self.step:
            k = (value - self.low) / self.step
            return math.isclose(k, round(k), abs_tol=1e-9)
        return self.kind == "float" or float(value).is_integer()

    def default(self) -> Any:
        """The TrialConfig default when the space contains it, else the first choice / the midpoint
        (geometric for log ranges, snapped to ``step``)."""
        if self.kind == "fixed":
            return self.value
        if self.preferred is not None and self.contains(self.preferred):
            return self.preferred
        if self.kind == "choice":
            return self.choices[0]
        mid = math.sqrt(self.low * self.high) if self.log else (self.low + self.high) / 2
        if self.step:
            mid = self.low + round((mid - self.low) / self.step) * self.step
            mid = min(mid, self.high)
        if self.kind == "int":
            return int(round(mid))
        return float(mid)

    def extremes(self) -> tuple[Any, Any]:
        """Smallest and largest value the spec can produce (numeric specs)."""
        if self.kind == "fixed":
            return self.value, self.value
        if self.kind == "choice":
            return min(self.choices), max(self.choices)
        return self.low, self.high

    def to_toml(self) -> Any:
        if self.kind == "fixed":
            return self.value
        if self.kind == "choice":
            return list(self.choices)
        table: dict[str, Any] = {"low": self.low, "high": self.high, "log": self.log}
        if self.step is not None:
            table["step"] = self.step
        return table


@dataclass(frozen=True)
class ParamSpace:
    """The specs of one section (``realign`` or ``finetune``), one per TrialConfig field, in field order."""

    section: str
    params: tuple[ParamSpec, ...]

    def get(self, field_name: str) -> ParamSpec:
        for spec in self.params:
            if spec.field_name == field_name:
                return spec
        raise KeyError(field_name)

    def sampled(self) -> list[ParamSpec]:
        return [spec for spec in self.params if spec.sampled]

    def to_dict(self) -> dict[str, Any]:
        return {spec.field_name: spec.to_toml() for spec in self.params}


def _scalar(where: str, kind: type, value: Any, shown: str | None = None) -> Any:
    """Type-check one value of hyperparameter field ``where`` against its domain; errors name ``shown``
    (e.g. ``realign.lr.low``) when given."""
    domain_key, where = where, shown or where
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(where, f"expected a string, got {value!r}", _STRING_DOMAINS.get(domain_key))
        allowed = _STRING_DOMAINS.get(domain_key)
        if allowed is not None and value not in allowed:
            raise ConfigError(where, f"{value!r} is not allowed", allowed)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(where, f"expected {'an integer' if kind is int else 'a number'}, got {value!r}")
    if kind is int and not isinstance(value, int):
        raise ConfigError(where, f"expected an integer, got {value!r}")
    value = kind(value)
    description, ok = _NUMERIC_DOMAINS[domain_key]
    if not ok(value):
        raise ConfigError(where, f"{value!r} is out of range", [description])
    return value


def _range(where: str, name: str, kind: type, table: Mapping[str, Any], preferred: Any) -> ParamSpec:
    for key in table:
        if key not in _RANGE_KEYS:
            raise ConfigError(f"{where}.{key}", "unknown key in a range table", _RANGE_KEYS)
    if kind is str:
        raise ConfigError(where, "a range {low, high} needs a numeric field; give a list of choices",
                          _STRING_DOMAINS.get(where))
    for key in ("low", "high"):
        if key not in table:
            raise ConfigError(where, f"a range table needs '{key}'", _RANGE_KEYS)
    low = _scalar(where, kind, table["low"], shown=f"{where}.low")
    high = _scalar(where, kind, table["high"], shown=f"{where}.high")
    log = table.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{where}.log", f"expected true or false, got {log!r}", ["true", "false"])
    if low >= high:
        raise ConfigError(where, f"low ({low}) must be smaller than high ({high})")
    if log and low <= 0:
        raise ConfigError(where, f"a log range needs low > 0, got {low}")
    step = table.get("step")
    if step is not None:
        if isinstance(step, bool) or not isinstance(step, (int, float)) or step <= 0 \
                or (kind is int and not isinstance(step, int)):
            raise ConfigError(f"{where}.step", f"expected a positive {'integer' if kind is int else 'number'},"
                              f" got {step!r}")
        if log:
            raise ConfigError(f"{where}.step", "Optuna cannot combine log=true with a step; drop one")
        k = (high - low) / step
        if not math.isclose(k, round(k), abs_tol=1e-9):
            raise ConfigError(f"{where}.step", f"high - low ({high - low}) must be a multiple of step ({step})")
        step = kind(step)
    return ParamSpec(name=name, kind="int" if kind is int else "float", low=low, high=high, log=log,
                     step=step, preferred=preferred)


def _param(section: str, field_name: str, raw: Any, preferred: Any) -> ParamSpec:
    where = f"{section}.{field_name}"
    name = f"{section}/{field_name}"
    kind = type(preferred)
    if isinstance(raw, Mapping):
        return _range(where, name, kind, raw, preferred)
    if isinstance(raw, list):
        if not raw:
            raise ConfigError(where, "an empty list of choices", _STRING_DOMAINS.get(where))
        choices = tuple(_scalar(where, kind, item) for item in raw)
        if len(set(choices)) != len(choices):
            raise ConfigError(where, f"duplicate choices in {list(raw)!r}")
        return ParamSpec(name=name, kind="choice", choices=choices, preferred=preferred)
    return ParamSpec(name=name, kind="fixed", value=_scalar(where, kind, raw), preferred=preferred)


def _param_space(section: str, params_cls: type, data: Any, experiment: ExperimentConfig) -> ParamSpace:
    """The section's specs; an omitted key is fixed at its default, model/task-dependent ones resolved
    for the experiment's model and task (``spaces.defaults``), so the parsed space shows numbers."""
    data = _table(section, data)
    defaults = replace(params_cls(), **unset_defaults(experiment.model, experiment.task)[section])
    allowed = [f.name for f in fields(params_cls)]
    _known_keys(section, data, allowed)
    specs = tuple(
        _param(section, name, data[name], getattr(defaults, name)) if name in data
        else ParamSpec(name=f"{section}/{name}", kind="fixed", value=getattr(defaults, name),
                       preferred=getattr(defaults, name))
        for name in allowed
    )
    return ParamSpace(section=section, params=specs)


# ----------------------------------------------------------------------------------------------
# Sections
# ----------------------------------------------------------------------------------------------


class _PlainDict:
    """``to_dict``: the dataclass as TOML/JSON-ready data (tuples become lists)."""

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))  # type: ignore[call-overload]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


@dataclass(frozen=True)
class ExperimentConfig(_PlainDict):
    """What one trial trains and evaluates; shared by every trial of the sweep."""

    name: str = "realign-search"
    trainable: str = "realign"
    world: str = "tiny"
    model: str = TINY_MODEL
    task: str = "pos"
    seed: int = 0
    targets: tuple[str, ...] = ()  # evaluation languages; empty = every language the task has
    seeds: tuple[int, ...] = ()  # every trial runs once per seed and reports the mean; () = just `seed`



@dataclass(frozen=True)
class SubsetConfig(_PlainDict):
    """How the realignment subset is encoded and constrained.

    ``available`` = the pool filter's languages minus ``must_exclude`` and ``held_out``: what any trial
    of the sweep may realign on, carried by every trial as ``TrialConfig.sweep_pool`` (its complement is
    the ``heldout`` target group); ``free`` = the available languages the sampler decides about
    (``available`` minus ``must_include``, which must lie in the pool, as ``spaces.heuristics.select``
    requires of its ``include``). ``strategies`` are computed heuristics or ``paper:<name>`` lists
    (``spaces.paper``); ``choices`` adds the paper twins the strategy encoding samples too.
    """

    encoding: str = "strategy"
    pool: str | tuple[str, ...] = "all"
    strategies: tuple[str, ...] = DEFAULT_STRATEGIES
    min_languages: int = 1
    max_languages: int = 0  # parse_search_config resolves an omitted bound to the number available
    must_include: tuple[str, ...] = ()
    must_exclude: tuple[str, ...] = ()
    held_out: tuple[str, ...] = ()
    max_pairs: int = 0  # 0 = no cap on sum over languages of realign.pairs_per_language
    seeds: int = 100  # `random` strategy: subset/seed is sampled from range(seeds)
    lists: tuple[tuple[str, tuple[str, ...]], ...] = ()  # "lists" encoding: (name, codes), in file order

    def to_dict(self) -> dict[str, Any]:
        out = _plain(asdict(self))
        out["lists"] = {name: list(codes) for name, codes in self.lists}
        return out

    def named_list(self, name: str) -> tuple[str, ...]:
        for known, codes in self.lists:
            if known == name:
                return codes
        raise ConfigError("subset/list", f"{name!r} is not in subset.lists", [n for n, _ in self.lists])

    @cached_property
    def available(self) -> tuple[str, ...]:
        blocked = set(self.must_exclude) | set(self.held_out)
        return tuple(code for code in parse_pool(self.pool).languages() if code not in blocked)

    @cached_property
    def free(self) -> tuple[str, ...]:
        return tuple(code for code in self.available if code not in self.must_include)

    @property
    def lower(self) -> int:
        """Smallest subset any trial may realign on."""
        return max(self.min_languages, len(self.must_include))

    def upper(self, pairs_per_language: int) -> int:
        """Largest subset for a trial: ``max_languages``, and with ``max_pairs`` set, the most languages
        whose pairs fit: n_pairs = n_languages * pairs_per_language <= max_pairs."""
        if self.max_pairs and pairs_per_language > 0:
            return min(self.max_languages, self.max_pairs // pairs_per_language)
        return self.max_languages

    def paper_options(self, strategy: str) -> list[PaperList]:
        """The lists of paper strategy ``strategy`` that this space allows as they are: inside the
        available languages, holding every must_include, at a size within [lower, max_languages]."""
        return [p for p in lists_of(strategy) if self.lower <= p.size <= self.max_languages
                and p.fits(self.available, self.must_include)]

    @cached_property
    def choices(self) -> tuple[str, ...]:
        """What the strategy encoding samples as ``subset/strategy``: ``strategies``, plus the paper twin
        ``paper:<s>`` of every computed strategy ``s`` the paper ran with a list this space allows, so a
        warm start (or a sampled trial) can realign on the paper's exact list at the paper's sizes."""
        twins = [PAPER_PREFIX + s for s in self.strategies
                 if not is_paper(s) and s != "all" and PAPER_PREFIX + s in paper_names()
                 and PAPER_PREFIX + s not in self.strategies and self.paper_options(PAPER_PREFIX + s)]
        return (*self.strategies, *twins)



@dataclass(frozen=True)
class AshaConfig(_PlainDict):
    """Optional ASHA early stopping on an intermediate aggregate (scores: higher is better)."""

    enabled: bool = False
    grace_period: int = 1
    reduction_factor: float = 2.0
    metric: str = "unseen_lrl"



@dataclass(frozen=True)
class SearchSettings(_PlainDict):
    """How the sweep runs. ``objectives`` are ``metric:mode`` strings (see ``metrics``/``modes``)."""

    sampler: str = "tpe"
    objectives: tuple[str, ...] = ("unseen_lrl:max", "n_languages:min")
    num_samples: int = 24
    max_concurrent: int = 2
    warm_start: bool = True
    warm_start_sizes: tuple[int, ...] = (5, 10, 20, 40)
    asha: AshaConfig = field(default_factory=AshaConfig)
    cpus_per_trial: float = 1.0
    gpus_per_trial: float = 0.0
    time_budget_s: float = 0.0  # 0 = none
    storage_path: str = "~/realign-search-runs"
    optuna_storage: str = ""  # "" = in-memory study; else an RDB URL such as sqlite:///study.db
    max_failures: int = 0
    seed: int = 0
    keep_models: str = "front"  # see KEEP_MODELS

    @property
    def metrics(self) -> list[str]:
        return [objective.split(":")[0] for objective in self.objectives]

    @property
    def modes(self) -> list[str]:
        return [objective.split(":")[1] for objective in self.objectives]



@dataclass(frozen=True)
class SearchConfig:
    """A validated search space. ``to_dict()`` round-trips through ``parse_search_config``."""

    experiment: ExperimentConfig
    subset: SubsetConfig
    realign: ParamSpace
    finetune: ParamSpace
    search: SearchSettings
    source: str = field(default="<dict>", compare=False)

    def specs(self) -> list[ParamSpec]:
        return [*self.realign.params, *self.finetune.params]

    def to_dict(self) -> dict[str, Any]:
        return {"experiment": self.experiment.to_dict(), "subset": self.subset.to_dict(),
                "realign": self.realign.to_dict(), "finetune": self.finetune.to_dict(),
                "search": self.search.to_dict()}


# ----------------------------------------------------------------------------------------------
# Parsing
# ----------------------------------------------------------------------------------------------


def _table(where: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(where, f"expected a table, got {value!r}")
    return dict(value)


def _known_keys(where: str, data: Mapping[str, Any], allowed: Sequence[str]) -> None:
    for key in data:
        if key not in allowed:
            raise ConfigError(f"{where}.{key}" if where else key, "unknown key", allowed)


def _get_str(where: str, value: Any, allowed: Sequence[str] | None = None) -> str:
    if not isinstance(value, str):
        raise ConfigError(where, f"expected a string, got {value!r}", allowed)
    if allowed is not None and value not in allowed:
        raise ConfigError(where, f"{value!r} is not allowed", allowed)
    return value


def _get_int(where: str, value: Any, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(where, f"expected an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(where, f"{value} is too small", [f">= {minimum}"])
    return value


def _get_float(where: str, value: Any, minimum: float = 0.0, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(where, f"expected a number, got {value!r}")
    if value < minimum or (strict and value == minimum):
        raise ConfigError(where, f"{value} is out of range", [f"{'>' if strict else '>='} {minimum}"])
    return float(value)


def _get_bool(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(where, f"expected true or false, got {value!r}", ["true", "false"])
    return value


def _get_list(where: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(where, f"expected a list, got {value!r}")
    return value


def _codes(where: str, value: Any) -> tuple[str, ...]:
    items = _get_list(where, value)
    for item in items:
        _get_str(where, item)
    return tuple(load_catalog().resolve(items, where))


def _parse_experiment(data: Any) -> ExperimentConfig:
    data = _table("experiment", data)
    d = ExperimentConfig()
    _known_keys("experiment", data, [f.name for f in fields(ExperimentConfig)])
    name = _get_str("experiment.name", data.get("name", d.name))
    if not _NAME.match(name):
        raise ConfigError("experiment.name", f"{name!r} is not usable as a folder name",
                          ["letters, digits, '.', '_', '-' (not first)"])
    trainable = _get_str("experiment.trainable", data.get("trainable", d.trainable), TRAINABLES)
    world = _get_str("experiment.world", data.get("world", d.world), WORLDS)
    model = _get_str("experiment.model", data.get("model", d.model))
    model = MODEL_ALIASES.get(model, model)
    if trainable == "realign" and world == "tiny":
        allowed_models: tuple[str, ...] = (TINY_MODEL,)
    else:  # the real stack, and the published/proxy fidelities, know only the paper's two encoders
        allowed_models = (*REAL_MODELS, *MODEL_ALIASES)
    if model not in allowed_models:
        raise ConfigError("experiment.model", f"{model!r} is not available for trainable={trainable!r}, "
                          f"world={world!r}", allowed_models)
    task = _get_str("experiment.task", data.get("task", d.task), TASKS)
    seed = _get_int("experiment.seed", data.get("seed", d.seed))
    seeds = tuple(_get_int("experiment.seeds", v) for v in _get_list("experiment.seeds", data.get("seeds", [])))
    if len(set(seeds)) != len(seeds):
        raise ConfigError("experiment.seeds", f"duplicate seeds in {list(seeds)}")
    if seeds and "seed" in data and seed != seeds[0]:
        raise ConfigError("experiment.seed", f"seed = {seed} disagrees with seeds = {list(seeds)}; give only "
                          "seeds (a trial runs every seed; subset repair uses the first)", [seeds[0]])
    if seeds:
        seed = seeds[0]
    targets = _codes("experiment.targets", data.get("targets", []))
    return ExperimentConfig(name=name, trainable=trainable, world=world, model=model, task=task,
                            seed=seed, targets=targets, seeds=seeds)


def _strategies() -> tuple[str, ...]:
    from spaces.heuristics import STRATEGIES

    return tuple(STRATEGIES)


def _parse_strategy(value: Any) -> str:
    """A computed strategy, or ``paper:<name>`` in its canonical spelling."""
    text = _get_str("subset.strategies", value)
    if is_paper(text):
        return canonical(text, "subset.strategies")
    return _get_str("subset.strategies", text, (*_strategies(), "paper:<name>"))


def _parse_subset(data: Any, realign: ParamSpace) -> SubsetConfig:
    data = _table("subset", data)
    d = SubsetConfig()
    _known_keys("subset", data, [f.name for f in fields(SubsetConfig)])
    catalog = load_catalog()
    encoding = _get_str("subset.encoding", data.get("encoding", d.encoding), ENCODINGS)
    raw_pool = data.get("pool", d.pool)
    if isinstance(raw_pool, list):
        pool: str | tuple[str, ...] = tuple(_get_str("subset.pool", p) for p in raw_pool)
    else:
        pool = _get_str("subset.pool", raw_pool)
    pool_filter = parse_pool(pool, field="subset.pool")  # refuses unknown terms and empty filters

    known = (*_strategies(), "paper:<name>")
    strategies = tuple(_parse_strategy(s)
                       for s in _get_list("subset.strategies", data.get("strategies", list(d.strategies))))
    if not strategies:
        raise ConfigError("subset.strategies", "needs at least one strategy", known)
    if len(set(strategies)) != len(strategies):
        raise ConfigError("subset.strategies", f"duplicate strategies in {list(strategies)!r}", known)

    must_include = _codes("subset.must_include", data.get("must_include", []))
    must_exclude = _codes("subset.must_exclude", data.get("must_exclude", []))
    held_out = _codes("subset.held_out", data.get("held_out", []))
    pool_codes = pool_filter.languages()
    for code in must_include:
        if code not in pool_codes:
            why = ("has no parallel data, so it cannot be realigned on" if code not in catalog.realignment_pool()
                   else f"is not kept by the pool filter {pool_filter.describe()!r}")
            raise ConfigError("subset.must_include", f"{code!r} {why}", pool_codes)
        if code in must_exclude:
            raise ConfigError("subset.must_include", f"{code!r} is also in subset.must_exclude")
        if code in held_out:
            raise ConfigError("subset.must_include", f"{code!r} is a held-out target (subset.held_out); "
                              "held-out languages are never realigned on")

    subset = SubsetConfig(
        encoding=encoding, pool=pool, strategies=strategies,
        min_languages=_get_int("subset.min_languages", data.get("min_languages", d.min_languages), 1),
        max_languages=0, must_include=must_include, must_exclude=must_exclude, held_out=held_out,
        max_pairs=_get_int("subset.max_pairs", data.get("max_pairs", d.max_pairs), 0),
        seeds=_get_int("subset.seeds", data.get("seeds", d.seeds), 1),
    )
    n_available = len(subset.available)
    if n_available == 0:
        raise ConfigError("subset.pool", f"no language is left once must_exclude and held_out are removed "
                          f"from pool {parse_pool(pool).describe()!r}")
    max_languages = _get_int("subset.max_languages", data.get("max_languages", n_available), 1)
    if max_languages > n_available:
        raise ConfigError("subset.max_languages", f"{max_languages} exceeds the {n_available} languages "
                          "available (the pool minus must_exclude and held_out)",
                          [f"1..{n_available}"])
    if subset.min_languages > max_languages:
        raise ConfigError("subset.min_languages", f"min_languages ({subset.min_languages}) is larger than "
                          f"max_languages ({max_languages})", [f"1..{max_languages}"])
    if len(must_include) > max_languages:
        raise ConfigError("subset.must_include", f"{len(must_include)} required languages exceed "
                          f"max_languages ({max_languages})")
    subset = replace(subset, max_languages=max_languages)
    subset = replace(subset, lists=_parse_lists(data.get("lists"), subset))

    for strategy in strategies:
        if is_paper(strategy) and not subset.paper_options(strategy):
            raise ConfigError("subset.strategies", f"no list the paper ran as {strategy} fits this space (at "
                              f"sizes {', '.join(map(str, sizes(strategy)))}, inside the pool minus must_exclude "
                              f"and held_out, with every must_include, within {subset.lower}..{max_languages} "
                              "languages)", [n for n in paper_names() if subset.paper_options(n)])
    ppl_low, ppl_high = realign.get("pairs_per_language").extremes()
    if subset.lists:
        bad = [name for name, codes in subset.lists if len(codes) > subset.upper(ppl_high)]
        if bad:
            raise ConfigError(f"subset.lists.{bad[0]}", f"{len(subset.named_list(bad[0]))} languages exceed "
                              f"the {subset.upper(ppl_high)} that max_languages/max_pairs allow")
    if "all" in strategies and subset.upper(ppl_high) < n_available:
        raise ConfigError("subset.strategies", f"strategy 'all' realigns on all {n_available} available "
                          f"languages but at most {subset.upper(ppl_high)} are allowed (max_languages/"
                          "max_pairs); remove 'all' or widen the bounds", [s for s in strategies if s != "all"])
    if subset.max_pairs:
        if ppl_low <= 0:
            raise ConfigError("subset.max_pairs", "counting pairs needs a per-language count: set "
                              "realign.pairs_per_language > 0 (fixed, choices or range)")
        if subset.upper(ppl_high) < subset.lower:
            raise ConfigError("subset.max_pairs", f"{subset.max_pairs} pairs at up to {ppl_high} per "
                              f"language allow only {subset.max_pairs // ppl_high} languages, fewer than "
                              f"the {subset.lower} required", [f">= {subset.lower * ppl_high}"])
    return subset


def _parse_lists(raw: Any, subset: SubsetConfig) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``[subset.lists]``: named, explicit subsets for ``encoding = "lists"`` (each trial realigns on one
    of them, as given: nothing is repaired), e.g. the paper's own subsets in the paper presets."""
    if subset.encoding != "lists":
        if raw:
            raise ConfigError("subset.lists", f"lists are read only with encoding = \"lists\", not "
                              f"{subset.encoding!r}", ["lists"])
        return ()
    table = _table("subset.lists", raw)
    if not table:
        raise ConfigError("subset.lists", "encoding = \"lists\" needs at least one named list of languages, "
                          "e.g. [subset.lists] mine = [\"de\", \"sw\"]")
    available = set(subset.available)
    order = {code: i for i, code in enumerate(subset.available)}
    seen: dict[frozenset[str], str] = {}
    out = []
    for name, value in table.items():
        where = f"subset.lists.{name}"
        if not _NAME.match(name):
            raise ConfigError(where, f"{name!r} is not a usable list name", ["letters, digits, '.', '_', '-'"])
        codes = _codes(where, value)
        if len(set(codes)) != len(value):  # (resolving may already have merged two forms of one code)
            raise ConfigError(where, "a language appears twice")
        for code in codes:
            if code not in available:
                raise ConfigError(where, f"{code!r} is not available in this search space (pool minus "
                                  "must_exclude and held_out)", subset.available)
        missing = [code for code in subset.must_include if code not in codes]
        if missing:
            raise ConfigError(where, f"misses required languages {missing} (subset.must_include)")
        if not subset.lower <= len(codes) <= subset.max_languages:
            raise ConfigError(where, f"{len(codes)} languages, outside the allowed sizes",
                              [f"{subset.lower}..{subset.max_languages}"])
        key = frozenset(codes)
        if key in seen:
            raise ConfigError(where, f"the same subset as subset.lists.{seen[key]}")
        seen[key] = name
        out.append((name, tuple(sorted(codes, key=order.__getitem__))))
    return tuple(out)


def _parse_objective(where: str, text: Any) -> str:
    text = _get_str(where, text)
    metric, _, mode = text.partition(":")
    check_objective(where, metric, OBJECTIVE_METRICS)
    if mode not in OBJECTIVE_MODES:
        raise ConfigError(where, f"{text!r} needs a direction after ':'", [f"{metric}:max", f"{metric}:min"])
    return text


def _parse_asha(data: Any) -> AshaConfig:
    data = _table("search.asha", data)
    d = AshaConfig()
    _known_keys("search.asha", data, [f.name for f in fields(AshaConfig)])
    factor = _get_float("search.asha.reduction_factor", data.get("reduction_factor", d.reduction_factor))
    if factor <= 1:
        raise ConfigError("search.asha.reduction_factor", f"{factor} must be larger than 1", ["> 1"])
    return AshaConfig(
        enabled=_get_bool("search.asha.enabled", data.get("enabled", d.enabled)),
        grace_period=_get_int("search.asha.grace_period", data.get("grace_period", d.grace_period), 1),
        reduction_factor=factor,
        metric=check_objective("search.asha.metric", _get_str("search.asha.metric", data.get("metric", d.metric)),
                               OBJECTIVE_GROUPS),
    )


def _parse_search(data: Any) -> SearchSettings:
    data = _table("search", data)
    d = SearchSettings()
    _known_keys("search", data, [f.name for f in fields(SearchSettings)])
    objectives = tuple(_parse_objective("search.objectives", o)
                       for o in _get_list("search.objectives", data.get("objectives", list(d.objectives))))
    if not objectives:
        raise ConfigError("search.objectives", "needs at least one objective", OBJECTIVE_METRICS)
    metrics = [o.split(":")[0] for o in objectives]
    if len(set(metrics)) != len(metrics):
        raise ConfigError("search.objectives", f"a metric appears twice in {list(objectives)!r}")
    sizes = tuple(_get_int("search.warm_start_sizes", s, 1)
                  for s in _get_list("search.warm_start_sizes", data.get("warm_start_sizes",
                                                                         list(d.warm_start_sizes))))
    optuna_storage = _get_str("search.optuna_storage", data.get("optuna_storage", d.optuna_storage))
    if optuna_storage and not _RDB_URL.match(optuna_storage):
        raise ConfigError("search.optuna_storage", f"{optuna_storage!r} is not an RDB URL",
                          ['"" (in-memory)', "sqlite:///study.db", "postgresql://user@host/db",
                           "mysql://user@host/db"])
    storage_path = _get_str("search.storage_path", data.get("storage_path", d.storage_path))
    if not storage_path:
        raise ConfigError("search.storage_path", "must not be empty", ["a local folder", "s3://...",
                                                                        "gs://..."])
    return SearchSettings(
        sampler=_get_str("search.sampler", data.get("sampler", d.sampler), SAMPLERS),
        objectives=objectives,
        num_samples=_get_int("search.num_samples", data.get("num_samples", d.num_samples), 1),
        max_concurrent=_get_int("search.max_concurrent", data.get("max_concurrent", d.max_concurrent), 1),
        warm_start=_get_bool("search.warm_start", data.get("warm_start", d.warm_start)),
        warm_start_sizes=sizes,
        asha=_parse_asha(data.get("asha")),
        cpus_per_trial=_get_float("search.cpus_per_trial", data.get("cpus_per_trial", d.cpus_per_trial),
                                  strict=True),
        gpus_per_trial=_get_float("search.gpus_per_trial", data.get("gpus_per_trial", d.gpus_per_trial)),
        time_budget_s=_get_float("search.time_budget_s", data.get("time_budget_s", d.time_budget_s)),
        storage_path=storage_path,
        optuna_storage=optuna_storage,
        max_failures=_get_int("search.max_failures", data.get("max_failures", d.max_failures), 0),
        seed=_get_int("search.seed", data.get("seed", d.seed)),
        keep_models=_get_str("search.keep_models", data.get("keep_models", d.keep_models), KEEP_MODELS),
    )


def parse_search_config(data: Mapping[str, Any], source: str = "<dict>") -> SearchConfig:
    """Validate a parsed TOML document; every problem is a ConfigError naming the field."""
    data = _table("", data) if data is not None else {}
    _known_keys("", data, SECTIONS)
    experiment = _parse_experiment(data.get("experiment"))
    realign = _param_space("realign", RealignParams, data.get("realign"), experiment)
    finetune = _param_space("finetune", FinetuneParams, data.get("finetune"), experiment)
    subset = _parse_subset(data.get("subset"), realign)
    search = _parse_search(data.get("search"))
    return SearchConfig(experiment=experiment, subset=subset, realign=realign, finetune=finetune,
                        search=search, source=source)


def load_search_config(path: str | Path | None = None) -> SearchConfig:
    """Read and validate a TOML search space; ``None`` = the embedded default (``spaces/data/default.toml``)."""
    if path is None:
        source = "spaces/data/default.toml (embedded)"
        text = resources.files("spaces.data").joinpath("default.toml").read_text("utf-8")
    else:
        source = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except FileNotFoundError:
            raise ConfigError(source, "no such file") from None
        except (IsADirectoryError, PermissionError, UnicodeDecodeError) as err:
            raise ConfigError(source, f"cannot read the search space: {err}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        where = re.search(r"line (\d+), column (\d+)", str(err))
        at = f" at line {where[1]}, column {where[2]}" if where else ""
        raise ConfigError(source, f"malformed TOML{at}: {err}") from None
    return parse_search_config(data, source)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if not isinstance(value, float) or math.isfinite(value) else \
            ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML basic strings
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{key} = {_toml_value(item)}" for key, item in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def dump_search_config(cfg: SearchConfig) -> str:
    """``cfg`` as TOML text that ``load_search_config`` reads back to an equal config, so a run folder
    can keep the exact space it searched (ranges are written as inline tables)."""
    lines = [f"# realign-search space (from {cfg.source})"]
    for section, table in cfg.to_dict().items():
        subtables = {k: v for k, v in table.items() if k in ("asha", "lists") and v}
        lines += ["", f"[{section}]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()
                  if key not in subtables and not (key == "lists" and not value)]
        for name, sub in subtables.items():
            lines += ["", f"[{section}.{name}]", *(f"{k} = {_toml_value(v)}" for k, v in sub.items())]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------
# From sampled parameters to languages and TrialConfigs
# ----------------------------------------------------------------------------------------------


def flatten_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested (``{"realign": {"lr": ..}}``, as Ray hands it to a trial) or flat -> ``"/"``-flat keys."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            flat.update(flatten_params(value, name))
        else:
            flat[name] = value
    return flat


@lru_cache(maxsize=4096)
def _select(strategy: str, size: int, pool: str | tuple[str, ...], seed: int,
            include: tuple[str, ...], exclude: tuple[str, ...]) -> tuple[str, ...]:
    """Memoised heuristic selection: the optimisers are deterministic but not free (local search)."""
    from spaces.heuristics import select

    return tuple(select(strategy, size, pool=parse_pool(pool), seed=seed, include=include, exclude=exclude))


def heuristic_languages(cfg: SearchConfig, strategy: str, size: int, seed: int = 0) -> list[str]:
    """What ``strategy`` picks at ``size`` inside this space's constraints (size clipped into
    ``[lower, max_languages]``), whatever the encoding — e.g. to label warm-start points in a report.
    A ``paper:<name>`` strategy gives the paper's list this space allows at the size nearest ``size``."""
    sub = cfg.subset
    if is_paper(strategy):
        strategy = canonical(strategy, "strategy")
        if not sub.paper_options(strategy):
            raise ConfigError("strategy", f"no list of {strategy} fits this space", sub.choices)
    elif strategy not in _strategies():
        raise ConfigError("strategy", f"unknown strategy {strategy!r}", _strategies())
    return _subset_of(cfg, strategy, min(max(size, sub.lower), sub.max_languages), seed, sub.max_languages)


def _subset_of(cfg: SearchConfig, strategy: str, size: int, seed: int, upper: int) -> list[str]:
    """The subset a strategy gives at an allowed ``size`` for a trial allowed at most ``upper`` languages."""
    if is_paper(strategy):
        return _paper_languages(cfg, strategy, size, seed, upper)
    return _strategy_languages(cfg, strategy, size, seed)


def _strategy_languages(cfg: SearchConfig, strategy: str, size: int, seed: int) -> list[str]:
    """A heuristic's subset at an allowed ``size`` (``all``: the whole available pool)."""
    if strategy == "all":  # parse_search_config guarantees the whole pool is an allowed size
        size = len(cfg.subset.available)
    return _repair(cfg, _feasible_select(cfg, strategy, size, seed), size, size)


def _paper_languages(cfg: SearchConfig, strategy: str, size: int, seed: int, upper: int) -> list[str]:
    """The paper's list for a ``paper:<name>`` strategy: among the lists this space allows that fit the
    trial's ``upper`` (its pair budget), the one at the size nearest ``size`` (ties: the smaller), and for
    per-seed folders the ``seed % n``-th paper seed's. Should no list fit ``upper``, the smallest is cut to
    it by ``_repair``: a trial never breaks its constraints."""
    options = cfg.subset.paper_options(strategy)
    fitting = [p for p in options if p.size <= upper]
    if not fitting:
        smallest = min(options, key=lambda p: p.size)
        return _repair(cfg, smallest.languages, cfg.subset.lower, upper)
    nearest = min({p.size for p in fitting}, key=lambda k: (abs(k - size), k))
    at_size = [p for p in fitting if p.size == nearest]
    chosen = at_size[seed % len(at_size)]
    return _repair(cfg, chosen.languages, chosen.size, chosen.size)


def _seeded(strategy: str) -> bool:
    """Whether a strategy draws with ``subset/seed``: ``random``, and the paper's per-seed folders."""
    return strategy == "random" or (is_paper(strategy) and any(p.seed is not None for p in lists_of(strategy)))


def _feasible_select(cfg: SearchConfig, strategy: str, size: int, seed: int) -> tuple[str, ...]:
    """The heuristic's subset at ``size``, or at the largest size it can reach when a strategy cannot
    fill ``size`` (``most_same_script`` on a pool with few languages of one script); ``_repair`` then
    tops it up, so a trial never fails on a size the constraints allow."""
    sub = cfg.subset
    exclude = tuple(sorted({*sub.must_exclude, *sub.held_out}))
    for k in range(size, max(len(sub.must_include), 1) - 1, -1):
        try:
            return _select(strategy, k, sub.pool, seed, sub.must_include, exclude)
        except ConfigError as err:
            if err.field != "subset.size":
                raise
    return sub.must_include


def _pairs_per_language(cfg: SearchConfig, flat: Mapping[str, Any]) -> int:
    spec = cfg.realign.get("pairs_per_language")
    return int(flat.get(spec.name, spec.default()))


def _mode(cfg: SearchConfig, flat: Mapping[str, Any]) -> str:
    spec = cfg.realign.get("mode")
    return flat.get(spec.name, spec.default())


def _repair(cfg: SearchConfig, proposal: Iterable[str], lower: int, upper: int) -> list[str]:
    """Force a proposed subset into the constraints, deterministically.

    Anything not available (excluded, held out, outside the pool) is dropped and every must_include
    language added. The free languages are then ranked by a shuffle of the pool seeded with the
    experiment seed and the proposal itself (``random.Random``): too many -> the proposal's
    lowest-ranked languages are dropped; too few -> the highest-ranked languages outside the proposal
    are added. Reproducible, and unlike a catalog-order cut it favours no language. A proposal that
    already fits is returned unchanged (in catalog order).
    """
    sub = cfg.subset
    proposed = set(proposal) & set(sub.free)
    order = list(sub.free)
    random.Random(f"{cfg.experiment.seed}:{','.join(sorted(proposed))}").shuffle(order)
    ranked = [code for code in order if code in proposed] + [code for code in order if code not in proposed]
    n_free = min(max(len(proposed), lower - len(sub.must_include)), upper - len(sub.must_include))
    keep = {*sub.must_include, *ranked[:n_free]}
    return [code for code in sub.available if code in keep]  # canonical order: the catalog's


def languages_for(cfg: SearchConfig, params: Mapping[str, Any]) -> list[str]:
    """The realignment subset for sampled ``params`` (flat or nested), in catalog order.

    Always within the constraints: ``lower <= n <= upper(pairs_per_language)``, must_include in,
    must_exclude / held_out out. A trial whose ``realign/mode`` is ``none`` (the fine-tuning-only
    baseline) realigns on nothing, so its subset is empty whatever the bounds say.
    """
    flat = flatten_params(params)
    if _mode(cfg, flat) == "none":
        return []
    sub = cfg.subset
    if sub.encoding == "lists":
        return list(sub.named_list(str(flat.get("subset/list", sub.lists[0][0]))))
    lower, upper = sub.lower, sub.upper(_pairs_per_language(cfg, flat))
    if sub.encoding == "strategy":
        strategy = flat.get("subset/strategy", sub.strategies[0])
        if strategy not in sub.choices:
            raise ConfigError("subset/strategy", f"{strategy!r} is not in subset.strategies (nor a paper twin "
                              "of one)", sub.choices)
        size = min(max(int(flat.get("subset/size", upper)), lower), upper)
        return _subset_of(cfg, strategy, size, int(flat.get("subset/seed", 0)), upper)
    ranked = [code for code in sub.free if bool(flat.get(f"lang/{code}", False))]
    return _repair(cfg, ranked, lower, upper)


class DefineByRun:
    """Optuna define-by-run space for ``OptunaSearch(space=...)`` (a class so plain pickle can save it).

    Samples every non-fixed ``realign``/``finetune`` spec, then the subset (unless mode is ``none``):
    strategy encoding -> ``subset/size`` in ``[lower, max_languages]``, ``subset/strategy`` from
    ``subset.choices`` (the strategies and their paper twins), and ``subset/seed`` only for ``random``
    and the paper's per-seed lists; mask encoding -> ``lang/<code>`` booleans for the free languages.
    The size range is static (TPE needs fixed distributions); a size above the trial's pair budget is
    clipped, and a paper strategy takes its nearest paper size. Returns the constants: fixed
    hyperparameters and ``languages``, the subset after repair, which is what the trial realigns on.
    """

    def __init__(self, cfg: SearchConfig) -> None:
        self.cfg = cfg

    def __call__(self, trial: optuna.Trial) -> dict[str, Any]:
        cfg, sub = self.cfg, self.cfg.subset
        values: dict[str, Any] = {}
        constants: dict[str, Any] = {}
        for spec in cfg.specs():
            if spec.sampled:
                values[spec.name] = spec.suggest(trial)
            else:
                constants[spec.name] = spec.value
        merged = {**constants, **values}
        if _mode(cfg, merged) != "none":
            if sub.encoding == "lists":
                values["subset/list"] = trial.suggest_categorical("subset/list", [n for n, _ in sub.lists])
            elif sub.encoding == "strategy":
                values["subset/size"] = trial.suggest_int("subset/size", sub.lower, sub.max_languages)
                strategy = trial.suggest_categorical("subset/strategy", list(sub.choices))
                values["subset/strategy"] = strategy
                if _seeded(strategy):
                    values["subset/seed"] = trial.suggest_int("subset/seed", 0, sub.seeds - 1)
            else:
                for code in sub.free:
                    values[f"lang/{code}"] = trial.suggest_categorical(f"lang/{code}", [False, True])
        constants["languages"] = languages_for(cfg, {**constants, **values})
        return constants


def define_by_run(cfg: SearchConfig) -> Callable[[optuna.Trial], dict[str, Any]]:
    """The space function for ``OptunaSearch(space=define_by_run(cfg), ...)``."""
    return DefineByRun(cfg)


def _allowed_param_names(cfg: SearchConfig) -> set[str]:
    names = {spec.name for spec in cfg.specs()} | {"languages"}
    names |= {f"subset/{p}" for p in SUBSET_PARAMS} | {f"lang/{code}" for code in cfg.subset.free}
    names.add("subset/list")
    return names


def _value(spec: ParamSpec, value: Any) -> Any:
    section, name = spec.name.split("/", 1)
    return _scalar(f"{section}.{name}", type(spec.preferred), value)


def resolve_trial(cfg: SearchConfig, sampled: Mapping[str, Any]) -> TrialConfig:
    """What a Ray trial receives (nested or "/"-flat, with or without ``languages``) -> TrialConfig.

    Missing hyperparameters take the space's default (``ParamSpec.default``). A given ``languages``
    list is checked against the constraints (not repaired: it is what the trial will realign on);
    without it the subset is recomputed from the subset parameters by ``languages_for``.
    """
    flat = flatten_params(sampled)
    allowed = _allowed_param_names(cfg)
    for key in flat:
        if key not in allowed:
            raise ConfigError(key, "not a parameter of this search space", sorted(allowed))
    hparams = {spec.name: _value(spec, flat[spec.name]) if spec.name in flat else spec.default()
               for spec in cfg.specs()}
    if "languages" in flat:
        languages = _checked_languages(cfg, flat["languages"], {**flat, **hparams})
    else:
        languages = languages_for(cfg, {**flat, **hparams})
    realign = RealignParams(**{s.field_name: hparams[s.name] for s in cfg.realign.params})
    finetune = FinetuneParams(**{s.field_name: hparams[s.name] for s in cfg.finetune.params})
    exp = cfg.experiment
    trial = TrialConfig(languages=tuple(languages), world=exp.world, model=exp.model, task=exp.task,
                        seed=exp.seed, targets=exp.targets, realign=realign, finetune=finetune,
                        sweep_pool=cfg.subset.available, seeds=exp.seeds if len(exp.seeds) > 1 else ())
    trial.check()
    return trial


def _checked_languages(cfg: SearchConfig, given: Any, flat: Mapping[str, Any]) -> list[str]:
    if isinstance(given, str) or not isinstance(given, Iterable):
        raise ConfigError("languages", f"expected a list of language codes, got {given!r}")
    given_codes = set(load_catalog().resolve(list(given), "languages"))
    codes = [code for code in load_catalog().codes() if code in given_codes]  # catalog order
    if _mode(cfg, flat) == "none":
        return codes
    sub = cfg.subset
    for code in codes:
        if code not in sub.available:
            raise ConfigError("languages", f"{code!r} is not available in this search space "
                              "(pool minus must_exclude and held_out)", sub.available)
    missing = [code for code in sub.must_include if code not in codes]
    if missing:
        raise ConfigError("languages", f"missing required languages {missing} (subset.must_include)")
    lower, upper = sub.lower, sub.upper(_pairs_per_language(cfg, flat))
    if not lower <= len(codes) <= upper:
        raise ConfigError("languages", f"{len(codes)} languages, outside the allowed sizes",
                          [f"{lower}..{upper}"])
    return codes


# ----------------------------------------------------------------------------------------------
# Warm start
# ----------------------------------------------------------------------------------------------


def warm_start_points(cfg: SearchConfig) -> list[dict[str, Any]]:
    """The paper's subsets and heuristics as ``points_to_evaluate`` for OptunaSearch ([] when warm_start
    is off); ``named_warm_start_points`` documents them and gives each its label."""
    return [point for _, point in named_warm_start_points(cfg)]


def named_warm_start_points(cfg: SearchConfig) -> list[tuple[str, dict[str, Any]]]:
    """``(label, point)`` pairs; labels are ``strategy@size`` (``most_uriel_en@5``,
    ``paper:most_uriel_en@10``), ``all@n`` for the whole pool, the list's name (``lists`` encoding: every
    list is a point) and ``baseline`` for the fine-tuning-only point.

    One point per strategy in ``subset.strategies`` and size in ``search.warm_start_sizes`` (each size
    clipped into the allowed ``[lower, upper]``). Where the paper ran that strategy at that size with a
    list this space allows, the point is the paper's exact list (its twin ``paper:<s>``); at other sizes
    and pools, our computed heuristic. A ``paper:<name>`` strategy gives one point per size the paper
    ran that the space allows (its first seed for per-seed folders). Plus the whole available pool when
    its size is allowed, plus the fine-tuning-only baseline when ``realign.mode`` may be ``none``.
    Sampled hyperparameters sit at ``ParamSpec.default()`` (the paper's values when inside the space,
    else the midpoint); the realigning points use mode ``before``/the default. Points that resolve to
    the same subset are kept once. Only parameters that the define-by-run function actually suggests
    appear.
    """
    return [(label, point) for label, point, _ in _warm_starts(cfg)]


def warm_start_subsets(cfg: SearchConfig) -> list[tuple[str, tuple[str, ...]]]:
    """``(label, languages)`` of every warm-start point (``named_warm_start_points``), e.g. to name the
    trials of a report that realigned on them, under either encoding."""
    return [(label, languages) for label, _, languages in _warm_starts(cfg)]


def _warm_starts(cfg: SearchConfig) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
    if not cfg.search.warm_start:
        return []
    sub = cfg.subset
    hparams = {spec.name: spec.default() for spec in cfg.specs() if spec.sampled}
    mode_spec = cfg.realign.get("mode")
    mode = hparams.get(mode_spec.name, mode_spec.value)
    points: list[tuple[str, dict[str, Any], tuple[str, ...]]] = []
    realigning = [m for m in mode_spec.choices if m != "none"]
    if mode == "none" and realigning:  # the heuristics' points realign; the baseline is added below
        mode = hparams[mode_spec.name] = realigning[0]
    if mode != "none" and sub.encoding == "lists":  # every listed subset, in file order
        points += [(name, {**hparams, "subset/list": name}, tuple(codes)) for name, codes in sub.lists]
    elif mode != "none":
        lower = sub.lower
        upper = sub.upper(_pairs_per_language(cfg, hparams))
        seen: set[tuple[str, ...]] = set()
        for label, strategy, size in _warm_proposals(cfg, lower, upper):
            subset_params: dict[str, Any] = {"subset/size": size, "subset/strategy": strategy}
            if _seeded(strategy):
                subset_params["subset/seed"] = 0
            languages = tuple(_subset_of(cfg, strategy, size, 0, upper))
            if languages in seen:
                continue
            seen.add(languages)
            if sub.encoding == "mask":
                subset_params = {f"lang/{code}": code in languages for code in sub.free}
            points.append((label, {**hparams, **subset_params}, languages))
    if mode_spec.kind == "choice" and "none" in mode_spec.choices or mode_spec.value == "none":
        points.append(("baseline", {**hparams, **({mode_spec.name: "none"} if mode_spec.sampled else {})}, ()))
    return points


def _warm_proposals(cfg: SearchConfig, lower: int, upper: int) -> list[tuple[str, str, int]]:
    """``(label, strategy, size)`` of the warm starts (see ``named_warm_start_points``)."""
    sub = cfg.subset
    sizes = sorted({min(max(size, lower), upper) for size in cfg.search.warm_start_sizes})
    proposals = []
    for strategy in sub.strategies:
        if is_paper(strategy):
            ran = sorted({p.size for p in sub.paper_options(strategy) if p.size <= upper})
            proposals += [(f"{strategy}@{size}", strategy, size) for size in ran]
            continue
        if strategy == "all":
            proposals.append((f"all@{len(sub.available)}", strategy, len(sub.available)))
            continue
        twin = PAPER_PREFIX + strategy
        ran = {p.size for p in sub.paper_options(twin)} if twin in sub.choices else set()
        proposals += [(f"{twin}@{size}", twin, size) if size in ran else (f"{strategy}@{size}", strategy, size)
                      for size in sizes]
    computed = [s for s in sub.choices if not is_paper(s)]
    if len(sub.available) <= upper and computed:  # any computed strategy at the full size is the whole pool
        proposals.append((f"all@{len(sub.available)}", computed[0], len(sub.available)))
    return proposals
