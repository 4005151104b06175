"""Selection studies: ranking and paired t-tests on a hand-made case, then on the shipped results and CLI."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from search.cli import main
from trainables.published.data import Run
from trainables.published.study import run_study, study_table, to_markdown

M = "bert-base-multilingual-cased"


def _run(
    folder: str,
    strategy: str,
    size: int,
    seed: int,
    hau: float,
    de: float,
    method: str = "before_noaligner",
    languages: tuple[str, ...] = ("af",),
) -> Run:
    # Hausa: an LRL mBERT never saw in pretraining, so `unseen_lrl` is its score; `de` an HRL
    return Run(
        folder=folder,
        strategy=strategy,
        size=size,
        model=M,
        method=method,
        task="ner",
        seed=seed,
        languages=languages if method != "baseline" else (),
        scores={"masakhaner/hau_Latn": hau, "wikiann/de": de},
    )


def _hand_made() -> list[Run]:
    runs = []
    for seed, base, everything, a, b in [
        (1, 0.30, 0.50, 0.40, 0.45),
        (2, 0.32, 0.52, 0.41, 0.49),
        (3, 0.31, 0.55, 0.46, 0.47),
    ]:
        runs.append(_run("baseline", "baseline", 0, seed, base, 0.9, method="baseline"))
        runs.append(_run("xt_afri", "all", 65, seed, everything, 0.9, languages=("af", "de")))
        runs.append(_run("strat_a_5", "strat_a", 5, seed, a, 0.1))
        runs.append(_run("strat_b_5", "strat_b", 5, seed, b, 0.9))
    runs.append(_run("strat_c_10", "strat_c", 10, 1, 0.99, 0.9))  # another size: must not be ranked at 5
    return runs


def test_hand_made_case_ranks_by_seed_mean_and_tests_paired_seeds():
    table = study_table(M, "ner", "unseen_lrl", sizes=(5,), runs=_hand_made())
    assert [(r.rank, r.strategy) for r in table.rows] == [(1, "strat_b"), (2, "strat_a")]
    best = table.rows[0]
    assert best.mean == pytest.approx((0.45 + 0.49 + 0.47) / 3)
    assert table.all_mean == pytest.approx((0.50 + 0.52 + 0.55) / 3)
    diffs = np.array([0.45 - 0.50, 0.49 - 0.52, 0.47 - 0.55])
    t = diffs.mean() / (diffs.std(ddof=1) / math.sqrt(3))
    assert best.vs_all.delta == pytest.approx(diffs.mean())
    assert best.vs_all.t == pytest.approx(t)
    assert best.vs_all.p == pytest.approx(2 * stats.t.sf(abs(t), df=2))
    assert best.vs_baseline.delta == pytest.approx((0.15 + 0.17 + 0.16) / 3)


@pytest.mark.filterwarnings("ignore:Precision loss")
def test_hrl_metric_ranks_the_other_way_in_the_hand_made_case():
    # `de` is an HRL not in any subset: strat_a scores 0.1 on it, strat_b 0.9.
    table = study_table(M, "ner", "hrl", sizes=(5,), runs=_hand_made())
    assert [r.strategy for r in table.rows] == ["strat_b", "strat_a"]
    assert table.rows[1].mean == pytest.approx(0.1)
    assert table.rows[0].vs_all.delta == pytest.approx(0.0) and table.rows[1].vs_all.delta == pytest.approx(-0.8)


def test_study_on_published_runs_ranks_each_size_and_compares_to_the_all_65_run():
    (table,) = run_study(model="xlmr", task="pos", metric="masakhapos", sizes=(5, 10))
    assert {r.size for r in table.rows} == {5, 10}
    for size in (5, 10):
        rows = [r for r in table.rows if r.size == size]
        assert [r.rank for r in rows] == list(range(1, len(rows) + 1))
        assert [r.mean for r in rows] == sorted((r.mean for r in rows), reverse=True)
        assert all(r.vs_all.n_pairs >= 3 and r.vs_baseline.n_pairs >= 3 for r in rows)
    assert not any(r.strategy.startswith("abla_") for r in table.rows)
    assert "| 5 | 1 |" in to_markdown([table])


def test_cli_study_writes_markdown_json_and_png(tmp_path, capsys):
    assert (
        main(
            [
                "study",
                "--model",
                "mbert",
                "--task",
                "nli",
                "--metric",
                "americasnli",
                "--sizes",
                "10",
                "--out",
                str(tmp_path),
                "--json",
            ]
        )
        == 0
    )
    records = json.loads(capsys.readouterr().out)
    assert records and all(r["size"] == 10 and r["task"] == "nli" for r in records)
    assert (tmp_path / "study.png").read_bytes()[:4] == b"\x89PNG"
    assert "americasnli" in (tmp_path / "study.md").read_text()


def test_cli_refuses_a_metric_of_another_task(capsys):
    assert main(["study", "--task", "pos", "--metric", "afrixnli"]) == 2
    assert "belongs to task 'nli'" in capsys.readouterr().err


SOURCE = Path(__file__).resolve().parents[3] / "shared" / "published"


@pytest.mark.skipif(
    not (SOURCE / "results").is_dir(), reason=f"the paper's source CSVs are not beside the checkout ({SOURCE})"
)
def test_ranking_matches_a_direct_computation_from_the_source_csvs():
    """MasakhaNER mean (3-letter f1 columns) per seed, straight from the CSVs, for every size-5 folder."""

    def per_seed(folder: str, method: str = "before_noaligner") -> dict[int, float]:
        path = SOURCE / "results" / folder / f"{M}__mix_opus100_nllb__{method}__wikiann.csv"
        with path.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        cols = [
            c
            for c in rows[0]
            if c.startswith("final_eval_")
            and c.endswith("_f1")
            and len(c.split("_")[2]) == 3
            and c.split("_")[2] not in ("avg",)
        ]
        return {int(r["seed"]): sum(float(r[c]) for c in cols) / len(cols) for r in rows}

    folders = sorted(p.parent.name for p in (SOURCE / "results").glob(f"*_5/{M}__*__before_noaligner__wikiann.csv"))
    expected = sorted(folders, key=lambda f: -np.mean(list(per_seed(f).values())))
    (table,) = run_study(model=M, task="ner", metric="masakhaner", sizes=(5,))
    assert [r.folder for r in table.rows] == expected
    everything = per_seed("xt_afri")
    top = per_seed(expected[0])
    seeds = sorted(set(top) & set(everything))
    want = stats.ttest_rel([top[s] for s in seeds], [everything[s] for s in seeds])
    assert table.rows[0].vs_all.p == pytest.approx(want.pvalue)
    assert table.rows[0].mean == pytest.approx(np.mean(list(top.values())))


def test_claim_picks_the_best_small_subset_and_pairs_it_with_all_65():
    from trainables.published.study import claim_row

    row = claim_row(M, "ner", "unseen_lrl", max_size=5, runs=_hand_made())
    assert (row.folder, row.size, row.candidates) == ("strat_b_5", 5, 2)  # strat_c_10 is larger than 5
    assert row.mean == pytest.approx((0.45 + 0.49 + 0.47) / 3)
    assert row.all_mean == pytest.approx((0.50 + 0.52 + 0.55) / 3)
    diffs = np.array([0.45 - 0.50, 0.49 - 0.52, 0.47 - 0.55])
    assert row.vs_all.delta == pytest.approx(diffs.mean()) and row.vs_all.n_pairs == 3
    assert row.vs_all.p == pytest.approx(stats.ttest_rel([0.45, 0.49, 0.47], [0.50, 0.52, 0.55]).pvalue)
    assert claim_row(M, "ner", "unseen_lrl", max_size=10, runs=_hand_made()).folder == "strat_c_10"


def test_cli_claim_prints_one_row_per_model_and_task(capsys):
    assert main(["study", "--claim"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| mBERT") or line.startswith("| XLM-R")]
    assert len(rows) == 6 and "best paper subset of <= 20" in out
    assert main(["study", "--claim", "--max-size", "0"]) == 2
