"""The shipped published results: code mapping, replay against the source CSVs, refusals, trainable."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from spaces.catalog import load_catalog
from spaces.errors import ConfigError
from spaces.trial_config import RealignParams, TrialConfig
from spaces.vocab import AGGREGATES
from trainables.published import build
from trainables.published.data import benchmark_order, load_runs, primary_scores, result_metrics
from trainables.published.replay import replay
from trainables.units.published import result as published_metrics
from trainables.units.published import trainable as published_trainable

SOURCE = Path(__file__).resolve().parents[3] / "shared" / "published"
needs_source = pytest.mark.skipif(
    not (SOURCE / "results").is_dir(), reason=f"the paper's source CSVs are not beside the checkout ({SOURCE})"
)
MBERT = "bert-base-multilingual-cased"


@needs_source
def test_replay_equals_direct_average_of_the_csv_rows():
    path = SOURCE / "results" / "most_family_en_10" / f"{MBERT}__mix_opus100_nllb__before_noaligner__wikiann.csv"
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    languages = rows[0]["realignment_langs"].split(",")
    result = replay("mbert", "ner", reversed(languages))  # order must not matter
    assert sorted(result.seeds) == sorted(int(r["seed"]) for r in rows)
    for column, key in [
        ("final_eval_yo_f1", "bench/wikiann/yor_Latn"),
        ("final_eval_yor_f1", "score/yor_Latn"),
        ("final_eval_yor_f1", "bench/masakhaner/yor_Latn"),
        ("final_eval_de_f1", "score/de"),
        ("final_eval_pcm_f1", "score/pcm"),
    ]:
        expected = sum(float(r[column]) for r in rows) / len(rows)
        assert result.mean[key] == pytest.approx(expected, abs=1e-12)
    by_seed = {s.seed: s.metrics for s in result.per_seed}
    for row in rows:
        assert by_seed[int(row["seed"])]["score/jav_Latn"] == float(row["final_eval_jv_f1"])


@needs_source
def test_every_source_score_column_maps_to_a_catalog_language():
    catalog = load_catalog()
    seen = 0
    for path in sorted((SOURCE / "results").glob("*/*.csv")):
        parsed = build.parse_file(path)
        if parsed is None:
            continue
        _, _, task, _ = parsed
        metric = build.TASK_METRIC[task]
        with path.open(newline="") as fh:
            header = next(csv.reader(fh))
        for column in header:
            if column.startswith("final_eval_") and column.endswith(f"_{metric}"):
                code = column[len("final_eval_") : -len(metric) - 1]
                if code in build.AGGREGATE_COLUMNS:
                    continue
                assert build.benchmark_of(task, code) in benchmark_order(task)
                assert catalog.get(code).code  # raises on an unmapped code
                seen += 1
    assert seen > 5000


def test_shipped_runs_use_canonical_codes_only():
    catalog = load_catalog()
    pool = set(catalog.realignment_pool())
    runs = load_runs()
    assert {r.task for r in runs} == {"pos", "ner", "nli"}
    for run in runs:
        assert set(run.languages) <= pool and len(run.languages) == run.size or run.method == "baseline"
        for key in run.scores:
            bench, code = key.split("/", 1)
            assert bench in benchmark_order(run.task) and catalog.get(code).code == code


def test_two_benchmarks_for_one_language_stay_apart_and_the_primary_rule_picks_the_african_set():
    scores = {"wikiann/yor_Latn": 0.5, "masakhaner/yor_Latn": 0.7, "masakhaner/pcm": 0.9, "wikiann/de": 0.8}
    assert primary_scores(scores, "ner") == {"yor_Latn": 0.7, "pcm": 0.9, "de": 0.8}  # MasakhaNER first
    assert benchmark_order("ner")[0] == "masakhaner" and benchmark_order("pos")[0] == "masakhapos"
    assert benchmark_order("nli")[0] == "afrixnli"
    # AfriXNLI's translation sources stay XNLI's; its African languages are AfriXNLI's
    nli = {"afrixnli/fr": 0.1, "xnli/fr": 0.6, "afrixnli/swh_Latn": 0.2, "xnli/swh_Latn": 0.7, "afrixnli/en": 0.9}
    assert primary_scores(nli, "nli") == {"fr": 0.6, "swh_Latn": 0.2, "en": 0.9}
    out = result_metrics(scores, "ner", subset=["de"], model="mbert")
    assert out["bench/masakhaner"] == pytest.approx((0.7 + 0.9) / 2)
    assert out["bench/wikiann"] == pytest.approx((0.5 + 0.8) / 2)
    # mBERT saw Yoruba in pretraining, not Nigerian Pidgin; pcm is evaluation-only (held out)
    assert out["unseen_lrl"] == pytest.approx(0.9) and out["seen_lrl"] == pytest.approx(0.7)
    assert out["heldout"] == pytest.approx(0.9) and out["hrl"] == pytest.approx(0.8)
    assert out["in_subset"] == pytest.approx(0.8) and out["out_of_subset"] == pytest.approx((0.7 + 0.9) / 2)
    xlmr = result_metrics(scores, "ner", subset=["de"], model="xlmr")  # XLM-R saw neither
    assert xlmr["unseen_lrl"] == pytest.approx((0.7 + 0.9) / 2) and math.isnan(xlmr["seen_lrl"])
    assert set(AGGREGATES) <= set(out)


def test_unknown_subset_is_refused_naming_the_nearest_measured_ones():
    with pytest.raises(ConfigError) as err:
        replay("xlm-roberta-base", "pos", ["af", "ar", "bg", "de", "yo"])
    message = str(err.value)
    assert "no before_noaligner measurement" in message and "5 languages" in message
    assert "_5 (5 languages" in message and "proxy" in message


def test_random_strategy_subsets_are_one_seed_each_and_aliases_resolve():
    run = next(r for r in load_runs() if r.folder == "random_langs_with_seed_10" and r.task == "nli")
    aliases = {"jav_Latn": "jv", "tgl_Latn": "tl", "swh_Latn": "sw", "mar_Deva": "mr"}
    result = replay(run.model, "nli", [aliases.get(c, c) for c in run.languages])
    assert result.seeds == (run.seed,) and result.folders == ("random_langs_with_seed_10",)


def test_trainable_reports_the_seed_mean_with_the_shared_schema(monkeypatch):
    reported = []
    monkeypatch.setattr("ray.tune.report", lambda metrics, **_: reported.append(metrics))
    run = next(r for r in load_runs() if r.folder == "most_uriel_en_20" and r.task == "pos")
    cfg = TrialConfig(languages=run.languages, world="real", model=run.model, task="pos").to_dict()
    published_trainable(cfg)
    (metrics,) = reported
    assert metrics["phase"] == "final" and metrics["n_languages"] == 20 and metrics["n_seeds"] == 4
    mine = [
        r.scores["udpos/de"]
        for r in load_runs()
        if (r.folder, r.model, r.task) == ("most_uriel_en_20", run.model, "pos")
    ]
    assert metrics["score/de"] == pytest.approx(sum(mine) / len(mine))
    unseen = [
        metrics[k]
        for k in metrics
        if k.startswith("score/")
        and load_catalog().get(k[6:]).is_lrl
        and not load_catalog().get(k[6:]).seen_by(run.model)
    ]
    assert metrics["unseen_lrl"] == pytest.approx(sum(unseen) / len(unseen))
    outside = [
        metrics[k]
        for k in metrics
        if k.startswith("score/") and load_catalog().get(k[6:]).is_lrl and k[6:] not in run.languages
    ]
    assert metrics["lrl_out_of_subset"] == pytest.approx(sum(outside) / len(outside))


def test_mode_none_is_the_baseline_and_other_inputs_are_refused():
    base = TrialConfig(world="real", model="xlm-roberta-base", task="nli", realign=RealignParams(mode="none"))
    metrics = published_metrics(base.to_dict())
    assert metrics["n_languages"] == 0 and metrics["n_pairs"] == 0
    assert math.isnan(metrics["in_subset"]) and metrics["all"] == pytest.approx(metrics["out_of_subset"])
    with pytest.raises(ConfigError, match="model"):
        published_metrics(TrialConfig(languages=("af",), model="tiny", task="nli").to_dict())
    joint = TrialConfig(languages=("af",), model="xlm-roberta-base", task="nli", realign=RealignParams(mode="joint"))
    with pytest.raises(ConfigError, match="realign.mode"):
        published_metrics(joint.to_dict())


def test_targets_restrict_the_reported_languages():
    base = TrialConfig(
        world="real", model="mbert", task="ner", targets=("yo", "de"), realign=RealignParams(mode="none")
    )
    metrics = published_metrics(base.to_dict())
    assert sorted(k for k in metrics if k.startswith("score/")) == ["score/de", "score/yor_Latn"]
    assert metrics["bench/masakhaner"] == pytest.approx(metrics["bench/masakhaner/yor_Latn"])


@needs_source
def test_shipped_file_is_what_the_build_script_makes_from_the_source():
    import gzip
    import json

    shipped = json.loads(gzip.decompress(build.DATA_FILE.read_bytes()))
    assert json.loads(json.dumps(build.build(SOURCE))) == shipped
    assert shipped["license"].startswith("MIT License")
    # and the paper's lists that spaces.paper reads
    expected = build._one_list_per_line(build.paper_subsets(shipped))
    assert build.PAPER_SUBSETS_FILE.read_text(encoding="utf-8") == expected


def test_registry_names_resolve_to_these_trainables():
    from trainables.registry import get_trainable

    assert get_trainable("published") is published_trainable
