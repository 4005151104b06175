"""The local-mirror tool: which files a mirror needs, and NLLB head copies that RealWorld then reads."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import dataclasses  # noqa: E402
import gzip  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import datasets  # noqa: E402
import pytest  # noqa: E402

from trainables.real import RealWorld  # noqa: E402
from trainables.real.mirror import copy_file, copy_head, fetch, main, plan  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "real"
GITHUB = "https://raw.githubusercontent.com"


def test_plan_lists_english_splits_and_every_benchmarks_test_set() -> None:
    files = plan(["pos"], ["yor", "hau_Latn"])
    got = [(f.source.name, f.lang, f.split, f.relative) for f in files]
    assert got == [
        ("masakhapos", "hau_Latn", "test", "data/hau/test.txt"),
        ("masakhapos", "yor_Latn", "test", "data/yor/test.txt"),  # Yoruba: both benchmarks, for bench/
        ("udpos", "en", "train", "en/train*.parquet"),
        ("udpos", "en", "validation", "en/dev*.parquet"),
        ("udpos", "en", "test", "en/test*.parquet"),
        ("udpos", "yor_Latn", "test", "yo/test*.parquet"),
    ]
    assert files[0].remote == f"{GITHUB}/masakhane-io/masakhane-pos/main/data/hau/test.txt"


def test_plan_for_parallel_data_uses_pair_configs() -> None:
    got = [(f.source.name, f.relative) for f in plan(["parallel"], ["af", "amh_Ethi", "kaz_Cyrl"])]
    assert got == [
        ("opus100", "af-en/train-*.parquet"),
        ("nllb", "amh_Ethi-eng_Latn.gz"),
        ("nllb", "eng_Latn-kaz_Cyrl.gz"),
    ]
    everything = plan()
    assert sum(f.split == "train" and f.source.task == "parallel" for f in everything) == 65


def test_copied_nllb_head_is_read_by_realworld(tmp_path: Path) -> None:
    source = FIXTURES / "allenai/nllb/amh_Ethi-eng_Latn.gz"
    dest = tmp_path / "mirror/allenai/nllb/amh_Ethi-eng_Latn.gz"
    assert copy_head(str(source), dest, 2) == 2
    with gzip.open(dest, "rt", encoding="utf-8") as handle:
        assert len(handle.readlines()) == 2
    datasets.disable_progress_bars()
    world = RealWorld("mbert", data_dir=tmp_path / "mirror", cache_dir=tmp_path / "cache")
    assert world.parallel("amh_Ethi")["src"] == ["Hello there", 'Okay "yes"']


def test_copied_nllb_head_keeps_malformed_lines_byte_for_byte(tmp_path: Path) -> None:
    relative = "allenai/nllb/eng_Latn-yor_Latn.gz"
    assert copy_head(str(FIXTURES / relative), tmp_path / relative, None) == 5
    assert gzip.decompress((tmp_path / relative).read_bytes()) == gzip.decompress((FIXTURES / relative).read_bytes())
    world = RealWorld("mbert", data_dir=tmp_path, cache_dir=tmp_path / "cache")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert world.parallel("yor")["tgt"] == ["E kaaro", "E se"]
    assert len(caught) == 1 and "skipped 3 malformed" in str(caught[0].message)


def test_copied_conll_file_is_read_by_realworld(tmp_path: Path) -> None:
    relative = "masakhane-io/masakhane-pos/data/hau/test.txt"
    copy_file(str(FIXTURES / relative), tmp_path / "mirror" / relative)
    datasets.disable_progress_bars()
    world = RealWorld("mbert", data_dir=tmp_path / "mirror", cache_dir=tmp_path / "cache")
    assert world.task_languages("pos") == ["hau_Latn"]  # English is missing from this partial mirror
    assert world.task("pos", "hau", "test")["tokens"][0] == ["Yaro", "ya", "tafi", "."]


def test_cli_dry_run_lists_each_sources_real_layout(tmp_path: Path, capsys) -> None:
    assert (
        main([str(tmp_path), "--tasks", "ner", "nli", "--languages", "swh_Latn", "ind", "mya", "gaz_Latn", "--dry-run"])
        == 0
    )
    listing = [line.split(" -> ") for line in capsys.readouterr().out.splitlines()]
    assert all(local == f"{tmp_path}/{local.removeprefix(f'{tmp_path}/')}" for _, local in listing)
    remote = [url for url, _ in listing]
    wikiann, afrixnli = (
        "hf://datasets/unimelb-nlp/wikiann@refs%2Fconvert%2Fparquet",
        "hf://datasets/masakhane/afrixnli@refs%2Fconvert%2Fparquet",
    )
    assert remote == [
        f"{GITHUB}/masakhane-io/masakhane-ner/main/MasakhaNER2.0/data/swa/test.txt",
        f"{wikiann}/en/train/*.parquet",
        f"{wikiann}/en/validation/*.parquet",
        f"{wikiann}/en/test/*.parquet",
        f"{wikiann}/id/test/*.parquet",  # WikiANN has Indonesian and Burmese too
        f"{wikiann}/my/test/*.parquet",
        f"{wikiann}/sw/test/*.parquet",
        f"{afrixnli}/orm/test/*.parquet",
        f"{afrixnli}/swa/test/*.parquet",
        "hf://datasets/facebook/xnli@main/en/train-*.parquet",
        "hf://datasets/facebook/xnli@main/en/validation-*.parquet",
        "hf://datasets/facebook/xnli@main/en/test-*.parquet",
        "hf://datasets/facebook/xnli@main/sw/test-*.parquet",
        f"{GITHUB}/ir-nlp-csui/indonli/main/data/indonli/test_expert.jsonl",
        "hf://datasets/akhtet/myanmar-xnli@main/data/test-*.parquet",
    ]
    assert listing[0][1] == f"{tmp_path}/masakhane-io/masakhane-ner/MasakhaNER2.0/data/swa/test.txt"
    assert listing[-2][1] == f"{tmp_path}/ir-nlp-csui/indonli/data/indonli/test_expert.jsonl"
    assert not any(tmp_path.iterdir())


def test_cli_refuses_an_unknown_task(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path), "--tasks", "qa", "--dry-run"]) == 2
    assert "--tasks" in capsys.readouterr().err


def test_fetch_copies_github_files_into_the_layout_realworld_reads(tmp_path: Path) -> None:
    # the GitHub-hosted sources (MasakhaNER 2.0, IndoNLI), fetched from the fixtures as their remote
    files = [
        dataclasses.replace(item, source=dataclasses.replace(item.source, remote=str(FIXTURES / item.source.local)))
        for item in plan(["ner", "nli"], ["hau_Latn", "id"])
        if item.source.name in ("masakhaner", "indonli")
    ]
    assert [item.relative for item in files] == ["MasakhaNER2.0/data/hau/test.txt", "data/indonli/test_expert.jsonl"]
    fetch(files, tmp_path / "mirror")
    datasets.disable_progress_bars()
    world = RealWorld("mbert", data_dir=tmp_path / "mirror", cache_dir=tmp_path / "cache")
    assert world.task_languages("ner") == ["hau_Latn"] and world.task_languages("nli") == ["id"]
    assert world.task("ner", "hau", "test")["tokens"][1] == ["Hukumar", "INEC", "ta", "ce"]
    assert world.task("nli", "ind", "test")["label"] == [0, 1, 2]


def test_fetch_asks_the_hub_for_the_parquet_conversion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr("huggingface_hub.snapshot_download", lambda repo, **kw: calls.append((repo, kw)))
    fetch(plan(["nli"], ["gaz_Latn", "mya_Mymr"])[:1] + plan(["nli"], ["mya_Mymr"])[-1:], tmp_path)
    assert [(repo, kw["revision"], kw["allow_patterns"], kw["local_dir"]) for repo, kw in calls] == [
        ("masakhane/afrixnli", "refs/convert/parquet", ["orm/test/*.parquet"], tmp_path / "masakhane/afrixnli"),
        ("akhtet/myanmar-xnli", "main", ["data/test-*.parquet"], tmp_path / "akhtet/myanmar-xnli"),
    ]
