"""The built tiny world through the World interface: schemas, tokenizer, offline encoder, caching."""

from __future__ import annotations

import json

import pytest
import torch

from spaces.catalog import ENGLISH, load_catalog
from spaces.errors import ConfigError
from trainables.labels import NER, NLI, UPOS
from trainables.tinyworld import world as world_module
from trainables.tinyworld.generator import Sizes
from trainables.tinyworld.pretrain import EncoderSpec, pretrain, train_tokenizer
from trainables.worlds import World, get_world

CONTRACT = {
    "pos": {"tokens": "List(Value('string'))", "tags": f"List(ClassLabel(names={list(UPOS)}))"},
    "ner": {"tokens": "List(Value('string'))", "tags": f"List(ClassLabel(names={list(NER)}))"},
    "nli": {"premise": "Value('string')", "hypothesis": "Value('string')", "label": f"ClassLabel(names={list(NLI)})"},
}


def test_world_interface_and_dataset_schemas(tiny_world):
    assert isinstance(tiny_world, World) and tiny_world.name == "tiny"
    catalog = load_catalog()
    for task, columns in CONTRACT.items():
        langs = tiny_world.task_languages(task)
        assert langs == catalog.codes()  # every catalog language has a test set
        for lang, split in [(ENGLISH, "train"), (ENGLISH, "validation"), *((c, "test") for c in langs)]:
            ds = tiny_world.task(task, lang, split)
            assert {k: repr(v) for k, v in ds.features.items()} == columns, (task, lang, split)
            assert len(ds) >= 150
    assert len(tiny_world.task("pos", ENGLISH, "train")) >= 1000


def test_parallel_data_for_the_pool_only(tiny_world):
    pool = load_catalog().realignment_pool()
    assert tiny_world.parallel_languages() == pool
    pairs = tiny_world.parallel("ja")
    assert pairs.column_names == ["src", "tgt"] and len(pairs) >= 1000
    assert all(len(s.split()) <= 26 for s in pairs["src"][:200])
    assert tiny_world.parallel("jpn")[0] == pairs[0]  # ISO 639-3 resolves to the canonical code
    with pytest.raises(ConfigError) as err:
        tiny_world.parallel("quy")  # evaluation-only: no parallel data
    assert err.value.field == "language" and "ja" in err.value.allowed


def test_bad_requests_name_the_field(tiny_world):
    with pytest.raises(ConfigError) as err:
        tiny_world.task("pos", "hi", "train")
    assert err.value.field == "split" and err.value.allowed == ["test"]
    with pytest.raises(ConfigError) as err:
        tiny_world.task("qa", "en", "test")
    assert err.value.field == "task"
    with pytest.raises(ConfigError):
        tiny_world.task("pos", "xx", "test")


def test_tokenizer_round_trips_every_script_without_unknowns(tiny_world):
    tok = tiny_world.tokenizer()
    seen_scripts = set()
    for lang in load_catalog():
        ds = tiny_world.task("nli", lang.code, "test")
        texts = ds["premise"][:20] + ds["hypothesis"][:20] + tiny_world.monolingual(lang.code)["text"][:20]
        for text in texts:
            ids = tok(text)["input_ids"]
            assert tok.unk_token_id not in ids, (lang.code, text)
            assert ids[0] == tok.cls_token_id and ids[-1] == tok.sep_token_id
            assert tok.decode(ids, skip_special_tokens=True) == text
        seen_scripts.add(lang.script)
    assert {"Latn", "Cyrl", "Arab", "Deva", "Hans", "Jpan", "Hang", "Ethi"} <= seen_scripts


def test_encoder_loads_offline_from_the_cache(tiny_world, monkeypatch):
    from transformers import AutoModel

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = AutoModel.from_pretrained(tiny_world.model_path(), local_files_only=True)
    tok = tiny_world.tokenizer()
    batch = tok(["Rilo saw the dog .", tiny_world.parallel("ko")[0]["tgt"]], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    assert hidden.shape[:2] == batch["input_ids"].shape and hidden.shape[-1] == model.config.hidden_size
    assert torch.isfinite(hidden).all()
    assert model.config.vocab_size == len(tok)


def test_pretraining_languages_follow_xlmr_coverage(tiny_world):
    catalog = load_catalog()
    langs = tiny_world.pretraining_languages()
    assert langs[0] == ENGLISH
    expected = [ENGLISH] + [c for c in catalog.realignment_pool() if catalog.get(c).seen_xlmr]
    assert langs == expected
    assert not {"wol_Latn", "yor_Latn", "zul_Latn", "quy", "pcm", "sot"} & set(langs)


def test_get_world_returns_the_cached_world(tiny_world):
    assert get_world("tiny", model="tiny").path == tiny_world.path
    with pytest.raises(ConfigError):
        world_module.load_world(seed=-1)


def test_pretraining_is_deterministic_and_learns():
    texts = ["the dog saw the cat .", "the cat saw the dog .", "Rilo ran .", "the man ran ."] * 8
    tok = train_tokenizer(texts, set("".join(texts).replace(" ", "")), 60)
    spec = EncoderSpec(hidden=32, layers=1, heads=2, intermediate=64, steps=25, batch_size=8, warmup=5)
    losses: list[list[float]] = [[], []]
    models = [
        pretrain(texts, tok, spec, seed=7, progress=lambda s, loss, i=i: losses[i].append(loss)) for i in range(2)
    ]
    for a, b in zip(models[0].state_dict().values(), models[1].state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert losses[0] == losses[1]
    assert sum(losses[0][-5:]) < sum(losses[0][:5])


TINY_SIZES = Sizes(train=20, validation=5, test=5, parallel=5, monolingual=((5, 20), (4, 10), (3, 10), (2, 5)))
TINY_SPEC = EncoderSpec(vocab_size=1500, hidden=16, layers=1, heads=1, intermediate=32, steps=2, batch_size=4)


def test_interrupted_build_leaves_no_world_that_looks_complete(tmp_path, monkeypatch):
    monkeypatch.setenv("REALIGN_SEARCH_CACHE", str(tmp_path))

    real_task_dataset = world_module.Generator.task_dataset
    calls = []

    def crash_on_the_fifth_dataset(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 5:
            raise KeyboardInterrupt  # as if the user hit Ctrl-C in the middle of the build
        return real_task_dataset(self, *args, **kwargs)

    monkeypatch.setattr(world_module.Generator, "task_dataset", crash_on_the_fifth_dataset)
    with pytest.raises(KeyboardInterrupt):
        world_module.ensure_world(11, progress=False, sizes=TINY_SIZES, spec=TINY_SPEC)
    root = tmp_path / "tinyworld"
    assert not world_module.world_path(11).exists()
    assert not [p for p in root.iterdir() if ".tmp-" in p.name]
    with pytest.raises(ConfigError):
        world_module.load_world(11, build_if_missing=False)


def test_small_build_is_complete_and_loadable(tmp_path, monkeypatch):
    monkeypatch.setenv("REALIGN_SEARCH_CACHE", str(tmp_path))
    path = world_module.ensure_world(12, progress=False, sizes=TINY_SIZES, spec=TINY_SPEC)
    manifest = json.loads((path / world_module.MANIFEST).read_text())
    assert manifest["seed"] == 12 and manifest["version"] == world_module.VERSION
    world = world_module.load_world(12, build_if_missing=False)
    assert len(world.task("ner", "sw", "test")) == 5  # XTREME's code for Swahili resolves
    assert world.tokenizer().unk_token_id not in world.tokenizer()(world.parallel("th")[0]["tgt"])["input_ids"]


def test_tokenizer_training_is_identical_across_processes():
    """Rust hash maps are seeded per process; WordPieceTrainer leaked that into its vocabulary
    (huggingface/tokenizers#1794). Two fresh processes must train the very same tokenizer."""
    import subprocess
    import sys

    script = (
        "import hashlib\n"
        "from trainables.tinyworld.generator import Generator, pretraining_languages\n"
        "from trainables.tinyworld.world import world_alphabet\n"
        "from trainables.tinyworld.pretrain import train_tokenizer\n"
        "g = Generator(0)\n"
        "texts = [s for lang in pretraining_languages()[:12] for s in g.monolingual(lang, 60)]\n"
        "tok = train_tokenizer(texts, world_alphabet(0), 2000)\n"
        "print(hashlib.sha256(tok.backend_tokenizer.to_str().encode()).hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]),
        ).stdout
        for _ in range(2)
    }
    assert len(digests) == 1 and len(next(iter(digests)).strip()) == 64
