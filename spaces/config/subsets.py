"""Subset constraints and repair: from sampled subset parameters to the languages a trial realigns on.

Whatever the sampler proposes (a strategy at a size, a mask over the free languages, a named list), the
languages that come out lie within the space's constraints: ``lower <= n <= upper(pairs_per_language)``,
every must_include in, must_exclude and held_out out. A heuristic that cannot fill a size is topped up,
a proposal with too many or too few languages is repaired deterministically, never failed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from spaces.config.sections import SearchConfig
from spaces.errors import ConfigError
from spaces.paper import canonical, is_paper, lists_of
from spaces.pool import parse_pool


def strategies() -> tuple[str, ...]:
    """The computed strategies (``spaces.heuristics``, imported lazily: it loads the typology)."""
    from spaces.heuristics import STRATEGIES

    return tuple(STRATEGIES)


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
def _select(
    strategy: str, size: int, pool: str | tuple[str, ...], seed: int, include: tuple[str, ...], exclude: tuple[str, ...]
) -> tuple[str, ...]:
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
    elif strategy not in strategies():
        raise ConfigError("strategy", f"unknown strategy {strategy!r}", strategies())
    return subset_of(cfg, strategy, min(max(size, sub.lower), sub.max_languages), seed, sub.max_languages)


def subset_of(cfg: SearchConfig, strategy: str, size: int, seed: int, upper: int) -> list[str]:
    """The subset a strategy gives at an allowed ``size`` for a trial allowed at most ``upper`` languages."""
    if is_paper(strategy):
        return _paper_languages(cfg, strategy, size, seed, upper)
    return _strategy_languages(cfg, strategy, size, seed)


def _strategy_languages(cfg: SearchConfig, strategy: str, size: int, seed: int) -> list[str]:
    """A heuristic's subset at an allowed ``size`` (``all``: the whole available pool)."""
    if strategy == "all":  # parse_search_config guarantees the whole pool is an allowed size
        size = len(cfg.subset.available)
    return repair(cfg, _feasible_select(cfg, strategy, size, seed), size, size)


def _paper_languages(cfg: SearchConfig, strategy: str, size: int, seed: int, upper: int) -> list[str]:
    """The paper's list for a ``paper:<name>`` strategy: among the lists this space allows that fit the
    trial's ``upper`` (its pair budget), the one at the size nearest ``size`` (ties: the smaller), and for
    per-seed folders the ``seed % n``-th paper seed's. Should no list fit ``upper``, the smallest is cut to
    it by ``repair``: a trial never breaks its constraints."""
    options = cfg.subset.paper_options(strategy)
    fitting = [p for p in options if p.size <= upper]
    if not fitting:
        smallest = min(options, key=lambda p: p.size)
        return repair(cfg, smallest.languages, cfg.subset.lower, upper)
    nearest = min({p.size for p in fitting}, key=lambda k: (abs(k - size), k))
    at_size = [p for p in fitting if p.size == nearest]
    chosen = at_size[seed % len(at_size)]
    return repair(cfg, chosen.languages, chosen.size, chosen.size)


def seeded(strategy: str) -> bool:
    """Whether a strategy draws with ``subset/seed``: ``random``, and the paper's per-seed folders."""
    return strategy == "random" or (is_paper(strategy) and any(p.seed is not None for p in lists_of(strategy)))


def _feasible_select(cfg: SearchConfig, strategy: str, size: int, seed: int) -> tuple[str, ...]:
    """The heuristic's subset at ``size``, or at the largest size it can reach when a strategy cannot
    fill ``size`` (``most_same_script`` on a pool with few languages of one script); ``repair`` then
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


def pairs_per_language(cfg: SearchConfig, flat: Mapping[str, Any]) -> int:
    spec = cfg.realign.get("pairs_per_language")
    return int(flat.get(spec.name, spec.default()))


def realign_mode(cfg: SearchConfig, flat: Mapping[str, Any]) -> str:
    spec = cfg.realign.get("mode")
    return flat.get(spec.name, spec.default())


def repair(cfg: SearchConfig, proposal: Iterable[str], lower: int, upper: int) -> list[str]:
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
    if realign_mode(cfg, flat) == "none":
        return []
    sub = cfg.subset
    if sub.encoding == "lists":
        return list(sub.named_list(str(flat.get("subset/list", sub.lists[0][0]))))
    lower, upper = sub.lower, sub.upper(pairs_per_language(cfg, flat))
    if sub.encoding == "strategy":
        strategy = flat.get("subset/strategy", sub.strategies[0])
        if strategy not in sub.choices:
            raise ConfigError(
                "subset/strategy", f"{strategy!r} is not in subset.strategies (nor a paper twin of one)", sub.choices
            )
        size = min(max(int(flat.get("subset/size", upper)), lower), upper)
        return subset_of(cfg, strategy, size, int(flat.get("subset/seed", 0)), upper)
    ranked = [code for code in sub.free if bool(flat.get(f"lang/{code}", False))]
    return repair(cfg, ranked, lower, upper)
