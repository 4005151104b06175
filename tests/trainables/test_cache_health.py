"""Damaged cache entries heal: reported once with their path, moved aside, rebuilt; and ``realign-search cache``.

Everything happens in a temporary cache (``REALIGN_SEARCH_CACHE``); the shared one is never touched. The
tiny world here is a miniature one (its manifest records its sizes, so the rebuild is as small and takes
seconds; the full world would take minutes).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from _fake_world import fake_world
from spaces.errors import CacheEntryError
from trainables import data
from trainables.cache_health import DAMAGED, REASON_FILE
from trainables.tinyworld import world as world_module
from trainables.tinyworld.generator import Sizes
from trainables.tinyworld.pretrain import EncoderSpec

MINI_SIZES = Sizes(train=20, validation=5, test=5, parallel=8, monolingual=((5, 20), (4, 10), (3, 10), (2, 5)))
MINI_SPEC = EncoderSpec(vocab_size=1500, hidden=16, layers=1, heads=1, intermediate=32, steps=2, batch_size=4)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("REALIGN_SEARCH_CACHE", str(root))
    monkeypatch.setattr(data, "_MEMORY", {})
    return root


# --------------------------------------------------------------------------------------- tokenised data
def _encode(world):
    return data.encode_cached("pos", world.tokenizer(), world.task("pos", "de", "test"), 64)


def _truncate_header(entry: Path) -> Path:
    file = entry / "r.input_ids.values.npy"
    file.write_bytes(file.read_bytes()[:50])
    return file


def _truncate_data(entry: Path) -> Path:
    file = entry / "r.labels.values.npy"
    file.write_bytes(file.read_bytes()[:-40])
    return file


def _garble_offsets(entry: Path) -> Path:
    file = entry / "r.input_ids.offsets.npy"
    offsets = np.load(file)
    np.save(file, offsets[::-1].copy())  # a valid .npy whose offsets index nothing
    return file


def _delete(entry: Path) -> Path:
    file = entry / "r.labels.offsets.npy"
    file.unlink()
    return file


@pytest.mark.parametrize("damage", [_truncate_header, _truncate_data, _garble_offsets, _delete])
def test_a_damaged_tokenised_entry_is_reported_once_moved_aside_and_rebuilt(cache, capsys, damage):
    world = fake_world()
    original = _encode(world)
    (entry,) = (cache / "tokenised").iterdir()
    damaged_file = damage(entry)
    data._MEMORY.clear()
    healed = _encode(world)
    for name, (values, offsets) in original.ragged.items():
        assert np.array_equal(healed.ragged[name][0], values) and np.array_equal(healed.ragged[name][1], offsets)
    err = capsys.readouterr().err
    assert err.count("cannot be read") == 1 and str(entry) in err and "rebuilding" in err
    (aside,) = (cache / DAMAGED).iterdir()
    assert aside.name.startswith(f"tokenised-{entry.name}-")
    assert str(entry) in (aside / REASON_FILE).read_text()
    assert (aside / damaged_file.name).exists() or damage is _delete  # kept for inspection
    data._MEMORY.clear()
    _encode(world)
    assert "cannot be read" not in capsys.readouterr().err  # healthy again: nothing more to say


def test_an_entry_that_cannot_be_rebuilt_names_its_path_and_the_clear_command(cache, monkeypatch):
    world = fake_world()
    _encode(world)
    (entry,) = (cache / "tokenised").iterdir()
    _truncate_header(entry)
    data._MEMORY.clear()

    def broken(*args, **kwargs):
        raise RuntimeError("tokenizer exploded")

    monkeypatch.setitem(data.ENCODERS, "pos", broken)
    with pytest.raises(CacheEntryError) as err:
        _encode(world)
    assert err.value.path == str(entry)
    assert "realign-search cache clear --tokenised" in str(err.value) and "tokenizer exploded" in str(err.value)


# ------------------------------------------------------------------------------------------- tiny world
@pytest.fixture(scope="module")
def mini_world(tmp_path_factory) -> Path:
    """A miniature tiny world, built once; each test works on a copy."""
    root = tmp_path_factory.mktemp("mini-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REALIGN_SEARCH_CACHE", str(root))
        world_module.ensure_world(0, progress=False, sizes=MINI_SIZES, spec=MINI_SPEC)
    return root


@pytest.fixture
def world_cache(cache, mini_world, monkeypatch):
    from trainables.trial import shared_world

    shutil.copytree(mini_world, cache, dirs_exist_ok=True)
    world_module._open.cache_clear()
    shared_world.cache_clear()
    monkeypatch.setenv("REALIGN_SEARCH_THREADS", "1")
    yield cache / "tinyworld" / world_module.world_key(0)
    world_module._open.cache_clear()
    shared_world.cache_clear()


def _truncate_weights(world: Path) -> Path:
    file = world / "model" / "model.safetensors"
    file.write_bytes(file.read_bytes()[:2000])
    return file


def _garble_tokenizer(world: Path) -> Path:
    file = world / "tokenizer" / "tokenizer.json"
    file.write_text(file.read_text()[:1000])
    return file


def _truncate_dataset(world: Path) -> Path:
    (file,) = (world / "data" / "pos" / "en" / "train").glob("*.arrow")
    file.write_bytes(file.read_bytes()[:300])
    return file


TRIAL = {
    "languages": ["de"],
    "targets": ["en", "sw"],
    "realign": {"steps": 2, "batch_size": 4},
    "finetune": {"epochs": 1, "batch_size": 8},
}


@pytest.mark.parametrize("damage", [_truncate_weights, _garble_tokenizer, _truncate_dataset])
def test_a_damaged_world_is_rebuilt_and_the_trial_succeeds(world_cache, capsys, damage):
    import math

    from spaces.trial_config import TrialConfig
    from trainables.trial import run_trial

    before = json.loads((world_cache / world_module.MANIFEST).read_text())
    damage(world_cache)
    final = run_trial(TrialConfig.from_dict(TRIAL))
    scores = {k: v for k, v in final.items() if k.startswith("score/")}
    assert set(scores) == {"score/en", "score/swh_Latn"} and all(map(math.isfinite, scores.values()))
    assert final["phase"] == "final"
    err = capsys.readouterr().err
    assert err.count("cannot be read") == 1 and str(world_cache) in err
    after = json.loads((world_cache / world_module.MANIFEST).read_text())
    assert after["sizes"] == before["sizes"] and after["encoder"] == before["encoder"]  # rebuilt alike
    world_module.load_world(0).verify()  # whole again
    (aside,) = (world_cache.parents[1] / DAMAGED).iterdir()
    assert aside.name.startswith("tinyworld-v3-seed0-")


def test_a_world_that_cannot_be_rebuilt_fails_the_trial_with_its_path_and_the_clear_command(
    world_cache, capsys, monkeypatch, tmp_path
):
    from search.cli import main

    _truncate_weights(world_cache)

    def no_room_to_build(*args, **kwargs):
        raise RuntimeError("the build broke")

    monkeypatch.setattr(world_module, "build_world", no_room_to_build)
    trial = tmp_path / "trial.json"
    trial.write_text(json.dumps(TRIAL))
    assert main(["trial", "--config", str(trial)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("realign-search trial: the cache entry ") and str(world_cache) in err[-1]
    assert "realign-search cache clear --world" in err[-1] and "Traceback" not in "\n".join(err)


# -------------------------------------------------------------------------------------- cache command
def test_cache_info_lists_entries_and_clear_removes_them(world_cache, capsys):
    from search.cli import main

    _encode(fake_world())
    assert main(["cache", "info", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    areas = {(e["area"], e["name"]) for e in listing["entries"]}
    assert ("tinyworld", "v3-seed0") in areas and any(a == "tokenised" for a, _ in areas)
    world_bytes = next(e["bytes"] for e in listing["entries"] if e["area"] == "tinyworld")
    assert world_bytes == sum(p.stat().st_size for p in world_cache.rglob("*") if p.is_file())
    assert main(["cache", "info"]) == 0
    assert "tinyworld/" in capsys.readouterr().out

    cache = world_cache.parents[1]
    assert main(["cache", "clear", "--tokenised"]) == 0
    assert not (cache / "tokenised").exists() and world_cache.exists()
    assert main(["cache", "clear"]) == 0
    assert not any(cache.iterdir())
