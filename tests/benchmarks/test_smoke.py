"""The benchmark scripts run (``--quick``) and print the tables they promise; timings are never asserted.

Realignment and trial benchmarks run on the minute fake world (tests/_fake_world.py), so nothing here
waits for the tiny world to be built.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from _fake_world import fake_world
from benchmarks import _common, realign_throughput, search_efficiency, trial_setup


def table_rows(text: str, first_header: str) -> list[list[str]]:
    """Cells of the markdown table whose header row starts with ``first_header`` (header excluded)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


# ------------------------------------------------------------------------------------------ helpers
def test_interleaved_warms_up_then_alternates_order() -> None:
    calls: list[str] = []
    times = _common.interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=3, warmup=1)
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]
    assert {name: len(t) for name, t in times.items()} == {"a": 3, "b": 3}
    assert all(t >= 0 for seconds in times.values() for t in seconds)


def test_summaries_match_hand_computation() -> None:
    assert _common.median([3.0, 1.0, 2.0, 10.0]) == 2.5
    mean, sd = _common.mean_sd([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5 and sd == pytest.approx((5 / 3) ** 0.5)
    assert _common.mean_sd([7.0]) == (7.0, 0.0)


def test_markdown_table_shape_and_ragged_rows_refused() -> None:
    text = _common.markdown_table(["a", "b"], [[1, 2], [3, 4]])
    assert text.splitlines() == ["| a | b |", "| --- | ---: |", "| 1 | 2 |", "| 3 | 4 |"]
    with pytest.raises(ValueError):
        _common.markdown_table(["a", "b"], [[1]])


def test_command_line_is_relative_to_the_repository() -> None:
    line = _common.command_line(realign_throughput.__file__, ["--quick", "--languages", "de,hi"])
    assert line == "python benchmarks/realign_throughput.py --quick --languages de,hi"


# ------------------------------------------------------------------------------------------ realignment
def test_realign_throughput_quick_prints_both_loops_and_the_ratio(capsys) -> None:
    assert realign_throughput.main(["--quick", "--languages", "de,yor_Latn"], world=fake_world()) == 0
    out = capsys.readouterr().out
    assert "`python benchmarks/realign_throughput.py --quick --languages de,yor_Latn`" in out
    rows = table_rows(out, "loop")
    assert [row[0].split(" ")[0] for row in rows] == ["ours", "reference"]
    ours, reference = rows
    assert reference[2] == "96.0" and float(ours[2]) < 96.0  # the reference pads to max_length
    assert reference[4] == "1.00x" and re.fullmatch(r"\d+\.\d\dx", ours[4])
    ratio = float(ours[3]) / float(reference[3])
    assert float(ours[4][:-1]) == pytest.approx(ratio, rel=0.05)  # ratio of the printed rates


def test_reference_loop_trains_the_same_loss_on_full_length_inputs() -> None:
    """Same weights and data: the reference loop's first loss equals the product's on the same batch."""
    import torch

    from spaces.trial_config import RealignParams, TrialConfig
    from trainables.device import select_device
    from trainables.trial import TrialRun

    world = fake_world()
    trial = TrialConfig(languages=("de",), targets=("en",), realign=RealignParams(steps=1, batch_size=4))
    run = TrialRun(trial, world, select_device("cpu", threads=1))
    ref = realign_throughput.ReferenceLoop(
        realign_throughput.paper_realigner(run.realigner),
        world.tokenizer(),
        world,
        ["de"],
        batch_size=4,
        max_length=96,
        lr=0.0,
        device=torch.device("cpu"),
    )
    fed = realign_throughput.Counted.attach(ref.realigner.encoder)
    ref.run(2)
    assert (fed.sentences, fed.positions) == (2 * 8, 2 * 8 * 96)  # one call of 2N full-length rows per step
    src, tgt = ref.pairs[0]
    assert src["input_ids"].shape[1] == 96
    rows = torch.arange(4)
    ids = torch.cat([src["input_ids"][rows], tgt["input_ids"][rows]])
    mask = torch.cat([src["attention_mask"][rows], tgt["attention_mask"][rows]])
    trimmed = int(mask.sum(1).max())
    run.realigner.eval(), ref.realigner.eval()
    with torch.no_grad():  # padding to 96 changes nothing but the cost
        assert ref.realigner(ids, mask).item() == pytest.approx(
            run.realigner(ids[:, :trimmed], mask[:, :trimmed]).item(), abs=1e-5
        )


# ------------------------------------------------------------------------------------------ search
def test_search_efficiency_quick_prints_every_count_and_the_exhaustive_front(capsys, tmp_path) -> None:
    out_json = tmp_path / "eff.json"
    assert search_efficiency.main(["--quick", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    rows = table_rows(out, "search")
    assert len(rows[0]) == 6  # search, seeds, warm-start points, HV after 3, HV after 5, ms / trial
    labels = [row[0] for row in rows]
    assert labels[0].startswith("default: subset sampler") and labels[1].startswith("random")
    assert labels[-1].startswith("exhaustive (15 subsets")  # 2^4 - 1 on the quick 4-language pool
    assert "Lead over random search" in out
    payload = json.loads(out_json.read_text())
    assert payload["default"] == "default" and payload["default_sampler"] == "subset"
    assert set(payload["methods"]) == {"default", "random"}
    for by_n in payload["methods"].values():
        assert set(by_n) == {"3", "5"} and all(0 < share <= 1 + 1e-9 for share in by_n.values())


def test_exhaustive_front_bounds_every_search() -> None:
    pool = search_efficiency.POOL[:4]
    variants = [search_efficiency.BY_NAME[name] for name in ("default", "tpe", "random")]
    result = search_efficiency.measure(1, (2, 6), "xlm-roberta-base", "ner", [2], variants=variants, pool=pool)
    assert result["n_subsets"] == 2 ** len(pool) - 1
    for by_n in result["results"].values():
        assert by_n[2][0] <= by_n[6][0] <= result["exhaustive"] + 1e-12  # more trials never lose area
    shares = search_efficiency.shares(result)
    assert shares["tpe"]["6"] == pytest.approx(result["results"]["tpe"][6][0] / result["exhaustive"])


# ------------------------------------------------------------------------------------------ trial set-up
def test_trial_setup_quick_prints_cache_reuse_and_ray_overhead(capsys, monkeypatch) -> None:
    here = Path(__file__).resolve().parents[1]  # tests/: Ray's workers must import the fake world too
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(here), str(here.parent), os.environ.get("PYTHONPATH", "")]))
    assert (
        trial_setup.main(["--quick", "--languages", "de,hau_Latn", "--new-languages", "yor_Latn"], world=fake_world())
        == 0
    )
    out = capsys.readouterr().out
    setup = table_rows(out, "trial")
    assert [row[0] for row in setup] == ["trial 1", "trial 2", "trial 3", "worker"]
    assert setup[0][3] == "1.0x" and all(float(row[2]) >= 0 for row in setup)
    ray_rows = table_rows(out, "how")
    assert [row[0].split(" ")[0] for row in ray_rows] == ["direct", "Ray"]
    direct, tuner = (float(row[1]) for row in ray_rows)
    assert float(ray_rows[1][3]) == pytest.approx(tuner - direct, abs=0.011)
    assert 0 < float(ray_rows[1][2]) <= tuner  # the trainable's own time is part of the Tuner's wall time


def test_setup_cache_starts_empty_but_for_the_linked_world(tmp_path) -> None:
    world_dir = tmp_path / "built" / "v1-seed0"
    world_dir.mkdir(parents=True)
    (world_dir / "world.json").write_text("{}")
    root = trial_setup.seeded_cache(world_dir, tmp_path / "cache")
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == ["tinyworld", "tinyworld/v1-seed0"]
    link = root / "tinyworld" / "v1-seed0"
    assert link.is_symlink() and link.resolve() == world_dir.resolve()
    assert (link / "world.json").read_text() == "{}"


# ------------------------------------------------------------------------------------------ tiny world
def test_tinyworld_fidelity_quick_compares_every_setup_on_one_fixed_group(capsys) -> None:
    from benchmarks import tinyworld_fidelity

    argv = ["--quick", "--subset", "random", "--subset-size", "1", "--subset-seed", "0", "--seeds", "0,1"]
    assert tinyworld_fidelity.main(argv, world=fake_world()) == 0
    out = capsys.readouterr().out
    rows = table_rows(out, "setup")
    assert [row[0] for row in rows] == ["baseline", "all 3", "random 1"]
    assert [row[1] for row in rows] == ["0", "3", "1"]
    assert {row[2] for row in rows} == {"1"}  # one fixed target group: yor_Latn, unseen by the tiny encoder
    assert "unseen_lrl targets: yor_Latn" in out
    assert rows[0][4] == "—" and re.fullmatch(r"[+-]\d\.\d{3} ± \d\.\d{3}", rows[1][4])


# ------------------------------------------------------------------------------------------ realignment choices
def test_realign_batching_quick_prints_both_variants_and_the_paired_difference(capsys) -> None:
    from benchmarks import realign_batching

    compare = "batching"
    assert realign_batching.main(["--quick", "--compare", compare], world=fake_world()) == 0
    out = capsys.readouterr().out
    rows = table_rows(out, compare)
    first, second = realign_batching.VARIANTS[compare][:2]
    assert [row[0] for row in rows] == [str(first), str(second), "baseline"]
    assert all(len(row[1].split()) == 2 for row in rows)  # two seeds in --quick
    assert f"paired difference {first} - {second}:" in out
    assert "target group (1, Joshi <= 2, unseen in pretraining): yor_Latn" in out


# ------------------------------------------------------------------------------------------ sweep overhead
def test_sweep_overhead_quick_writes_both_rates_and_their_ratio(capsys, tmp_path) -> None:
    from benchmarks import sweep_overhead

    out_file = tmp_path / "overhead.json"
    assert sweep_overhead.main(["--quick", "--json", str(out_file)]) == 0
    rows = table_rows(capsys.readouterr().out, "loop")
    assert [row[0].split(" ")[0] for row in rows] == ["product", "direct"]
    data = json.loads(out_file.read_text())
    assert data["engine"] == "local" and data["sampler"] == "tpe"
    assert data["product_trials_per_s"] == pytest.approx(data["trials"] / data["product_s"])
    assert data["ratio"] == pytest.approx(data["product_trials_per_s"] / data["direct_trials_per_s"])


# ------------------------------------------------------------------------------------------ issue 12's goals
def test_a_paper_point_is_missed_only_when_no_trial_of_its_size_or_smaller_reaches_it() -> None:
    from benchmarks.search_full_pool import misses

    trials = [(0.5, 3.0), (0.6, 10.0)]
    paper = [(0.55, 5, "a"), (0.6, 10, "b"), (0.61, 20, "c"), (0.4, 1, "d"), (0.45, 4, "e")]
    missed = {m["folder"]: m for m in misses(trials, paper)}
    assert set(missed) == {"a", "c", "d"}  # b is equalled at its size, e beaten by a smaller subset
    assert missed["a"]["short"] == pytest.approx(0.05) and missed["c"]["best"] == 0.6
    assert missed["d"]["best"] == float("-inf")  # no trial with one language


def test_search_full_pool_quick_scores_every_paper_point(capsys, tmp_path) -> None:
    from benchmarks import search_full_pool

    out_json = tmp_path / "full.json"
    assert search_full_pool.main(["--quick", "--model", "xlmr", "--methods", "default", "--json", str(out_json)]) == 0
    rows = table_rows(capsys.readouterr().out, "model task")
    assert [row[:2] for row in rows] == [["xlmr pos", "default"]]
    (result,) = json.loads(out_json.read_text())
    (run,) = result["methods"]["default"]
    assert result["paper_points"] > 50 and run["missed"] == len(run["misses"]) <= result["paper_points"]


def test_tinyworld_verdict_needs_a_lead_larger_than_the_larger_seed_sd() -> None:
    from benchmarks.tinyworld_search_vs_paper import verdict

    assert verdict({"mean": 0.40, "sd": 0.01}, {"mean": 0.38, "sd": 0.015}) == (pytest.approx(0.02), 0.015, True)
    assert verdict({"mean": 0.40, "sd": 0.03}, {"mean": 0.38, "sd": 0.01})[2] is False
    assert verdict({"mean": 0.37, "sd": 0.0}, {"mean": 0.38, "sd": 0.0})[2] is False
