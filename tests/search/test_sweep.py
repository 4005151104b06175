"""A real Ray Tune + Optuna sweep on a minimal space with a closed-form trainable, and its report.

One sweep (3 trials, one of which always fails) is shared by the tests of this module because starting
Ray is the expensive part. The warm start makes the trials predictable: the first two are the paper's
heuristics ([kaz_Cyrl] by most_uriel_en at size 1, and the whole 4-language pool), the third is TPE's.
"""

from __future__ import annotations

import json
import math
from functools import partial
from pathlib import Path

import pytest

from _search_support import POOL, TARGETS, fake_trainable, read_log, subset_score, write_config
from search.driver import plan_run, run_sweep
from search.report import report_run
from spaces.config import load_search_config

pytestmark = pytest.mark.slow

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def ray_session():
    import ray

    from search.engines.ray_tune import start_ray

    start_ray(None, num_cpus=2)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def sweep(ray_session, tmp_path_factory):
    """3 trials; any subset containing `ru` raises; one retry per trial (max_failures = 1)."""
    tmp = tmp_path_factory.mktemp("sweep")
    cfg = load_search_config(write_config(tmp, num_samples=3, max_failures=1))
    log = tmp / "trials.jsonl"
    trainable = partial(fake_trainable, fail_lang="ru", log=str(log))
    target = plan_run(cfg, storage_path=str(tmp / "runs"), name="mini", trainable=trainable)
    results = run_sweep(cfg, target, trainable=trainable, source_toml="# test\n")
    report, files = report_run(target.run_dir)
    return {"cfg": cfg, "target": target, "results": results, "report": report, "files": files, "log": log}


def test_sweep_runs_every_trial_and_keeps_going_after_a_failure(sweep):
    results = sweep["results"]
    assert len(results) == 3
    failed = [r for r in results if r.error is not None]
    ok = [r for r in results if r.error is None]
    # The all-pool warm start contains `ru` and must fail; the [kaz_Cyrl] warm start must succeed.
    assert any(r.config["languages"] == list(POOL) for r in failed)
    assert any(r.config["languages"] == ["kaz_Cyrl"] for r in ok)
    for r in ok:  # the final report is the closed-form score of the subset the trial received
        assert r.metrics["unseen_lrl"] == pytest.approx(subset_score(r.config["languages"]))
        assert r.metrics["phase"] == "final"


def test_failing_trial_is_retried_as_configured(sweep):
    starts: dict[str, int] = {}
    for event in read_log(sweep["log"]):
        if event["event"] == "start":
            starts[event["trial"]] = starts.get(event["trial"], 0) + 1
    failed_ids = {r.metrics.get("trial_id") or r.path.rsplit("_", 1)[-1] for r in sweep["results"] if r.error}
    assert failed_ids
    for trial_id in failed_ids:
        assert starts[trial_id] == 2  # first attempt + max_failures = 1 retry


def test_report_lists_failure_with_reason_and_front_by_hand(sweep):
    report = sweep["report"]
    assert [t.error for t in report.failed] == ["RuntimeError: NaN loss while realigning on ru"]
    finished = report.finished
    # Recompute the front by hand from the closed-form scores: no finished trial dominates a member.
    for member in report.front:
        s, n = subset_score(member.languages), len(member.languages)
        assert member.value("unseen_lrl") == pytest.approx(s)
        assert not any(
            subset_score(t.languages) >= s
            and len(t.languages) <= n
            and (subset_score(t.languages) > s or len(t.languages) < n)
            for t in finished
        )
    heuristics = [t for t in report.trials if t.heuristic]
    assert any(t.heuristic == "most_uriel_en@1" and t.languages == ["kaz_Cyrl"] for t in heuristics)
    assert any(t.all_pool for t in report.trials)


def test_report_files_exist_and_parse(sweep):
    files, report = sweep["files"], sweep["report"]
    md = files.markdown.read_text()
    assert "## Pareto front" in md and "## Failed trials" in md
    assert "NaN loss while realigning on ru" in md
    data = json.loads(files.json.read_text())
    assert set(data["front"]) == {t.trial_id for t in report.front}
    assert len(data["trials"]) == 3 and len(data["failed"]) == 1
    assert data["reference"] is not None and data["hypervolume"] > 0
    # Per-language scores of front members are what the trainable reported.
    by_id = {t["trial_id"]: t for t in data["trials"]}
    for trial_id in data["front"]:
        langs = by_id[trial_id]["languages"]
        assert by_id[trial_id]["scores"][TARGETS[1]] == pytest.approx(subset_score(langs) + 0.1)
    for png in (files.front_png, files.heatmap_png):
        assert png.read_bytes()[:8] == PNG_MAGIC
    assert files.markdown.parent == Path(sweep["target"].run_dir, "report")


def test_run_dir_holds_what_resume_and_report_need(sweep):
    run_dir = Path(sweep["target"].run_dir)
    saved = json.loads((run_dir / "search_config.json").read_text())
    assert saved == json.loads(json.dumps(sweep["cfg"].to_dict()))
    assert (run_dir / "search_config.toml").read_text() == "# test\n"
    assert (run_dir / "tuner.pkl").is_file()
    assert not math.isnan(sweep["report"].hypervolume)


def test_the_default_sampler_runs_under_ray_tune(ray_session, tmp_path):
    """The subset sampler inside Ray's OptunaSearch (define-by-run through its suggest captor, the study
    pickled at every step): every trial gets a distinct subset, the proposals are what the trials ran."""
    cfg = load_search_config(write_config(tmp_path, sampler="subset", num_samples=6, max_concurrent=2))
    trainable = partial(fake_trainable, log=str(tmp_path / "trials.jsonl"))
    target = plan_run(cfg, storage_path=str(tmp_path / "runs"), name="subset", trainable=trainable)
    results = run_sweep(cfg, target, trainable=trainable, source_toml="# test\n")
    subsets = [tuple(r.config["languages"]) for r in results]
    assert len(results) == 6 and all(r.error is None for r in results)
    assert len(set(subsets)) == 6 and all(1 <= len(s) <= 4 and set(s) <= set(POOL) for s in subsets)
    for r in results:  # the booleans the sampler chose are the subset the trial realigned on
        chosen = {code for code, on in r.config["lang"].items() if on}
        assert chosen == set(r.config["languages"])
