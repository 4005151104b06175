"""Pool filters and subset heuristics: filters, constraints, determinism and optimiser quality."""

from __future__ import annotations

from itertools import combinations

import pytest

from spaces.catalog import ENGLISH, load_catalog
from spaces.errors import ConfigError
from spaces.heuristics import STRATEGIES, STRATEGY_OBJECTIVES, greedy, objective, select
from spaces.pool import PoolFilter, parse_pool
from spaces.typology import load_typology

CATALOG = load_catalog()
POOL = CATALOG.realignment_pool()
DIVERSE = tuple(STRATEGY_OBJECTIVES)


def lang(code):
    return CATALOG.get(code)


# ---- pool filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, POOL),
        ("all", POOL),
        ("joshi<=2", [c for c in POOL if lang(c).joshi <= 2]),
        ("joshi>3", [c for c in POOL if lang(c).joshi >= 4]),
        ("joshi=3", [c for c in POOL if lang(c).joshi == 3]),
        ("!seen_xlmr", [c for c in POOL if not lang(c).seen_xlmr]),
        ("seen_mbert", [c for c in POOL if lang(c).seen_mbert]),
        ("script!=Latn", [c for c in POOL if lang(c).script != "Latn"]),
        ("family=atlantic-congo", [c for c in POOL if lang(c).family == "Atlantic-Congo"]),
        ("group=african & source=nllb", [c for c in POOL if "african" in lang(c).groups]),
        (["joshi<=2", "!seen_mbert"], [c for c in POOL if lang(c).joshi <= 2 and not lang(c).seen_mbert]),
    ],
)
def test_pool_filter_keeps_exactly_the_matching_languages(spec, expected):
    assert parse_pool(spec).languages() == expected


def test_pool_filter_sizes_match_the_paper():
    assert len(parse_pool("joshi<=2").languages()) == 29
    assert len(parse_pool("joshi=3").languages()) == 17
    assert len(parse_pool("joshi>=4").languages()) == 19
    assert len(parse_pool("!seen_xlmr").languages()) == 16
    assert len(parse_pool("!seen_mbert").languages()) == 19
    assert len(parse_pool("group=xtreme_r").languages()) == 47


def test_pool_filter_string_and_list_forms_agree_and_describe_canonically():
    joined = parse_pool("script = latn & JOSHI<=2")
    listed = parse_pool(["script=Latn", "joshi<=2"])
    assert joined.languages() == listed.languages()
    assert joined.describe() == "script=Latn & joshi<=2"
    assert parse_pool(None).describe() == "all"
    assert parse_pool(joined) is joined
    assert joined == parse_pool("script=Latn & joshi<=2") and hash(joined) == hash(parse_pool(listed))
    assert joined != parse_pool("joshi<=2 & script=Latn")  # same languages, different spelling
    assert "yor_Latn" in joined and "ja" not in joined and ENGLISH not in joined


@pytest.mark.parametrize(
    ("spec", "allowed_has"),
    [
        ("colour=red", "script"),  # unknown field
        ("script=Klingon", "Latn"),  # unknown value
        ("family=Elvish", "Turkic"),  # unknown value
        ("group=nordic", "african"),  # unknown value
        ("source=europarl", "nllb"),  # unknown value
        ("joshi<=seven", "5"),  # not an integer class
        ("joshi>=9", "5"),  # out of range
        ("script<Latn", "="),  # ordering operator on a categorical field
        ("seen_klingon", "seen_xlmr"),  # unknown term
        ("!script=Latn", "script!=Latn"),  # negation only on boolean terms
        ("joshi<=2 & ", "all"),  # empty term
    ],
)
def test_bad_pool_term_names_the_field_and_allowed_values(spec, allowed_has):
    with pytest.raises(ConfigError) as err:
        parse_pool(spec, field="search.subset.pool")
    assert err.value.field == "search.subset.pool"
    assert any(allowed_has in a for a in err.value.allowed)


def test_empty_pool_and_wrong_type_are_refused():
    with pytest.raises(ConfigError, match="keeps no realignment language"):
        parse_pool("seen_xlmr & !seen_xlmr")
    with pytest.raises(ConfigError, match="keeps no realignment language"):
        parse_pool("script=Ethi & joshi>=4")
    with pytest.raises(ConfigError, match="string or a list"):
        parse_pool(3)  # type: ignore[arg-type]


# ---- objective -------------------------------------------------------------------------------------


def test_objective_is_the_sum_of_pairwise_distances():
    d = load_typology().distance
    expected = d("featural", "de", "ja") + d("featural", "de", "ar") + d("featural", "ja", "ar")
    assert objective(["de", "ja", "ar"]) == pytest.approx(expected)
    with_en = expected + sum(d("featural", ENGLISH, c) for c in ("de", "ja", "ar"))
    assert objective(["deu", "jpn", "ar"], with_english=True) == pytest.approx(with_en)
    assert objective(["de", "ja"], kind="genetic") == pytest.approx(d("genetic", "de", "ja"))
    assert objective(["de"]) == 0.0
    assert objective(["de", "en", "jpn", "ja"]) == pytest.approx(d("featural", "de", "ja"))


# ---- determinism, filters, include / exclude -------------------------------------------------------


@pytest.mark.parametrize("strategy", [s for s in STRATEGIES if s != "all"])
def test_every_strategy_is_deterministic_and_respects_the_pool(strategy):
    pool = "joshi<=2"
    first = select(strategy, 6, pool=pool, seed=3)
    assert first == select(strategy, 6, pool=pool, seed=3)
    assert len(first) == 6 and len(set(first)) == 6
    assert set(first) <= set(parse_pool(pool).languages())
    assert first == [c for c in POOL if c in first]  # catalog order


def test_random_depends_on_the_seed_only():
    draws = {tuple(select("random", 8, seed=s)) for s in range(5)}
    assert len(draws) == 5
    assert select("random", 8, seed=2) == select("random", 8, seed=2)


@pytest.mark.parametrize(
    "strategy", ["most_uriel_en", "least_family_en", "most_distinct_script", "least_same_script", "random"]
)
def test_include_counts_toward_size_and_exclude_is_never_picked(strategy):
    picked = select(strategy, 7, include=["ja", "swa"], exclude=["ko", "yor_Latn", "vi", "en"])
    assert len(picked) == 7
    assert {"ja", "swh_Latn"} <= set(picked)
    assert not {"ko", "yor_Latn", "vi"} & set(picked)


def test_all_returns_the_filtered_pool_minus_excluded():
    assert select("all", 65) == POOL
    african = parse_pool("group=african").languages()
    assert select("all", 20, pool="group=african", exclude=["wol"]) == [c for c in african if c != "wol_Latn"]


# ---- what each strategy means ----------------------------------------------------------------------


def test_most_distinct_script_takes_one_language_per_non_latin_script_first():
    non_latin_scripts = {lang(c).script for c in POOL} - {"Latn"}
    assert len(non_latin_scripts) == 18
    ten = select("most_distinct_script", 10)
    assert len({lang(c).script for c in ten}) == 10 and "Latn" not in {lang(c).script for c in ten}
    eighteen = select("most_distinct_script", 18)
    assert {lang(c).script for c in eighteen} == non_latin_scripts
    twenty = select("most_distinct_script", 20)
    assert {lang(c).script for c in twenty} >= non_latin_scripts


def test_same_script_strategies_stay_inside_the_largest_script_or_the_filtered_one():
    latin = [c for c in POOL if lang(c).script == "Latn"]
    assert len(latin) == 41
    assert select("most_same_script", 41) == latin
    for strategy in ("most_same_script", "least_same_script"):
        assert {lang(c).script for c in select(strategy, 8)} == {"Latn"}
        assert {lang(c).script for c in select(strategy, 3, pool="script=Cyrl")} == {"Cyrl"}
    with pytest.raises(ConfigError, match="41 available Latn"):
        select("most_same_script", 42)


def test_family_strategies_disperse_from_or_stay_near_english():
    most = select("most_family_en", 10)
    # 10 languages from 10 families none of them Indo-European: every pair (English included) at 1.
    assert objective(most, kind="genetic", with_english=True) == pytest.approx(55.0)
    # Minimising the same sum packs one tight family (English is one anchor among 11, so the cheapest
    # set is a deep single-family cluster, not necessarily English's relatives).
    least = select("least_family_en", 10)
    assert len({lang(c).family for c in least}) == 1
    indo_european = [c for c in POOL if lang(c).family == "Indo-European"][:10]
    assert objective(least, kind="genetic", with_english=True) < objective(indo_european, "genetic", True)


def test_least_uriel_en_is_closer_to_english_than_most_uriel_en():
    d = load_typology().distance
    near = select("least_uriel_en", 8)
    far = select("most_uriel_en", 8)
    assert max(d("featural", ENGLISH, c) for c in near) < min(d("featural", ENGLISH, c) for c in far) + 0.05
    assert sum(d("featural", ENGLISH, c) for c in near) < sum(d("featural", ENGLISH, c) for c in far)


# ---- optimiser quality -----------------------------------------------------------------------------

CASES = [(None, 5), (None, 40), ("joshi<=2", 10), ("!seen_xlmr", 6), ("joshi>=3", 15)]


@pytest.mark.parametrize("strategy", DIVERSE)
def test_optimiser_never_loses_to_plain_greedy(strategy):
    goal = STRATEGY_OBJECTIVES[strategy]
    strictly_better = 0
    for pool, size in CASES:
        if strategy.endswith("same_script") and size > 16:
            continue
        best = objective(select(strategy, size, pool=pool), goal.kind, goal.with_english)
        base = objective(greedy(strategy, size, pool=pool), goal.kind, goal.with_english)
        if goal.maximise:
            assert best >= base - 1e-9
            strictly_better += best > base + 1e-9
        else:
            assert best <= base + 1e-9
            strictly_better += best < base - 1e-9
    if strategy in ("most_uriel_en", "least_uriel_en", "least_family_en"):
        assert strictly_better >= 1  # greedy is not already optimal everywhere: the search does work


def brute_force(strategy, size, pool):
    goal = STRATEGY_OBJECTIVES[strategy]
    values = [
        objective(combo, goal.kind, goal.with_english) for combo in combinations(parse_pool(pool).languages(), size)
    ]
    return max(values) if goal.maximise else min(values)


@pytest.mark.parametrize("strategy", ["most_uriel_en", "least_uriel_en", "most_uriel", "least_family_en"])
@pytest.mark.parametrize(("pool", "size"), [("joshi>=4 & script!=Latn", 3), ("group=african & joshi=2", 3)])
def test_small_pools_are_solved_exactly(strategy, pool, size):
    optimum = brute_force(strategy, size, pool)
    goal = STRATEGY_OBJECTIVES[strategy]
    assert objective(select(strategy, size, pool=pool), goal.kind, goal.with_english) == pytest.approx(optimum)


@pytest.mark.parametrize("strategy", ["most_uriel_en", "least_family_en"])
def test_local_search_reaches_the_brute_force_optimum_on_a_small_pool(strategy):
    pool, size = "joshi>=4 & seen_xlmr & family!=Indo-European", 4  # 10 languages, 210 subsets
    goal = STRATEGY_OBJECTIVES[strategy]
    found = select(strategy, size, pool=pool, exact_limit=0)
    assert objective(found, goal.kind, goal.with_english) == pytest.approx(brute_force(strategy, size, pool))


# ---- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "needle"),
    [
        ({"strategy": "most_diverse", "size": 5}, "subset.strategy", "unknown strategy"),
        ({"strategy": "random", "size": 0}, "subset.size", "positive integer"),
        ({"strategy": "random", "size": True}, "subset.size", "positive integer"),
        ({"strategy": "random", "size": 66}, "subset.size", "exceeds the 65"),
        ({"strategy": "most_uriel", "size": 30, "pool": "joshi<=2"}, "subset.size", "exceeds the 29"),
        ({"strategy": "most_uriel", "size": 65, "exclude": ["de"]}, "subset.size", "exceeds the 64"),
        ({"strategy": "all", "size": 10}, "subset.size", "whole pool of 65"),
        ({"strategy": "random", "size": 1, "include": ["de", "fr"]}, "subset.size", "smaller than the 2"),
        ({"strategy": "random", "size": 3, "include": ["xx"]}, "subset.include", "unknown language"),
        ({"strategy": "random", "size": 3, "exclude": ["xx"]}, "subset.exclude", "unknown language"),
        ({"strategy": "random", "size": 3, "include": ["en"]}, "subset.include", "not in the pool"),
        ({"strategy": "random", "size": 3, "include": ["de"], "pool": "joshi<=2"}, "subset.include", "not in the pool"),
        ({"strategy": "random", "size": 3, "include": ["de"], "exclude": ["deu"]}, "subset.include", "both"),
        ({"strategy": "random", "size": 3, "pool": "joshi<1"}, "subset.pool", "keeps no"),
    ],
)
def test_invalid_requests_are_config_errors(kwargs, field, needle):
    with pytest.raises(ConfigError) as err:
        select(**kwargs)
    assert err.value.field == field
    assert needle in str(err.value)


def test_greedy_only_applies_to_diversity_strategies():
    with pytest.raises(ConfigError) as err:
        greedy("random", 5)
    assert "most_uriel_en" in err.value.allowed


def test_pool_filter_object_is_accepted_by_select():
    pool = parse_pool("joshi=3")
    assert isinstance(pool, PoolFilter)
    assert select("most_uriel", 4, pool=pool) == select("most_uriel", 4, pool="joshi=3")


def published_lists():
    """(strategy, languages) of every published diversity run whose list has the folder's size."""
    from trainables.published.data import load_runs

    lists = {
        (run.strategy, tuple(sorted(run.languages)))
        for run in load_runs()
        if run.strategy in STRATEGY_OBJECTIVES and len(run.languages) == run.size
    }
    return sorted(lists)


def test_published_lists_cover_every_diversity_strategy():
    # Guards the comparison below against silently comparing nothing.
    assert {strategy for strategy, _ in published_lists()} == set(STRATEGY_OBJECTIVES)


@pytest.mark.parametrize(("strategy", "paper"), published_lists())
def test_select_scores_at_least_as_well_as_the_papers_list_on_the_documented_objective(strategy, paper):
    goal = STRATEGY_OBJECTIVES[strategy]
    ours = objective(select(strategy, len(paper)), goal.kind, goal.with_english)
    theirs = objective(paper, goal.kind, goal.with_english)
    assert (ours >= theirs - 1e-9) if goal.maximise else (ours <= theirs + 1e-9)
