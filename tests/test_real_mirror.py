"""The local-mirror tool: which files a mirror needs, and NLLB head copies that RealWorld then reads."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import gzip  # noqa: E402
from pathlib import Path  # noqa: E402

import datasets  # noqa: E402

from trainables.real import RealWorld  # noqa: E402
from trainables.real.mirror import copy_file, copy_head, main, plan  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "real"


def test_plan_lists_english_splits_and_test_sets_from_the_serving_source() -> None:
    files = plan(["pos"], ["yor", "hau_Latn"])
    got = [(f.source.name, f.lang, f.split, f.relative) for f in files]
    assert got == [
        ("udpos", "en", "train", "en/train*.parquet"),
        ("udpos", "en", "validation", "en/dev*.parquet"),
        ("udpos", "en", "test", "en/test*.parquet"),
        ("udpos", "yor_Latn", "test", "yo/test*.parquet"),  # XTREME-R serves Yoruba, so not MasakhaPOS
        ("masakhapos", "hau_Latn", "test", "data/hau/test.txt"),
    ]
    assert files[-1].remote == \
        "https://raw.githubusercontent.com/masakhane-io/masakhane-pos/main/data/hau/test.txt"


def test_plan_for_parallel_data_uses_pair_configs() -> None:
    got = [(f.source.name, f.relative) for f in plan(["parallel"], ["af", "amh_Ethi", "kaz_Cyrl"])]
    assert got == [("opus100", "af-en/train-*.parquet"), ("nllb", "amh_Ethi-eng_Latn.gz"),
                   ("nllb", "eng_Latn-kaz_Cyrl.gz")]
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


def test_copied_conll_file_is_read_by_realworld(tmp_path: Path) -> None:
    relative = "masakhane-io/masakhane-pos/data/hau/test.txt"
    copy_file(str(FIXTURES / relative), tmp_path / "mirror" / relative)
    datasets.disable_progress_bars()
    world = RealWorld("mbert", data_dir=tmp_path / "mirror", cache_dir=tmp_path / "cache")
    assert world.task_languages("pos") == ["hau_Latn"]  # English is missing from this partial mirror
    assert world.task("pos", "hau", "test")["tokens"][0] == ["Yaro", "ya", "tafi", "."]


def test_cli_dry_run_and_refusal(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path), "--tasks", "nli", "--languages", "gaz_Latn", "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == (f"hf://datasets/masakhane/afrixnli@main/data/orm/test.tsv -> "
                       f"{tmp_path}/masakhane/afrixnli/data/orm/test.tsv")
    assert len(out) == 4  # XNLI English train/validation/test + AfriXNLI Oromo test
    assert not any(tmp_path.iterdir())
    assert main([str(tmp_path), "--tasks", "qa", "--dry-run"]) == 2
    assert "--tasks" in capsys.readouterr().err
