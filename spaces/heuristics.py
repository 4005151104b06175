"""The paper's language-subset heuristics, computed instead of hard-coded.

The paper published only the lists its heuristics produced; this module recomputes them for any size,
pool filter (``spaces.pool``), forced ``include`` and ``exclude``, so a search can use them as a subset
encoding or as warm-start points.

Objective (exact definition). For a subset S, a distance kind d (``spaces.typology``) and a set of
anchors A (English when the strategy counts English as already chosen, plus every ``include`` code),

    objective(S) = sum over unordered pairs {x, y} of S ∪ A, x != y, of d(x, y)

i.e. max-sum dispersion; for a fixed size it is the mean pairwise distance times C(|S ∪ A|, 2). The
"most" strategies maximise it, the "least" strategies minimise the very same quantity. Genetic distance
is coarse (most pairs of unrelated languages sit at exactly 1), so for the family strategies ties on
the genetic sum are broken by the featural sum (lexicographic: genetic first, to 1e-9).

Optimisation (``spaces.dispersion``). Greedy first: start from the anchors (without anchors, from the
best pair), then add the candidate with the best marginal gain; ties go to the earlier catalog language.
Then local search: apply the best improving 1-for-1 swap (member out, non-member in) until none
improves, from the plain greedy answer and from greedy runs seeded with each candidate in turn
(multi-start: the coarse genetic distance has plateaus a single swap cannot leave); the best local
optimum wins. When the pool is small, i.e. C(candidates, k) <= ``EXACT_LIMIT``, every subset is
enumerated instead and the optimum returned. Local search starts at the greedy answer and only accepts
improvements, and ``select`` finally keeps the greedy answer if it were ever better, so the result is
never worse than plain ``greedy``.

Strategies (``STRATEGIES``; names follow the paper's result folders):

- ``most_uriel_en`` / ``least_uriel_en``: maximise / minimise the featural objective, English anchored
  ("diverse from English": English counts as already chosen).
- ``most_uriel`` / ``least_uriel``: the same without English.
- ``most_family_en`` / ``least_family_en``: maximise / minimise the genetic objective (ties: featural),
  English anchored ("disperse from English"). Minimising a sum over all pairs packs one tight family;
  English is only one anchor among k + 1, so the cluster need not be English's relatives.
- ``most_distinct_script``: first one language per distinct non-Latin script not covered by ``include``
  (at most one per script; the representatives maximise the featural objective with English); once every
  such script is covered, the rest is filled like ``most_uriel_en`` around them.
- ``most_same_script`` / ``least_same_script``: maximise / minimise the featural objective (without
  English) inside ONE script: the script with the most available pool languages (ties: alphabetical
  ISO 15924 code), i.e. Latin on the full pool. Narrow the pool (``script=Cyrl``) to choose another.
  ``include`` languages are forced in whatever their script.
- ``random``: a uniform sample without replacement, ``numpy.random.default_rng(seed)``.
- ``all``: the whole (filtered, minus excluded) pool; ``size`` must equal its size.
- ``paper:<name>``: not computed — the paper's own list at a size it ran (``spaces.paper``).

These are our optimisation of the criterion each paper folder is named after. On the full pool, at the
paper's sizes, they score at least as well on that criterion as the paper's own lists but share few of
their languages (``realign-search paper-subsets --overlap`` prints the comparison); use ``paper:<name>``
for the paper's exact lists.

Only ``random`` uses ``seed``. ``include`` codes are forced in and count toward ``size`` (they must lie
in the pool); ``exclude`` codes are removed from the pool. Results are canonical codes in catalog order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from spaces.catalog import ENGLISH, load_catalog
from spaces.dispersion import TIE_DECIMALS, Problem, greedy_indices, optimise_indices
from spaces.errors import ConfigError
from spaces.paper import PREFIX as PAPER_PREFIX
from spaces.paper import paper_list
from spaces.pool import PoolFilter, parse_pool
from spaces.typology import KINDS, load_typology

STRATEGIES = (
    "most_uriel_en",
    "least_uriel_en",
    "most_uriel",
    "least_uriel",
    "most_family_en",
    "least_family_en",
    "most_distinct_script",
    "most_same_script",
    "least_same_script",
    "random",
    "all",
)
EXACT_LIMIT = 20_000  # enumerate every subset when there are at most this many
LATIN = "Latn"


@dataclass(frozen=True)
class DistanceGoal:
    """What a diversity strategy optimises: sum of pairwise ``kind`` distances over the subset (not a
    search objective, ``spaces.vocab.Objective``: a strategy's own criterion)."""

    kind: str
    with_english: bool
    maximise: bool
    tie_break: str | None = None


STRATEGY_OBJECTIVES: dict[str, DistanceGoal] = {
    "most_uriel_en": DistanceGoal("featural", True, True),
    "least_uriel_en": DistanceGoal("featural", True, False),
    "most_uriel": DistanceGoal("featural", False, True),
    "least_uriel": DistanceGoal("featural", False, False),
    "most_family_en": DistanceGoal("genetic", True, True, tie_break="featural"),
    "least_family_en": DistanceGoal("genetic", True, False, tie_break="featural"),
    "most_distinct_script": DistanceGoal("featural", True, True),
    "most_same_script": DistanceGoal("featural", False, True),
    "least_same_script": DistanceGoal("featural", False, False),
}


def objective(codes: Sequence[str], kind: str = "featural", with_english: bool = False) -> float:
    """Sum of pairwise ``kind`` distances over ``codes`` (plus English when ``with_english``).

    Any code form is accepted; duplicates and an English entry in ``codes`` are dropped, so English
    enters only through ``with_english`` and a pick scores the same however it was spelled."""
    if kind not in KINDS:
        raise ConfigError("kind", f"unknown distance kind {kind!r}", KINDS)
    members = [c for c in load_catalog().resolve(codes) if c != ENGLISH]
    if with_english:
        members = [ENGLISH, *members]
    if len(members) < 2:
        return 0.0
    matrix = load_typology().matrix(kind, members)
    return float(matrix[np.triu_indices(len(members), k=1)].sum())


# ---------------------------------------------------------------------------------------------------
# The problem the optimiser (spaces.dispersion) solves, from a strategy's goal.


def _problem(
    goal: DistanceGoal, anchors: Sequence[str], candidates: Sequence[str], k: int, groups: Sequence[int] | None = None
) -> Problem:
    typology = load_typology()
    universe = [*anchors, *candidates]
    sign = 1.0 if goal.maximise else -1.0
    rows = slice(len(anchors), None)
    primary = sign * typology.matrix(goal.kind, universe)[rows]
    secondary = sign * typology.matrix(goal.tie_break, universe)[rows] if goal.tie_break else np.zeros_like(primary)
    group_ids = np.full(len(candidates), -1) if groups is None else np.asarray(groups, dtype=int)
    return Problem(tuple(anchors), tuple(candidates), k, primary, secondary, group_ids)


@dataclass(frozen=True)
class _Request:
    strategy: str
    size: int
    include: tuple[str, ...]
    available: tuple[str, ...]  # pool minus exclude minus include, catalog order


def _request(
    strategy: str,
    size: int,
    pool: str | Sequence[str] | PoolFilter | None,
    include: Sequence[str],
    exclude: Sequence[str],
) -> _Request:
    if strategy not in STRATEGIES:
        raise ConfigError("subset.strategy", f"unknown strategy {strategy!r}", STRATEGIES)
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ConfigError("subset.size", f"size must be a positive integer, not {size!r}")
    catalog = load_catalog()
    pool_filter = parse_pool(pool, "subset.pool")
    pool_codes = pool_filter.languages()
    forced = catalog.resolve(include, "subset.include")
    dropped = [c for c in catalog.resolve(exclude, "subset.exclude") if c != ENGLISH]
    for code in forced:
        if code not in pool_codes:
            raise ConfigError("subset.include", f"{code!r} is not in the pool {pool_filter.describe()!r}", pool_codes)
    both = [c for c in forced if c in dropped]
    if both:
        raise ConfigError("subset.include", f"{', '.join(both)} both included and excluded")
    available = [c for c in pool_codes if c not in dropped and c not in forced]
    if len(forced) > size:
        raise ConfigError(
            "subset.size",
            f"size {size} is smaller than the {len(forced)} included languages",
            [f"{len(forced)}..{len(forced) + len(available)}"],
        )
    if size > len(forced) + len(available):
        raise ConfigError(
            "subset.size",
            f"size {size} exceeds the {len(forced) + len(available)} languages available "
            f"in pool {pool_filter.describe()!r}",
            [f"{max(1, len(forced))}..{len(forced) + len(available)}"],
        )
    return _Request(strategy, int(size), tuple(forced), tuple(available))


def _same_script_candidates(req: _Request) -> list[str]:
    """The available languages of the script with the most of them (ties: alphabetical script code)."""
    catalog = load_catalog()
    counts: dict[str, int] = {}
    for code in req.available:
        script = catalog.get(code).script
        counts[script] = counts.get(script, 0) + 1
    script = min(counts, key=lambda s: (-counts[s], s)) if counts else LATIN
    candidates = [c for c in req.available if catalog.get(c).script == script]
    needed = req.size - len(req.include)
    if needed > len(candidates):
        raise ConfigError(
            "subset.size",
            f"{req.strategy} draws from the {len(candidates)} available "
            f"{script} languages, fewer than the {needed} needed",
            [f"{max(1, len(req.include))}..{len(req.include) + len(candidates)}"],
        )
    return candidates


def _solve(
    goal: DistanceGoal,
    anchors: list[str],
    candidates: Sequence[str],
    k: int,
    exact_limit: int | None,
    groups: Sequence[int] | None = None,
) -> list[str]:
    prob = _problem(goal, anchors, candidates, k, groups)
    picked = greedy_indices(prob) if exact_limit is None else optimise_indices(prob, exact_limit)
    return [prob.candidates[i] for i in picked]


def _diverse(req: _Request, exact_limit: int | None) -> list[str]:
    """Run a diversity strategy; ``exact_limit=None`` means plain greedy (the comparison baseline)."""
    catalog = load_catalog()
    goal = STRATEGY_OBJECTIVES[req.strategy]
    anchors = [ENGLISH, *req.include] if goal.with_english else list(req.include)
    needed = req.size - len(req.include)
    if req.strategy in ("most_same_script", "least_same_script"):
        return _solve(goal, anchors, _same_script_candidates(req), needed, exact_limit)
    if req.strategy != "most_distinct_script":
        return _solve(goal, anchors, req.available, needed, exact_limit)
    # most_distinct_script: one language per non-Latin script not yet covered by `include`, then fill.
    covered = {catalog.get(c).script for c in req.include}
    scripted = [c for c in req.available if catalog.get(c).script not in covered | {LATIN}]
    scripts = sorted({catalog.get(c).script for c in scripted})
    first_k = min(needed, len(scripts))
    groups = [scripts.index(catalog.get(c).script) for c in scripted]
    first = _solve(goal, anchors, scripted, first_k, exact_limit, groups)
    rest = [c for c in req.available if c not in first]
    return first + _solve(goal, [*anchors, *first], rest, needed - first_k, exact_limit)


def _in_catalog_order(codes: Sequence[str]) -> list[str]:
    wanted = set(codes)
    return load_catalog().codes(lambda lang: lang.code in wanted)


def _strategy_score(strategy: str, codes: Sequence[str]) -> tuple[float, float]:
    """(primary, tie-break) objective of a pick, oriented so that larger is better."""
    goal = STRATEGY_OBJECTIVES[strategy]
    sign = 1.0 if goal.maximise else -1.0
    primary = round(sign * objective(codes, goal.kind, goal.with_english), TIE_DECIMALS)
    secondary = sign * objective(codes, goal.tie_break, goal.with_english) if goal.tie_break else 0.0
    return primary, secondary


def select(
    strategy: str,
    size: int,
    pool: str | Sequence[str] | PoolFilter | None = None,
    seed: int | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    *,
    exact_limit: int = EXACT_LIMIT,
) -> list[str]:
    """The subset ``strategy`` picks: ``size`` canonical codes in catalog order (see module docstring).

    ``paper:<name>`` returns the paper's own list (``spaces.paper``, in the paper's order) at a size, and
    for per-seed folders a paper ``seed``, that the paper ran; it must lie in the pool, avoid ``exclude``
    and contain ``include``. ``seed`` None is 0 for ``random``.
    """
    if strategy.startswith(PAPER_PREFIX):
        return _paper_select(strategy, size, pool, seed, include, exclude)
    seed = 0 if seed is None else seed
    req = _request(strategy, size, pool, include, exclude)
    if strategy == "all":
        total = len(req.include) + len(req.available)
        if req.size != total:
            raise ConfigError("subset.size", f"strategy 'all' takes the whole pool of {total}, not {req.size}", [total])
        return _in_catalog_order([*req.include, *req.available])
    if strategy == "random":
        rng = np.random.default_rng(seed)
        drawn = rng.choice(len(req.available), size=req.size - len(req.include), replace=False)
        return _in_catalog_order([*req.include, *(req.available[i] for i in drawn)])
    optimised = [*req.include, *_diverse(req, exact_limit)]
    baseline = [*req.include, *_diverse(req, None)]
    if _strategy_score(strategy, baseline) > _strategy_score(strategy, optimised):
        optimised = baseline
    return _in_catalog_order(optimised)


def _paper_select(
    strategy: str,
    size: int,
    pool: str | Sequence[str] | PoolFilter | None,
    seed: int | None,
    include: Sequence[str],
    exclude: Sequence[str],
) -> list[str]:
    chosen = paper_list(strategy, size, seed)
    catalog = load_catalog()
    pool_filter = parse_pool(pool, "subset.pool")
    outside = [c for c in chosen.languages if c not in pool_filter]
    if outside:
        raise ConfigError(
            "subset.pool",
            f"the paper's {chosen.folder} list has {', '.join(outside)}, outside pool {pool_filter.describe()!r}",
        )
    dropped = [c for c in chosen.languages if c in catalog.resolve(exclude, "subset.exclude")]
    if dropped:
        raise ConfigError("subset.exclude", f"the paper's {chosen.folder} list has {', '.join(dropped)}")
    missing = [c for c in catalog.resolve(include, "subset.include") if c not in chosen.languages]
    if missing:
        raise ConfigError(
            "subset.include", f"the paper's {chosen.folder} list lacks {', '.join(missing)}", chosen.languages
        )
    return list(chosen.languages)


def greedy(
    strategy: str,
    size: int,
    pool: str | Sequence[str] | PoolFilter | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> list[str]:
    """Plain greedy for a diversity strategy: the baseline ``select`` never does worse than."""
    if strategy not in STRATEGY_OBJECTIVES:
        raise ConfigError(
            "subset.strategy",
            f"greedy applies to the diversity strategies, not {strategy!r}",
            list(STRATEGY_OBJECTIVES),
        )
    req = _request(strategy, size, pool, include, exclude)
    return _in_catalog_order([*req.include, *_diverse(req, None)])
