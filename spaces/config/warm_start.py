"""Warm starts: the paper's subsets and our heuristics as the first points a sweep evaluates.

Ray's ``OptunaSearch`` passes ``points_to_evaluate`` to ``study.enqueue_trial``; the enqueued values are
used by the matching ``suggest_*`` calls of the define-by-run function (``spaces.config.space``), so a
point names exactly the parameters that function suggests (conditional ones only when their condition
holds), with values inside their distributions.
"""

from __future__ import annotations

from typing import Any

from spaces.config.domains import Choice
from spaces.config.sections import SearchConfig
from spaces.config.subsets import pairs_per_language, seeded, subset_of
from spaces.paper import PREFIX as PAPER_PREFIX
from spaces.paper import is_paper


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
    hparams = {spec.name: spec.default() for spec in cfg.sampled()}
    mode_spec = cfg.realign.get("mode")
    mode = mode_spec.default()
    points: list[tuple[str, dict[str, Any], tuple[str, ...]]] = []
    realigning = [m for m in mode_spec.choices if m != "none"] if isinstance(mode_spec, Choice) else []
    if mode == "none" and realigning:  # the heuristics' points realign; the baseline is added below
        mode = hparams[mode_spec.name] = realigning[0]
    if mode != "none" and sub.encoding == "lists":  # every listed subset, in file order
        points += [(name, {**hparams, "subset/list": name}, tuple(codes)) for name, codes in sub.lists]
    elif mode != "none":
        lower = sub.lower
        upper = sub.upper(pairs_per_language(cfg, hparams))
        seen: set[tuple[str, ...]] = set()
        for label, strategy, size in _warm_proposals(cfg, lower, upper):
            subset_params: dict[str, Any] = {"subset/size": size, "subset/strategy": strategy}
            if seeded(strategy):
                subset_params["subset/seed"] = 0
            languages = tuple(subset_of(cfg, strategy, size, 0, upper))
            if languages in seen:
                continue
            seen.add(languages)
            if sub.encoding == "mask":
                subset_params = {f"lang/{code}": code in languages for code in sub.free}
            points.append((label, {**hparams, **subset_params}, languages))
    if mode_spec.contains("none"):
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
        proposals += [
            (f"{twin}@{size}", twin, size) if size in ran else (f"{strategy}@{size}", strategy, size) for size in sizes
        ]
    computed = [s for s in sub.choices if not is_paper(s)]
    if len(sub.available) <= upper and computed:  # any computed strategy at the full size is the whole pool
        proposals.append((f"all@{len(sub.available)}", computed[0], len(sub.available)))
    return proposals
