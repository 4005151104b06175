"""The paper's own lists as ``paper:<name>`` strategies: exact lists, refusals, name checks, search spaces."""

from __future__ import annotations

import copy
import json

import optuna
import pytest

from search.cli import main
from spaces import heuristics, paper
from spaces.config import (
    define_by_run,
    languages_for,
    load_search_config,
    named_warm_start_points,
    parse_search_config,
    resolve_trial,
    warm_start_subsets,
)
from spaces.errors import ConfigError
from trainables.published.data import load_runs

optuna.logging.set_verbosity(optuna.logging.WARNING)
MOST_URIEL_EN_10 = ["af", "ar", "fon_Latn", "gaz_Latn", "ja", "ka", "kaz_Cyrl", "lin_Latn", "sna_Latn", "vi"]


def test_select_prints_the_papers_exact_list(capsys):
    assert main(["select", "--strategy", "paper:most_uriel_en", "--size", "10"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("paper:most_uriel_en: 10 languages, the paper's most_uriel_en_10 list")
    assert out[1] == " ".join(MOST_URIEL_EN_10)
    assert main(["select", "--strategy", "paper:most_uriel_en", "--size", "10", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["languages"] == MOST_URIEL_EN_10 and data["paper"]["folder"] == "most_uriel_en_10"


def test_every_list_the_paper_ran_is_a_strategy_at_its_size_and_seed():
    """Against the shipped runs themselves: every (folder, size, seed) list, through ``select``."""
    ran: dict[tuple[str, int], set] = {}
    for run in load_runs():
        if run.method != "baseline":
            ran.setdefault((run.folder, run.seed), set()).add(frozenset(run.languages))
    assert all(len(lists) == 1 for lists in ran.values())
    checked = 0
    for plist in paper.paper_lists():
        chosen = heuristics.select(f"paper:{plist.strategy}", plist.size, seed=plist.seed)
        seeds = [plist.seed] if plist.seed is not None else [s for f, s in ran if f == plist.folder]
        for seed in seeds:
            assert ran[(plist.folder, seed)] == {frozenset(chosen)}, (plist.folder, seed)
            checked += 1
    assert checked == len(ran)
    folders = {p.folder for p in paper.paper_lists()}
    assert {"abla_most_uriel_joshi2", "xt_only", "afri_only", "opus_only", "nllb_only", "xt_afri"} <= folders
    assert heuristics.select("paper:xt_afri", 65) == heuristics.select("paper:all", 65)
    assert paper.seeds("paper:random_langs_with_seed", 10) == [17, 23, 42, 66]


def test_sizes_and_seeds_the_paper_did_not_run_are_refused():
    with pytest.raises(ConfigError) as err:
        heuristics.select("paper:most_uriel_en", 11)
    assert err.value.field == "subset.size" and err.value.allowed == ["5", "10", "20", "40"]
    with pytest.raises(ConfigError) as err:
        heuristics.select("paper:abla_random_joshi2", 10, seed=0)
    assert err.value.field == "subset.seed" and err.value.allowed == ["17", "23", "42", "66"]
    with pytest.raises(ConfigError) as err:
        heuristics.select("paper:most_uriel", 20)  # the mislabelled folder (it ran all 65) is not offered
    assert err.value.allowed == ["5", "10", "40"]
    assert set(paper.mislabelled()) == {"least_uriel_20", "least_uriel_40", "most_uriel_20"}
    with pytest.raises(ConfigError, match="subset.pool"):
        heuristics.select("paper:most_uriel_en", 10, pool="joshi<=2")  # the list does not fit the pool
    with pytest.raises(ConfigError, match="subset.include"):
        heuristics.select("paper:most_uriel_en", 10, include=["de"])


def test_name_checks_flag_the_swapped_same_script_lists_only():
    flagged = {folder: why for folder, why in paper.name_checks().items() if why}
    assert set(flagged) == {"least_same_script_20", "most_same_script_20"}
    assert any("opposite" in why for why in flagged["least_same_script_20"])
    most = paper.criterion_value("most_same_script", paper.paper_list("paper:most_same_script", 20).languages)
    least = paper.criterion_value("least_same_script", paper.paper_list("paper:least_same_script", 20).languages)
    assert most < least  # the contradiction itself, by the folders' own criterion


def test_chance_value_is_the_exact_mean_over_all_subsets():
    from itertools import combinations

    import numpy as np

    candidates = ["de", "ja", "hi", "amh_Ethi", "ta"]
    for kind in ("most_uriel_en", "most_uriel", "scripts"):
        exact = np.mean([paper.criterion_value(kind, c) for c in combinations(candidates, 3)])
        assert paper.chance_value(kind, candidates, 3) == pytest.approx(exact)


def test_our_heuristics_optimise_the_criterion_at_least_as_well_as_the_papers_lists():
    from search.cli.paper_subsets import overlap_rows

    rows = overlap_rows()
    assert len(rows) >= 25
    for row in rows:
        better = (
            row["ours"] >= row["paper"] - 1e-9
            if not row["criterion"].startswith("min")
            else row["ours"] <= row["paper"] + 1e-9
        )
        assert better, row
    assert next(r for r in rows if (r["strategy"], r["size"]) == ("most_uriel_en", 10))["shared"] == 2


# -- search spaces -------------------------------------------------------------------------------


def test_default_warm_starts_are_the_papers_lists():
    cfg = load_search_config()
    subsets = dict(warm_start_subsets(cfg))
    assert subsets["paper:most_uriel_en@5"] == paper.paper_list("paper:most_uriel_en", 5).in_catalog_order()
    assert subsets["paper:random@20"] == paper.paper_list("paper:random", 20, 17).in_catalog_order()
    assert not any(label.startswith(("most_uriel_en@", "random@")) for label in subsets)  # none computed
    # the strategy encoding can represent them: each warm point replays exactly through Optuna
    study = optuna.create_study(directions=["maximize", "minimize"])
    points = named_warm_start_points(cfg)
    for _, point in points:
        study.enqueue_trial(point)
    space = define_by_run(cfg)
    for label, point in points:
        trial = study.ask()
        constants = space(trial)
        assert trial.params == point
        assert tuple(constants["languages"]) == subsets[label]
        study.tell(trial, [0.0, float(len(constants["languages"]))])


def test_a_paper_list_that_breaks_the_space_leaves_the_computed_heuristic():
    data = {
        "subset": {"strategies": ["most_uriel_en"], "held_out": ["yor_Latn"]},
        "search": {"warm_start_sizes": [5, 20]},
    }
    labels = [label for label, _ in named_warm_start_points(parse_search_config(data))]
    assert labels[:2] == ["paper:most_uriel_en@5", "most_uriel_en@20"]  # the paper's 20 holds yor_Latn


def test_explicit_paper_strategies_take_the_papers_sizes_and_seeds():
    cfg = parse_search_config(
        {
            "subset": {
                "encoding": "strategy",
                "strategies": ["paper:random", "paper:most_family_en"],
                "max_languages": 22,
            }
        }
    )
    assert [label for label, _ in named_warm_start_points(cfg)] == [
        "paper:random@5",
        "paper:random@10",
        "paper:random@20",
        "paper:most_family_en@5",
        "paper:most_family_en@10",
        "paper:most_family_en@20",
    ]  # 25 and 40 exceed max_languages
    family_20 = paper.paper_list("paper:most_family_en", 20).in_catalog_order()
    for size in (16, 20, 22):  # a sampled size takes the nearest size the paper ran
        params = {"subset/strategy": "paper:most_family_en", "subset/size": size}
        assert tuple(languages_for(cfg, params)) == family_20
    for seed, paper_seed in ((0, 17), (1, 23), (6, 42)):  # subset/seed picks a paper seed (mod 4)
        params = {"subset/strategy": "paper:random", "subset/size": 10, "subset/seed": seed}
        assert tuple(languages_for(cfg, params)) == paper.paper_list("paper:random", 10, paper_seed).in_catalog_order()
    trial = resolve_trial(cfg, {"subset/strategy": "paper:most_family_en", "subset/size": 7})
    assert trial.languages == paper.paper_list("paper:most_family_en", 5).in_catalog_order()  # 5 nearer than 10


def test_paper_strategy_under_a_pair_budget_is_cut_to_fit():
    cfg = parse_search_config(
        {
            "subset": {"encoding": "strategy", "strategies": ["paper:most_uriel_en"], "max_pairs": 300},
            "realign": {"pairs_per_language": [50, 100]},
        }
    )
    params = {"subset/strategy": "paper:most_uriel_en", "subset/size": 40, "realign/pairs_per_language": 100}
    langs = languages_for(cfg, params)  # at most 3 languages fit: the paper's smallest list, cut
    assert len(langs) == 3 and set(langs) <= set(paper.paper_list("paper:most_uriel_en", 5).languages)
    params["realign/pairs_per_language"] = 50  # 6 fit: the paper's 5-language list, whole
    assert tuple(languages_for(cfg, params)) == paper.paper_list("paper:most_uriel_en", 5).in_catalog_order()


def test_published_trainable_replays_the_default_warm_starts():
    """The paper's lists are what it measured, so the replay fidelity can evaluate every warm start."""
    from trainables.units.published import result as published_metrics

    data = copy.deepcopy(
        {
            "experiment": {"trainable": "published", "world": "real", "model": "xlmr", "task": "pos"},
            "subset": {"strategies": ["most_uriel_en", "most_distinct_script", "random"]},
            "search": {"warm_start_sizes": [5, 10, 20]},
        }
    )
    cfg = parse_search_config(data)
    points = named_warm_start_points(cfg)
    assert all(
        label.startswith("paper:") or label.startswith("all@") or label == "most_distinct_script@20"
        for label, _ in points
    )
    for label, point in points:
        if label.startswith("paper:"):
            metrics = published_metrics(resolve_trial(cfg, point).to_dict())
            assert metrics["n_seeds"] >= 1, label
