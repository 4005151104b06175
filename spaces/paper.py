"""The paper's own language subsets, as strategies: ``paper:<name>`` at the sizes (and seeds) it ran.

``spaces.heuristics`` recomputes the paper's heuristics for any size and pool; its optimiser does not
reproduce the paper's lists (it shares 2 of 10 languages with the paper's ``most_uriel_en_10``). Where
the paper's exact list is known it is the one to use — for a warm start, a replay, a comparison — so
every list the paper ran is available here under the name of its result folder without the size:
``paper:most_uriel_en`` at 5, 10, 20 or 40, ``paper:abla_most_uriel_joshi2`` at 10, ``paper:xt_only``
at 47. ``random_langs_with_seed_*`` and ``abla_random_*`` drew one list per paper seed, so those take a
paper seed. ``paper:random`` and ``paper:all`` name the ``random_langs_with_seed`` and ``xt_afri``
folders (their folder names work too).

The lists come from the paper's published results (MIT; ``trainables/published/LICENSE``), extracted
into ``spaces/data/paper_subsets.json`` by ``python -m trainables.published.build``, so this module needs
no ``trainables`` import. The three folders that ran all 65 languages under a smaller size's name are
absent and listed by ``mislabelled``. ``name_checks`` computes, for every folder, whether its lists
contradict its own name by its own criterion (e.g. ``least_same_script_20`` is more diverse than
``most_same_script_20``); those lists stay available, flagged.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import combinations

import numpy as np

from spaces.catalog import ENGLISH, load_catalog
from spaces.errors import ConfigError
from spaces.pool import parse_pool

PREFIX = "paper:"
DATA_FILE = "paper_subsets.json"
ALIASES = {"random_langs_with_seed": "random", "xt_afri": "all"}  # folder name -> strategy name
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class PaperList:
    """One list the paper realigned on: its result folder, size, paper seed (per-seed folders only), the
    languages (canonical codes, in the paper's order) and the ``model/task`` pairs that ran it."""

    folder: str
    strategy: str
    size: int
    seed: int | None
    languages: tuple[str, ...]
    ran: tuple[str, ...]

    def in_catalog_order(self) -> tuple[str, ...]:
        """The languages as a search space lists a subset (``spaces.config``: catalog order)."""
        return tuple(load_catalog().codes(lambda lang: lang.code in set(self.languages)))

    def fits(self, available: Collection[str], include: Collection[str] = ()) -> bool:
        """Whether a space whose subsets come from ``available`` and must contain ``include`` allows it."""
        return set(self.languages) <= set(available) and set(include) <= set(self.languages)


@lru_cache(maxsize=1)
def _payload() -> dict:
    return json.loads(resources.files("spaces.data").joinpath(DATA_FILE).read_text("utf-8"))


@lru_cache(maxsize=1)
def paper_lists() -> tuple[PaperList, ...]:
    """Every list the paper ran, by strategy, size and seed."""
    catalog = load_catalog()
    out = []
    for item in _payload()["lists"]:
        out.append(
            PaperList(
                folder=item["folder"],
                strategy=item["strategy"],
                size=int(item["size"]),
                seed=item["seed"],
                languages=tuple(catalog.resolve(item["languages"], DATA_FILE)),
                ran=tuple(item["ran"]),
            )
        )
    return tuple(sorted(out, key=lambda p: (p.strategy, p.size, -1 if p.seed is None else p.seed)))


def mislabelled() -> dict[str, str]:
    """Folders left out because their runs do not match their name: folder -> why."""
    return dict(_payload()["mislabelled"])


def is_paper(strategy: str) -> bool:
    return strategy.startswith(PREFIX)


def paper_names() -> list[str]:
    """Every ``paper:<name>`` strategy."""
    return [PREFIX + name for name in sorted({p.strategy for p in paper_lists()})]


def canonical(strategy: str, field: str = "subset.strategy") -> str:
    """``paper:<name>`` in canonical spelling (folder names such as ``xt_afri`` resolve to theirs)."""
    name = strategy[len(PREFIX) :] if is_paper(strategy) else strategy
    name = ALIASES.get(name, name)
    if PREFIX + name not in paper_names():
        raise ConfigError(field, f"the paper ran no strategy {strategy!r}", paper_names())
    return PREFIX + name


def lists_of(strategy: str) -> list[PaperList]:
    """The lists of one paper strategy, by size then seed."""
    name = canonical(strategy)[len(PREFIX) :]
    return [p for p in paper_lists() if p.strategy == name]


def sizes(strategy: str) -> list[int]:
    return sorted({p.size for p in lists_of(strategy)})


def seeds(strategy: str, size: int) -> list[int]:
    """The paper seeds that drew their own list at ``size`` (empty: one list for every seed)."""
    return sorted(p.seed for p in lists_of(strategy) if p.size == size and p.seed is not None)


def paper_list(strategy: str, size: int, seed: int | None = None) -> PaperList:
    """The list ``strategy`` ran at ``size`` (and paper ``seed`` where each seed drew its own list)."""
    name = canonical(strategy)
    if size not in sizes(name):
        raise ConfigError(
            "subset.size", f"the paper ran {name} at {_sizes_text(name)}, not at size {size}", sizes(name)
        )
    options = [p for p in lists_of(name) if p.size == size]
    if options[0].seed is None:
        return options[0]
    by_seed = {p.seed: p for p in options}
    if seed not in by_seed:
        raise ConfigError(
            "subset.seed",
            f"{name} drew one list per paper seed at size {size}; "
            f"{'pick one' if seed is None else f'seed {seed} is not one of them'}",
            sorted(by_seed),
        )
    return by_seed[seed]


def _sizes_text(name: str) -> str:
    found = sizes(name)
    return ("size " if len(found) == 1 else "sizes ") + ", ".join(map(str, found))


# ----------------------------------------------------------------------------------------------
# Do the lists match their names? Each folder's own criterion, checked against chance and its opposite.


@dataclass(frozen=True)
class Criterion:
    """What a folder's name promises: ``kind`` (a ``spaces.heuristics`` objective name, or
    ``scripts`` = number of distinct scripts), its sense, and the pool its languages must come from."""

    kind: str
    maximise: bool | None  # None: membership only (random draws, whole groups)
    pool: str = "all"
    one_script: bool = False  # *_same_script: every language in the largest script of the pool
    whole_pool: bool = False  # group folders (xt_only ...): the entire pool


_ABLATION_POOLS = {
    "joshi2": "joshi<=2",
    "joshi3": "joshi=3",
    "joshi35": "joshi>=3",
    "joshi45": "joshi>=4",
    "seen_mbert": "seen_mbert",
    "unseen_mbert": "!seen_mbert",
    "seen_xlmr": "seen_xlmr",
    "unseen_xlmr": "!seen_xlmr",
}
_GROUP_POOLS = {
    "all": "all",
    "xt_only": "group=xtreme_r",
    "afri_only": "group=african",
    "opus_only": "source=opus100",
    "nllb_only": "source=nllb",
}


def criterion(strategy: str) -> Criterion | None:
    """The criterion a paper strategy's name states (the paper's README describes each), if any."""
    from spaces.heuristics import STRATEGY_OBJECTIVES

    name = canonical(strategy)[len(PREFIX) :]
    if name == "most_distinct_script":
        return Criterion("scripts", True)
    if name in STRATEGY_OBJECTIVES:
        return Criterion(name, name.startswith("most"), one_script="same_script" in name)
    if name in _GROUP_POOLS:
        return Criterion("group", None, _GROUP_POOLS[name], whole_pool=True)
    if name == "random":
        return Criterion("random", None)
    for prefix, kind in (
        ("abla_most_uriel_", "most_uriel"),
        ("abla_most_family_", "most_family_en"),
        ("abla_most_script_", "scripts"),
        ("abla_random_", "random"),
    ):
        if name.startswith(prefix) and name[len(prefix) :] in _ABLATION_POOLS:
            return Criterion(kind, None if kind == "random" else True, _ABLATION_POOLS[name[len(prefix) :]])
    return None


def criterion_value(kind: str, codes: Sequence[str]) -> float:
    """The criterion of a list: distinct scripts, or the heuristic's sum of pairwise distances."""
    from spaces.heuristics import STRATEGY_OBJECTIVES, objective

    if kind == "scripts":
        return float(len({load_catalog().get(c).script for c in codes}))
    goal = STRATEGY_OBJECTIVES[kind]
    return objective(codes, goal.kind, goal.with_english)


def chance_value(kind: str, candidates: Sequence[str], size: int) -> float:
    """The exact mean criterion of a uniformly random ``size``-subset of ``candidates`` (what a "most"
    list must beat and a "least" list must stay under)."""
    from spaces.heuristics import STRATEGY_OBJECTIVES
    from spaces.typology import load_typology

    n = len(candidates)
    if kind == "scripts":  # E[#scripts] = sum over scripts of P(the subset has one of them)
        counts = Counter(load_catalog().get(c).script for c in candidates)
        return sum(1 - math.comb(n - m, size) / math.comb(n, size) for m in counts.values())
    goal = STRATEGY_OBJECTIVES[kind]
    matrix = load_typology().matrix(goal.kind, list(candidates))
    pairs = [matrix[i, j] for i, j in combinations(range(n), 2)]
    value = math.comb(size, 2) * float(np.mean(pairs)) if pairs else 0.0
    if goal.with_english:
        value += size * float(np.mean(load_typology().matrix(goal.kind, [ENGLISH, *candidates])[0, 1:]))
    return value


def _candidates(rule: Criterion) -> list[str]:
    pool = parse_pool(rule.pool).languages()
    if rule.one_script:  # the script with the most pool languages, as spaces.heuristics does
        scripts = Counter(load_catalog().get(c).script for c in pool)
        top = min(scripts, key=lambda s: (-scripts[s], s))
        pool = [c for c in pool if load_catalog().get(c).script == top]
    return pool


@lru_cache(maxsize=1)
def name_checks() -> dict[str, tuple[str, ...]]:
    """Folder -> the ways its lists contradict its own name (empty: none found).

    Three checks, each by the folder's own criterion (``criterion``): every language comes from the pool
    the name states (and a group folder holds the whole group); a "most" list beats the mean of random
    lists of its size from that pool, a "least" list stays under it; a "most" list beats the "least"
    list of the same criterion and size.
    """
    found: dict[str, list[str]] = defaultdict(list)
    value: dict[tuple[str, int], float] = {}
    for plist in paper_lists():
        rule = criterion(PREFIX + plist.strategy)
        if rule is None:
            continue
        pool = _candidates(rule)
        outside = [c for c in plist.languages if c not in pool]
        if outside:
            found[plist.folder].append(f"{', '.join(outside)} lie outside its pool ({_pool_text(rule)})")
        if rule.whole_pool and not outside and len(plist.languages) != len(pool):
            found[plist.folder].append(
                f"holds {len(plist.languages)} of the {len(pool)} languages of {_pool_text(rule)}"
            )
        if rule.maximise is None or outside:
            continue
        mine = criterion_value(rule.kind, plist.languages)
        value[(plist.strategy, plist.size)] = mine
        chance = chance_value(rule.kind, pool, plist.size)
        wrong = mine < chance - _TOLERANCE if rule.maximise else mine > chance + _TOLERANCE
        if wrong:
            found[plist.folder].append(
                f"its {_kind_text(rule.kind)} {mine:.2f} is {'below' if rule.maximise else 'above'} the "
                f"{chance:.2f} of a random {plist.size}-subset of {_pool_text(rule)}"
            )
    for (name, size), mine in value.items():
        if name.startswith("most_") and ("least_" + name[5:], size) in value:
            other = value[("least_" + name[5:], size)]
            if mine < other - _TOLERANCE:
                for folder, side in ((f"{name}_{size}", "below"), (f"least_{name[5:]}_{size}", "above")):
                    found[folder].append(
                        f"its {_kind_text(name)} is {side} that of its opposite (most {mine:.2f} < least {other:.2f})"
                    )
    return {plist.folder: tuple(found.get(plist.folder, ())) for plist in paper_lists()}


def _pool_text(rule: Criterion) -> str:
    if rule.one_script:
        return f"the {load_catalog().get(_candidates(rule)[0]).script} pool languages"
    return "the whole pool" if rule.pool == "all" else f"pool {rule.pool}"


def _kind_text(kind: str) -> str:
    from spaces.heuristics import STRATEGY_OBJECTIVES

    if kind == "scripts":
        return "number of scripts"
    goal = STRATEGY_OBJECTIVES[kind]
    return f"sum of pairwise {goal.kind} distances{' with English' if goal.with_english else ''}"


def flags(strategy: str, size: int) -> tuple[str, ...]:
    """What ``name_checks`` found for the folder that ran ``strategy`` at ``size``."""
    return name_checks().get(
        paper_list(strategy, size, seeds(strategy, size)[0] if seeds(strategy, size) else None).folder, ()
    )
