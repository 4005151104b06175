"""The sections of a validated search space, as typed dataclasses; each field carries its rule.

``parse_search_config`` (``spaces.config.parse``) builds them from TOML, checking every value against its
field's rule (``spaces.fields``) and then what no single field can say (codes, pools, size bounds, paper
lists); ``to_dict()`` gives the TOML / JSON form back, which parses to an equal config.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from spaces.config.domains import Domain, ParamSpace
from spaces.config.tracking import TrackingConfig
from spaces.errors import ConfigError
from spaces.fields import Rule, above, any_up_to, at_least, ruled
from spaces.paper import PREFIX as PAPER_PREFIX
from spaces.paper import PaperList, is_paper, lists_of, paper_names
from spaces.pool import parse_pool
from spaces.vocab import ENCODINGS, ENGINES, KEEP_MODELS, SAMPLERS, TASKS, TINY_MODEL, TRAINABLES, WORLDS, Objective

DEFAULT_STRATEGIES = ("most_uriel_en", "least_uriel_en", "most_family_en", "most_distinct_script", "random")
_CODES = Rule(str, many=True)
# Upper bounds of the integer fields (``Bound.maximum``): far beyond any sane sweep, low enough that a
# typo is refused before Ray starts. README "Bounds" lists them.
SEED_MAX = 2**32 - 1  # numpy's seed range (Optuna's samplers and the subset repair seed numpy)
LANGUAGES_MAX = 1000  # language counts (the realignment pool has 65)
PAIRS_MAX = 10**9
SAMPLES_MAX = 10**6  # trials in one sweep
CONCURRENT_MAX = 10**4  # trials at once
EPOCHS_MAX = 10**4  # ASHA rungs count fine-tuning epochs
FAILURES_MAX = 100
REEVAL_SEEDS_MAX = 100  # extra seeds per front member after the search


def _plain(value: Any) -> Any:
    """TOML/JSON-ready data: tuples become lists, objectives their ``metric:mode`` text."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, Objective):
        return str(value)
    if isinstance(value, _PlainDict):
        return value.to_dict()
    return value


class _PlainDict:
    """``to_dict``: the dataclass as TOML/JSON-ready data."""

    def to_dict(self) -> dict[str, Any]:
        return _plain({name: getattr(self, name) for name in self.__dataclass_fields__})  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ExperimentConfig(_PlainDict):
    """What one trial trains and evaluates; shared by every trial of the sweep."""

    name: str = ruled("realign-search", kind=str)
    trainable: str = ruled("realign", kind=str, allowed=TRAINABLES)
    world: str = ruled("tiny", kind=str, allowed=WORLDS)
    model: str = ruled(TINY_MODEL, kind=str)
    task: str = ruled("pos", kind=str, allowed=TASKS)
    seed: int = ruled(0, kind=int, bound=any_up_to(SEED_MAX))
    targets: tuple[str, ...] = ruled((), _CODES)  # evaluation languages; empty = every language the task has
    # every trial runs once per seed and reports the mean; () = just `seed`
    seeds: tuple[int, ...] = ruled((), kind=int, many=True, bound=any_up_to(SEED_MAX))


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

    encoding: str = ruled("mask", kind=str, allowed=ENCODINGS)
    pool: str | tuple[str, ...] = "all"  # a pool filter (spaces.pool), as text or a list of terms
    strategies: tuple[str, ...] = ruled(DEFAULT_STRATEGIES, kind=str, many=True)
    min_languages: int = ruled(1, kind=int, bound=at_least(1, maximum=LANGUAGES_MAX))
    # parsing resolves an omitted bound to all available
    max_languages: int = ruled(0, kind=int, bound=at_least(1, maximum=LANGUAGES_MAX))
    must_include: tuple[str, ...] = ruled((), _CODES)
    must_exclude: tuple[str, ...] = ruled((), _CODES)
    held_out: tuple[str, ...] = ruled((), _CODES)
    # 0 = no cap on sum over languages of realign.pairs_per_language
    max_pairs: int = ruled(0, kind=int, bound=at_least(0, maximum=PAIRS_MAX))
    # `random` strategy: subset/seed is sampled from range(seeds)
    seeds: int = ruled(100, kind=int, bound=at_least(1, maximum=SEED_MAX))
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
        return [
            p
            for p in lists_of(strategy)
            if self.lower <= p.size <= self.max_languages and p.fits(self.available, self.must_include)
        ]

    @cached_property
    def choices(self) -> tuple[str, ...]:
        """What the strategy encoding samples as ``subset/strategy``: ``strategies``, plus the paper twin
        ``paper:<s>`` of every computed strategy ``s`` the paper ran with a list this space allows, so a
        warm start (or a sampled trial) can realign on the paper's exact list at the paper's sizes."""
        twins = [
            PAPER_PREFIX + s
            for s in self.strategies
            if not is_paper(s)
            and s != "all"
            and PAPER_PREFIX + s in paper_names()
            and PAPER_PREFIX + s not in self.strategies
            and self.paper_options(PAPER_PREFIX + s)
        ]
        return (*self.strategies, *twins)


@dataclass(frozen=True)
class AshaConfig(_PlainDict):
    """Optional ASHA early stopping on an intermediate aggregate (scores: higher is better)."""

    enabled: bool = ruled(False, kind=bool)
    grace_period: int = ruled(1, kind=int, bound=at_least(1, maximum=EPOCHS_MAX))
    reduction_factor: float = ruled(2.0, kind=float, bound=at_least(0.0, "is out of range"))  # and > 1
    metric: str = ruled("unseen_lrl", kind=str)  # a fixed target group (spaces.vocab.OBJECTIVE_GROUPS)
    # ASHA's last rung, in fine-tuning epochs (over all seeds of a multi-seed trial): a trial is stopped
    # there. At least a trial's full length, so ASHA never cuts a trial that was going to finish.
    max_t: int = ruled(100, kind=int, bound=at_least(1, maximum=EPOCHS_MAX))


@dataclass(frozen=True)
class SearchSettings(_PlainDict):
    """How the sweep runs. ``objectives`` are parsed ``metric:mode`` pairs (see ``metrics``/``modes``)."""

    sampler: str = ruled("subset", kind=str, allowed=SAMPLERS)  # omitted: parse picks by encoding
    objectives: tuple[Objective, ...] = ruled(
        (Objective("unseen_lrl", "max"), Objective("n_languages", "min")), kind=str, many=True
    )
    num_samples: int = ruled(24, kind=int, bound=at_least(1, maximum=SAMPLES_MAX))
    max_concurrent: int = ruled(2, kind=int, bound=at_least(1, maximum=CONCURRENT_MAX))
    warm_start: bool = ruled(True, kind=bool)
    warm_start_sizes: tuple[int, ...] = ruled(
        (5, 10, 20, 40), kind=int, many=True, bound=at_least(1, maximum=LANGUAGES_MAX)
    )
    asha: AshaConfig = field(default_factory=AshaConfig)
    cpus_per_trial: float = ruled(1.0, kind=float, bound=above(0.0))
    gpus_per_trial: float = ruled(0.0, kind=float, bound=at_least(0.0, "is out of range"))
    time_budget_s: float = ruled(0.0, kind=float, bound=at_least(0.0, "is out of range"))  # 0 = none
    storage_path: str = ruled("~/realign-search-runs", kind=str)
    # "" = in-memory study; else an RDB URL such as sqlite:///study.db
    optuna_storage: str = ruled("", kind=str)
    max_failures: int = ruled(1, kind=int, bound=at_least(0, maximum=FAILURES_MAX))
    seed: int = ruled(0, kind=int, bound=any_up_to(SEED_MAX))
    keep_models: str = ruled("front", kind=str, allowed=KEEP_MODELS)
    # Per-trial caps on cost (0 = none): a trial above one is infeasible (Optuna constraints; never on
    # the report's front). gpu_hours = wall seconds x gpus_per_trial / 3600 (trainables.cost).
    max_gpu_hours: float = ruled(0.0, kind=float, bound=at_least(0.0, "is out of range"))
    max_wall_s: float = ruled(0.0, kind=float, bound=at_least(0.0, "is out of range"))
    engine: str = ruled("auto", kind=str, allowed=ENGINES)
    # more seeds for each front member and warm start after the search (search.reeval); 0 = none
    reeval_seeds: int = ruled(1, kind=int, bound=at_least(0, maximum=REEVAL_SEEDS_MAX))

    @property
    def metrics(self) -> list[str]:
        return [objective.metric for objective in self.objectives]

    @property
    def modes(self) -> list[str]:
        return [objective.mode for objective in self.objectives]


@dataclass(frozen=True)
class SearchConfig:
    """A validated search space. ``to_dict()`` round-trips through ``parse_search_config``."""

    experiment: ExperimentConfig
    subset: SubsetConfig
    realign: ParamSpace
    finetune: ParamSpace
    search: SearchSettings
    source: str = field(default="<dict>", compare=False)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)  # [tracking]: Ray Tune's logger callbacks

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A config pickled (into a run folder's Ray state) before ``[tracking]`` existed has none."""
        self.__dict__.update({"tracking": TrackingConfig(), **state})

    def specs(self) -> list[Domain]:
        return [*self.realign.params, *self.finetune.params]

    def sampled(self) -> list[Domain]:
        """The hyperparameters Optuna samples (the subset parameters aside)."""
        return [spec for spec in self.specs() if spec.sampled]

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment.to_dict(),
            "subset": self.subset.to_dict(),
            "realign": self.realign.to_dict(),
            "finetune": self.finetune.to_dict(),
            "search": self.search.to_dict(),
            "tracking": self.tracking.to_dict(),
        }
