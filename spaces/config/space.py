"""The Optuna search space of a sweep: define-by-run sampling, its warm starts, and trial resolution.

``SearchSpace`` is the one object Ray's ``OptunaSearch`` gets (``space=``). What Ray 2.60 does with it, as
read in ``ray/tune/search/optuna/optuna_search.py``:

* ``space`` may be a callable taking an ``optuna.Trial``; Ray wraps the trial in a captor that records
  every ``suggest_*`` value under its name, calls the function, and -- if it returns a dict (``str`` keys
  only) -- merges ``{**captured, **returned}``; then ``unflatten_dict`` splits keys on ``"/"``. So
  ``realign/lr`` reaches the trainable as ``config["realign"]["lr"]``, ``lang/de`` as
  ``config["lang"]["de"]``, and a returned constant ``"languages"`` (no slash) stays top level.
  Constants are not recorded in the Optuna study, only in Ray's trial config and results.
* ``OptunaSearch.save`` pickles its ``__dict__`` with plain ``pickle`` into the experiment state, so the
  space is an instance of a module-level class holding only the (picklable) ``SearchConfig``: the pool
  filter is kept as text (``PoolFilter`` holds lambdas). Run folders saved before the config module was
  split hold the old classes; ``SearchSpace.__setstate__`` rebuilds their config (``spaces.config.legacy``).
* A define-by-run function slower than 1 s triggers a warning, so heuristic selections are memoised
  (``spaces.config.subsets``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from spaces.catalog import load_catalog
from spaces.config.sections import SearchConfig
from spaces.config.subsets import flatten_params, languages_for, pairs_per_language, realign_mode, seeded
from spaces.config.warm_start import warm_start_points
from spaces.errors import ConfigError
from spaces.fields import rule
from spaces.trial_config import FinetuneParams, RealignParams, TrialConfig

if TYPE_CHECKING:  # optuna is imported lazily: parsing a config must not pay its import cost
    import optuna

SUBSET_PARAMS = ("size", "strategy", "seed")


class SearchSpace:
    """Optuna define-by-run space for ``OptunaSearch(space=...)``, with what the sweep asks of it.

    Calling it samples every non-fixed ``realign``/``finetune`` domain, then the subset (unless mode is
    ``none``): strategy encoding -> ``subset/size`` in ``[lower, max_languages]``, ``subset/strategy`` from
    ``subset.choices`` (the strategies and their paper twins), and ``subset/seed`` only for ``random`` and
    the paper's per-seed lists; mask encoding -> ``lang/<code>`` booleans for the free languages; lists
    encoding -> ``subset/list``. The size range is static (TPE needs fixed distributions); a size above
    the trial's pair budget is clipped, and a paper strategy takes its nearest paper size. It returns the
    constants: fixed hyperparameters and ``languages``, the subset after repair, which is what the trial
    realigns on.
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
                constants[spec.name] = spec.suggest(trial)
        if realign_mode(cfg, {**constants, **values}) != "none":
            if sub.encoding == "lists":
                values["subset/list"] = trial.suggest_categorical("subset/list", [n for n, _ in sub.lists])
            elif sub.encoding == "strategy":
                values["subset/size"] = trial.suggest_int("subset/size", sub.lower, sub.max_languages)
                strategy = trial.suggest_categorical("subset/strategy", list(sub.choices))
                values["subset/strategy"] = strategy
                if seeded(strategy):
                    values["subset/seed"] = trial.suggest_int("subset/seed", 0, sub.seeds - 1)
            else:
                for code in sub.free:
                    values[f"lang/{code}"] = trial.suggest_categorical(f"lang/{code}", [False, True])
        constants["languages"] = languages_for(cfg, {**constants, **values})
        return constants

    def warm_start_points(self) -> list[dict[str, Any]]:
        """``points_to_evaluate`` ([] when warm start is off; see ``spaces.config.warm_start``)."""
        return warm_start_points(self.cfg)

    def resolve(self, sampled: Mapping[str, Any]) -> dict[str, Any]:
        """The ``TrialConfig`` dict a trainable runs for ``sampled`` (Ray's nested or flat names)."""
        return resolve_trial(self.cfg, dict(sampled)).to_dict()

    def languages(self, sampled: Mapping[str, Any]) -> list[str]:
        """The subset a sampled point realigns on: the ``languages`` constant, else resolved."""
        if "languages" in sampled:
            return list(sampled["languages"])
        return list(self.resolve(sampled)["languages"])

    def __setstate__(self, state: dict[str, Any]) -> None:
        from spaces.config.legacy import current

        self.__dict__.update(state)
        if self.cfg is not None:
            self.cfg = current(self.cfg)


def define_by_run(cfg: SearchConfig) -> SearchSpace:
    """The space function for ``OptunaSearch(space=define_by_run(cfg), ...)``."""
    return SearchSpace(cfg)


def _allowed_param_names(cfg: SearchConfig) -> set[str]:
    names = {spec.name for spec in cfg.specs()} | {"languages"}
    names |= {f"subset/{p}" for p in SUBSET_PARAMS} | {f"lang/{code}" for code in cfg.subset.free}
    names.add("subset/list")
    return names


def resolve_trial(cfg: SearchConfig, sampled: Mapping[str, Any]) -> TrialConfig:
    """What a Ray trial receives (nested or "/"-flat, with or without ``languages``) -> TrialConfig.

    Missing hyperparameters take the space's default (``Domain.default``). A given ``languages`` list is
    checked against the constraints (not repaired: it is what the trial will realign on); without it the
    subset is recomputed from the subset parameters by ``languages_for``.
    """
    flat = flatten_params(sampled)
    allowed = _allowed_param_names(cfg)
    for key in flat:
        if key not in allowed:
            raise ConfigError(key, "not a parameter of this search space", sorted(allowed))
    sections = {"realign": RealignParams, "finetune": FinetuneParams}
    hparams = {}
    for spec in cfg.specs():
        section, name = spec.name.split("/", 1)
        hparams[spec.name] = (
            rule(sections[section], name).check(f"{section}.{name}", flat[spec.name])
            if spec.name in flat
            else spec.default()
        )
    if "languages" in flat:
        languages = _checked_languages(cfg, flat["languages"], {**flat, **hparams})
    else:
        languages = languages_for(cfg, {**flat, **hparams})
    realign = RealignParams(**{s.field_name: hparams[s.name] for s in cfg.realign.params})
    finetune = FinetuneParams(**{s.field_name: hparams[s.name] for s in cfg.finetune.params})
    exp = cfg.experiment
    trial = TrialConfig(
        languages=tuple(languages),
        world=exp.world,
        model=exp.model,
        task=exp.task,
        seed=exp.seed,
        targets=exp.targets,
        realign=realign,
        finetune=finetune,
        sweep_pool=cfg.subset.available,
        seeds=exp.seeds if len(exp.seeds) > 1 else (),
    )
    trial.check()
    return trial


def _checked_languages(cfg: SearchConfig, given: Any, flat: Mapping[str, Any]) -> list[str]:
    if isinstance(given, str) or not isinstance(given, Iterable):
        raise ConfigError("languages", f"expected a list of language codes, got {given!r}")
    given_codes = set(load_catalog().resolve(list(given), "languages"))
    codes = [code for code in load_catalog().codes() if code in given_codes]  # catalog order
    if realign_mode(cfg, flat) == "none":
        return codes
    sub = cfg.subset
    for code in codes:
        if code not in sub.available:
            raise ConfigError(
                "languages",
                f"{code!r} is not available in this search space (pool minus must_exclude and held_out)",
                sub.available,
            )
    missing = [code for code in sub.must_include if code not in codes]
    if missing:
        raise ConfigError("languages", f"missing required languages {missing} (subset.must_include)")
    lower, upper = sub.lower, sub.upper(pairs_per_language(cfg, flat))
    if not lower <= len(codes) <= upper:
        raise ConfigError("languages", f"{len(codes)} languages, outside the allowed sizes", [f"{lower}..{upper}"])
    return codes
