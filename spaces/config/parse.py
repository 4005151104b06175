"""TOML search space -> validated ``SearchConfig``: every mistake refused before Ray starts.

A sweep can run for days on a cluster, so every mistake a user can make in the file (a typo'd key, an
unknown language, a range with low >= high, a size bound the pool cannot meet) is refused here, with the
field named and the allowed values listed. Each value is first checked against its field's rule
(``spaces.fields``: type, closed set, bound, declared on the dataclass field); this module adds what no
single field can say. After ``parse_search_config`` succeeds, every trial the sampler can produce
satisfies the subset constraints.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from spaces.catalog import load_catalog
from spaces.config.domains import Choice, Domain, Fixed, FloatRange, IntRange, ParamSpace
from spaces.config.sections import AshaConfig, ExperimentConfig, SearchConfig, SearchSettings, SubsetConfig
from spaces.config.subsets import strategies as computed_strategies
from spaces.config.tracking import parse_tracking
from spaces.defaults import unset_defaults
from spaces.errors import ConfigError
from spaces.fields import Rule, known_keys, read, rules, table
from spaces.paper import canonical, is_paper, paper_names, sizes
from spaces.pool import parse_pool
from spaces.trial_config import FinetuneParams, RealignParams
from spaces.vocab import (
    MODEL_ALIASES,
    OBJECTIVE_GROUPS,
    OBJECTIVE_METRICS,
    REAL_MODELS,
    SAMPLERS,
    SUBSET_SAMPLER_ENCODINGS,
    TINY_MODEL,
    Objective,
    canonical_model,
    check_objective,
)

SECTIONS = ("experiment", "subset", "realign", "finetune", "search", "tracking")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # run and list names: usable as folder names
_RDB_URL = re.compile(r"^[a-z][a-z0-9+]*://")
_RANGE_KEYS = ("low", "high", "log", "step")


def parse_search_config(data: Mapping[str, Any] | None, source: str = "<dict>") -> SearchConfig:
    """Validate a parsed TOML document; every problem is a ConfigError naming the field."""
    data = table("", data)
    known_keys("", data, SECTIONS)
    experiment = _parse_experiment(data.get("experiment"))
    realign = param_space("realign", RealignParams, data.get("realign"), experiment)
    finetune = param_space("finetune", FinetuneParams, data.get("finetune"), experiment)
    subset = _parse_subset(data.get("subset"), realign)
    search = _sampler_for_encoding(_parse_search(data.get("search")), subset, data.get("search"))
    _check_asha_length(search.asha, finetune, experiment)
    _check_targets(experiment, subset, search)
    return SearchConfig(
        experiment=experiment,
        subset=subset,
        realign=realign,
        finetune=finetune,
        search=search,
        source=source,
        tracking=parse_tracking(data.get("tracking")),
    )


# ----------------------------------------------------------------------------------- [realign], [finetune]
def param_space(section: str, params_cls: type, data: Any, experiment: ExperimentConfig) -> ParamSpace:
    """The section's domains; an omitted key is fixed at its default, model/task-dependent ones resolved
    for the experiment's model and task (``spaces.defaults``), so the parsed space shows numbers."""
    data = table(section, data)
    defaults = replace(params_cls(), **unset_defaults(experiment.model, experiment.task)[section])
    checks = rules(params_cls)
    known_keys(section, data, list(checks))
    return ParamSpace(
        section=section,
        params=tuple(
            _param(section, name, checks[name], data[name], getattr(defaults, name))
            if name in data
            else Fixed(name=f"{section}/{name}", value=getattr(defaults, name), preferred=getattr(defaults, name))
            for name in checks
        ),
    )


def _param(section: str, field_name: str, rule: Rule, raw: Any, preferred: Any) -> Domain:
    """A scalar is a fixed value, a list a categorical choice, a table ``{low, high, log, step}`` a range."""
    where = f"{section}.{field_name}"
    name = f"{section}/{field_name}"
    if isinstance(raw, Mapping):
        return _range(where, name, rule, raw, preferred)
    if isinstance(raw, list):
        if not raw:
            raise ConfigError(where, "an empty list of choices", rule.allowed)
        choices = tuple(rule.check(where, item) for item in raw)
        if len(set(choices)) != len(choices):
            raise ConfigError(where, f"duplicate choices in {list(raw)!r}")
        return Choice(name=name, choices=choices, preferred=preferred)
    return Fixed(name=name, value=rule.check(where, raw), preferred=preferred)


def _range(where: str, name: str, rule: Rule, data: Mapping[str, Any], preferred: Any) -> Domain:
    for key in data:
        if key not in _RANGE_KEYS:
            raise ConfigError(f"{where}.{key}", "unknown key in a range table", _RANGE_KEYS)
    if rule.kind is str:
        raise ConfigError(where, "a range {low, high} needs a numeric field; give a list of choices", rule.allowed)
    for key in ("low", "high"):
        if key not in data:
            raise ConfigError(where, f"a range table needs '{key}'", _RANGE_KEYS)
    low = rule.check(where, data["low"], shown=f"{where}.low")
    high = rule.check(where, data["high"], shown=f"{where}.high")
    log = Rule(bool).check(f"{where}.log", data.get("log", False))
    if low >= high:
        raise ConfigError(where, f"low ({low}) must be smaller than high ({high})")
    if log and low <= 0:
        raise ConfigError(where, f"a log range needs low > 0, got {low}")
    step = data.get("step")
    integer = rule.kind is int
    if step is not None:
        if (
            isinstance(step, bool)
            or not isinstance(step, (int, float))
            or not math.isfinite(step)
            or step <= 0
            or (integer and not isinstance(step, int))
        ):
            raise ConfigError(
                f"{where}.step", f"expected a positive {'integer' if integer else 'finite number'}, got {step!r}"
            )
        if log:
            raise ConfigError(f"{where}.step", "Optuna cannot combine log=true with a step; drop one")
        k = (high - low) / step
        if not math.isclose(k, round(k), abs_tol=1e-9):
            raise ConfigError(f"{where}.step", f"high - low ({high - low}) must be a multiple of step ({step})")
        step = rule.kind(step)
    cls = IntRange if integer else FloatRange
    return cls(name=name, low=low, high=high, log=log, step=step, preferred=preferred)


# ------------------------------------------------------------------------------------------ [experiment]
def _parse_experiment(data: Any) -> ExperimentConfig:
    given = read("experiment", ExperimentConfig, data)
    name = given.get("name", ExperimentConfig.name)
    if not NAME.match(name):
        raise ConfigError(
            "experiment.name",
            f"{name!r} is not usable as a folder name",
            ["letters, digits, '.', '_', '-' (not first)"],
        )
    out = ExperimentConfig(**given)
    model = canonical_model(out.model)
    if out.trainable == "realign" and out.world == "tiny":
        allowed_models: tuple[str, ...] = (TINY_MODEL,)
    else:  # the real stack, and the published/proxy fidelities, know only the paper's two encoders
        allowed_models = (*REAL_MODELS, *MODEL_ALIASES)
    if model not in allowed_models:
        raise ConfigError(
            "experiment.model",
            f"{model!r} is not available for trainable={out.trainable!r}, world={out.world!r}",
            allowed_models,
        )
    seeds, seed = out.seeds, out.seed
    if len(set(seeds)) != len(seeds):
        raise ConfigError("experiment.seeds", f"duplicate seeds in {list(seeds)}")
    if seeds and "seed" in given and seed != seeds[0]:
        raise ConfigError(
            "experiment.seed",
            f"seed = {seed} disagrees with seeds = {list(seeds)}; give only "
            "seeds (a trial runs every seed; subset repair uses the first)",
            [seeds[0]],
        )
    return replace(
        out, model=model, seed=seeds[0] if seeds else seed, targets=_codes("experiment.targets", out.targets)
    )


def _codes(where: str, codes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(load_catalog().resolve(list(codes), where))


# ---------------------------------------------------------------------------------------------- [subset]
def _parse_strategy(text: str) -> str:
    """A computed strategy, or ``paper:<name>`` in its canonical spelling."""
    if is_paper(text):
        return canonical(text, "subset.strategies")
    return Rule(str, allowed=(*computed_strategies(), "paper:<name>")).check("subset.strategies", text)


def _parse_pool(raw: Any) -> str | tuple[str, ...]:
    """A pool filter (``spaces.pool``) as text, or as a list of terms."""
    if isinstance(raw, list):
        return Rule(str, many=True).check("subset.pool", raw)
    return Rule(str).check("subset.pool", raw)


def _parse_subset(data: Any, realign: ParamSpace) -> SubsetConfig:
    given = read(
        "subset",
        SubsetConfig,
        {k: v for k, v in table("subset", data).items() if k != "lists"} if isinstance(data, Mapping) else data,
    )
    catalog = load_catalog()
    pool = _parse_pool(given.pop("pool", SubsetConfig.pool))
    pool_filter = parse_pool(pool, field="subset.pool")  # refuses unknown terms and empty filters
    known = (*computed_strategies(), "paper:<name>")
    strategies = tuple(_parse_strategy(s) for s in given.pop("strategies", SubsetConfig.strategies))
    if not strategies:
        raise ConfigError("subset.strategies", "needs at least one strategy", known)
    if len(set(strategies)) != len(strategies):
        raise ConfigError("subset.strategies", f"duplicate strategies in {list(strategies)!r}", known)
    codes = {key: _codes(f"subset.{key}", given.pop(key, ())) for key in ("must_include", "must_exclude", "held_out")}
    must_include, must_exclude, held_out = codes["must_include"], codes["must_exclude"], codes["held_out"]
    pool_codes = pool_filter.languages()
    for code in must_include:
        if code not in pool_codes:
            why = (
                "has no parallel data, so it cannot be realigned on"
                if code not in catalog.realignment_pool()
                else f"is not kept by the pool filter {pool_filter.describe()!r}"
            )
            raise ConfigError("subset.must_include", f"{code!r} {why}", pool_codes)
        if code in must_exclude:
            raise ConfigError("subset.must_include", f"{code!r} is also in subset.must_exclude")
        if code in held_out:
            raise ConfigError(
                "subset.must_include",
                f"{code!r} is a held-out target (subset.held_out); held-out languages are never realigned on",
            )
    max_given = given.pop("max_languages", None)
    subset = SubsetConfig(pool=pool, strategies=strategies, max_languages=0, **codes, **given)
    n_available = len(subset.available)
    if n_available == 0:
        raise ConfigError(
            "subset.pool",
            f"no language is left once must_exclude and held_out are removed from pool {parse_pool(pool).describe()!r}",
        )
    max_languages = n_available if max_given is None else max_given
    if max_languages > n_available:
        raise ConfigError(
            "subset.max_languages",
            f"{max_languages} exceeds the {n_available} languages available (the pool minus must_exclude and held_out)",
            [f"1..{n_available}"],
        )
    if subset.min_languages > max_languages:
        raise ConfigError(
            "subset.min_languages",
            f"min_languages ({subset.min_languages}) is larger than max_languages ({max_languages})",
            [f"1..{max_languages}"],
        )
    if len(must_include) > max_languages:
        raise ConfigError(
            "subset.must_include", f"{len(must_include)} required languages exceed max_languages ({max_languages})"
        )
    subset = replace(subset, max_languages=max_languages)
    subset = replace(subset, lists=_parse_lists(data.get("lists") if isinstance(data, Mapping) else None, subset))
    _check_strategies(subset)
    _check_budget(subset, realign)
    return subset


def _check_strategies(subset: SubsetConfig) -> None:
    for strategy in subset.strategies:
        if is_paper(strategy) and not subset.paper_options(strategy):
            raise ConfigError(
                "subset.strategies",
                f"no list the paper ran as {strategy} fits this space (at "
                f"sizes {', '.join(map(str, sizes(strategy)))}, inside the pool minus must_exclude "
                f"and held_out, with every must_include, within {subset.lower}..{subset.max_languages} "
                "languages)",
                [n for n in paper_names() if subset.paper_options(n)],
            )


def _check_budget(subset: SubsetConfig, realign: ParamSpace) -> None:
    """The size bounds against the pair budget, at every ``pairs_per_language`` the space allows."""
    n_available = len(subset.available)
    ppl_low, ppl_high = realign.get("pairs_per_language").extremes()
    if subset.lists:
        bad = [name for name, codes in subset.lists if len(codes) > subset.upper(ppl_high)]
        if bad:
            raise ConfigError(
                f"subset.lists.{bad[0]}",
                f"{len(subset.named_list(bad[0]))} languages exceed "
                f"the {subset.upper(ppl_high)} that max_languages/max_pairs allow",
            )
    if "all" in subset.strategies and subset.upper(ppl_high) < n_available:
        raise ConfigError(
            "subset.strategies",
            f"strategy 'all' realigns on all {n_available} available "
            f"languages but at most {subset.upper(ppl_high)} are allowed (max_languages/"
            "max_pairs); remove 'all' or widen the bounds",
            [s for s in subset.strategies if s != "all"],
        )
    if subset.max_pairs:
        if ppl_low <= 0:
            raise ConfigError(
                "subset.max_pairs",
                "counting pairs needs a per-language count: set "
                "realign.pairs_per_language > 0 (fixed, choices or range)",
            )
        if subset.upper(ppl_high) < subset.lower:
            raise ConfigError(
                "subset.max_pairs",
                f"{subset.max_pairs} pairs at up to {ppl_high} per "
                f"language allow only {subset.max_pairs // ppl_high} languages, fewer than "
                f"the {subset.lower} required",
                [f">= {subset.lower * ppl_high}"],
            )


def _parse_lists(raw: Any, subset: SubsetConfig) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``[subset.lists]``: named, explicit subsets for ``encoding = "lists"`` (each trial realigns on one
    of them, as given: nothing is repaired), e.g. the paper's own subsets in the paper presets."""
    if subset.encoding != "lists":
        if raw:
            raise ConfigError(
                "subset.lists", f'lists are read only with encoding = "lists", not {subset.encoding!r}', ["lists"]
            )
        return ()
    data = table("subset.lists", raw)
    if not data:
        raise ConfigError(
            "subset.lists",
            'encoding = "lists" needs at least one named list of languages, e.g. [subset.lists] mine = ["de", "sw"]',
        )
    available = set(subset.available)
    order = {code: i for i, code in enumerate(subset.available)}
    seen: dict[frozenset[str], str] = {}
    out = []
    for name, value in data.items():
        where = f"subset.lists.{name}"
        if not NAME.match(name):
            raise ConfigError(where, f"{name!r} is not a usable list name", ["letters, digits, '.', '_', '-'"])
        codes = _codes(where, Rule(str, many=True).check(where, value))
        if len(set(codes)) != len(value):  # (resolving may already have merged two forms of one code)
            raise ConfigError(where, "a language appears twice")
        for code in codes:
            if code not in available:
                raise ConfigError(
                    where,
                    f"{code!r} is not available in this search space (pool minus must_exclude and held_out)",
                    subset.available,
                )
        missing = [code for code in subset.must_include if code not in codes]
        if missing:
            raise ConfigError(where, f"misses required languages {missing} (subset.must_include)")
        if not subset.lower <= len(codes) <= subset.max_languages:
            raise ConfigError(
                where, f"{len(codes)} languages, outside the allowed sizes", [f"{subset.lower}..{subset.max_languages}"]
            )
        key = frozenset(codes)
        if key in seen:
            raise ConfigError(where, f"the same subset as subset.lists.{seen[key]}")
        seen[key] = name
        out.append((name, tuple(sorted(codes, key=order.__getitem__))))
    return tuple(out)


# ---------------------------------------------------------------------------------------------- [search]
def _parse_asha(data: Any) -> AshaConfig:
    asha = AshaConfig(**read("search.asha", AshaConfig, data))
    if asha.max_t < asha.grace_period:
        raise ConfigError(
            "search.asha.max_t",
            f"{asha.max_t} is below grace_period ({asha.grace_period}): every trial would be stopped "
            "before it may be compared",
            [f">= {asha.grace_period}"],
        )
    if asha.reduction_factor <= 1:
        raise ConfigError("search.asha.reduction_factor", f"{asha.reduction_factor} must be larger than 1", ["> 1"])
    return replace(asha, metric=check_objective("search.asha.metric", asha.metric, OBJECTIVE_GROUPS))


def _sampler_for_encoding(search: SearchSettings, subset: SubsetConfig, raw: Any) -> SearchSettings:
    """The subset sampler proposes ``lang/<code>`` booleans, so it needs the mask encoding. An omitted
    ``search.sampler`` is therefore the subset sampler for a mask space and TPE for the others (a file that
    only sets ``encoding = "strategy"`` keeps working); an explicit subset sampler with another encoding is
    refused, naming both fields."""
    given = isinstance(raw, Mapping) and "sampler" in raw
    if subset.encoding in SUBSET_SAMPLER_ENCODINGS or search.sampler != "subset":
        return search
    if not given:
        return replace(search, sampler="tpe")
    raise ConfigError(
        "search.sampler",
        f'"subset" proposes one lang/<code> boolean per language, so it needs subset.encoding = "mask", '
        f"not {subset.encoding!r}; set subset.encoding to one of {list(SUBSET_SAMPLER_ENCODINGS)} or "
        f"search.sampler to another sampler",
        [s for s in SAMPLERS if s != "subset"],
    )


def _parse_search(data: Any) -> SearchSettings:
    data = table("search", data)
    given = read("search", SearchSettings, {k: v for k, v in data.items() if k != "asha"})
    if "objectives" in given:
        objectives = tuple(Objective.parse(o, "search.objectives", OBJECTIVE_METRICS) for o in given["objectives"])
        if not objectives:
            raise ConfigError("search.objectives", "needs at least one objective", OBJECTIVE_METRICS)
        metrics = [o.metric for o in objectives]
        if len(set(metrics)) != len(metrics):
            raise ConfigError("search.objectives", f"a metric appears twice in {[str(o) for o in objectives]!r}")
        given["objectives"] = objectives
    settings = SearchSettings(**given, asha=_parse_asha(data.get("asha")))
    if settings.optuna_storage and not _RDB_URL.match(settings.optuna_storage):
        raise ConfigError(
            "search.optuna_storage",
            f"{settings.optuna_storage!r} is not an RDB URL",
            ['"" (in-memory)', "sqlite:///study.db", "postgresql://user@host/db", "mysql://user@host/db"],
        )
    if not settings.storage_path:
        raise ConfigError("search.storage_path", "must not be empty", ["a local folder", "s3://...", "gs://..."])
    return settings


def _check_asha_length(asha: AshaConfig, finetune: ParamSpace, experiment: ExperimentConfig) -> None:
    """ASHA stops a trial at ``max_t`` epochs. A trial that reaches it before its final report would be
    cut short whatever it scored (Optuna then sees it as pruned), so ``max_t`` must cover the longest
    trial: the highest ``finetune.epochs`` times the number of seeds (a multi-seed trial counts its
    epochs over all seeds)."""
    if not asha.enabled:
        return
    longest = int(finetune.get("epochs").extremes()[1]) * max(1, len(experiment.seeds))
    if asha.max_t < longest:
        raise ConfigError(
            "search.asha.max_t",
            f"{asha.max_t} epochs is shorter than the longest trial ({longest} epochs: finetune.epochs "
            "times the number of seeds), which ASHA would stop before it finishes",
            [f">= {longest}"],
        )


def _check_targets(experiment: ExperimentConfig, subset: SubsetConfig, search: SearchSettings) -> None:
    """An objective (or ASHA's metric) over a target group with no member among ``experiment.targets``
    would be NaN for every trial: the sampler could rank nothing (``targets = ["en"]``: English, the
    fine-tuning language, is in no group). ``targets = []`` (every language of the task) is not checked
    here: which languages that means depends on the world."""
    if not experiment.targets:
        return
    from spaces.targets import group_members

    metrics = [o.metric for o in search.objectives if o.metric in OBJECTIVE_GROUPS]
    if search.asha.enabled:
        metrics.append(search.asha.metric)
    pool = subset.available
    for metric in metrics:
        if not group_members(metric, experiment.targets, experiment.model, (), pool):
            raise ConfigError(
                "experiment.targets",
                f"{list(experiment.targets)} has no language in target group {metric!r}, so that objective "
                "would be empty (NaN) for every trial; add targets of that group or choose another objective",
                [g for g in OBJECTIVE_GROUPS if group_members(g, experiment.targets, experiment.model, (), pool)]
                or ["targets other than English"],
            )
