"""Fine-tuning pieces: first-subword labels, heads, loss masking, the schedule, the tokenisation cache."""

from __future__ import annotations

import datasets
import numpy as np
import pytest
import torch

from _fake_world import fake_world
from trainables import data as data_mod
from trainables.data import (
    IGNORE,
    bucketed_batches,
    collate,
    concat,
    encode_cached,
    encode_tagging,
    token_budget_batches,
)
from trainables.finetune import TaskModel, finetune_optimizer, load_encoder


def test_only_the_first_subword_of_each_word_is_labelled() -> None:
    world = fake_world()
    tok = world.tokenizer()
    ds = world.task("pos", "yor_Latn", "test")
    novel = {"tokens": [["Adaberlin", "sees", "kalomitufe"], ["Lagosunesco"]], "tags": [[11, 15, 7], [11]]}
    ds = datasets.concatenate_datasets([ds, datasets.Dataset.from_dict(novel, features=ds.features)])
    enc = encode_tagging(tok, ds, max_length=128)
    for i in range(len(ds)):
        words, tags = ds[i]["tokens"], ds[i]["tags"]
        ids, labels = enc.row("input_ids", i), enc.row("labels", i)
        expected = [IGNORE]  # [CLS]
        for word, tag in zip(words, tags, strict=True):
            pieces = tok(word, add_special_tokens=False)["input_ids"]
            expected += [tag] + [IGNORE] * (len(pieces) - 1)
        expected.append(IGNORE)  # [SEP]
        assert labels.tolist() == expected
        assert len(ids) == len(labels)
    assert any((enc.row("labels", i) == IGNORE).sum() > 2 for i in range(len(ds))), "no multi-piece word"


def test_truncation_drops_labels_of_lost_words() -> None:
    world = fake_world()
    enc = encode_tagging(world.tokenizer(), world.task("pos", "en", "test"), max_length=4)
    assert max(enc.lengths("input_ids")) == 4
    assert all((enc.row("labels", i) != IGNORE).sum() <= 2 for i in range(len(enc)))


def test_token_loss_ignores_unlabelled_positions() -> None:
    world = fake_world()
    model = TaskModel(load_encoder(world.model_path()), "pos").eval()
    ids = torch.tensor([[2, 10, 11, 12, 3]])
    labels = torch.tensor([[IGNORE, 4, IGNORE, 7, IGNORE]])
    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels}
    with torch.no_grad():
        logits = model(ids, batch["attention_mask"])[0]
        by_hand = -(torch.log_softmax(logits[1], -1)[4] + torch.log_softmax(logits[3], -1)[7]) / 2
        assert model.loss(batch).item() == pytest.approx(by_hand.item(), rel=1e-5)


def test_sentence_pair_head_reads_the_first_position() -> None:
    world = fake_world()
    model = TaskModel(load_encoder(world.model_path()), "nli").eval()
    ids = torch.tensor([[2, 10, 11, 3], [2, 12, 3, 0]])
    mask = (ids != 0).long()
    with torch.no_grad():
        logits = model(ids, mask)
        hidden = model.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        assert logits.shape == (2, 3)
        assert torch.allclose(logits, model.head(hidden[:, :1].expand_as(hidden)), atol=1e-6)


def test_linear_schedule_with_ten_percent_warmup() -> None:
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer, schedule = finetune_optimizer([param], lr=1e-3, total_steps=100, warmup=0.1)
    assert isinstance(optimizer, torch.optim.Adam)
    lrs = []
    for _ in range(100):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert lrs[0] == 0.0 and lrs[5] == pytest.approx(5e-4) and lrs[10] == pytest.approx(1e-3)
    assert lrs[55] == pytest.approx(1e-3 * 45 / 90) and lrs[-1] == pytest.approx(1e-3 / 90)


def test_tokenisation_is_cached_on_disk_and_reused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REALIGN_SEARCH_CACHE", str(tmp_path))
    monkeypatch.setattr(data_mod, "_MEMORY", {})
    world = fake_world()
    tok, ds = world.tokenizer(), world.parallel("de")
    first = encode_cached("parallel", tok, ds, 32)
    entries = [p for p in (tmp_path / "tokenised").iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1 and entries[0].is_dir()
    monkeypatch.setattr(data_mod, "_MEMORY", {})  # as a fresh process would
    monkeypatch.setitem(data_mod.ENCODERS, "parallel", lambda *a: pytest.fail("re-tokenised"))
    again = encode_cached("parallel", tok, ds, 32)
    for side in ("src", "tgt"):
        assert all(np.array_equal(a, b) for a, b in zip(first.ragged[side], again.ragged[side], strict=True))
    assert isinstance(again.ragged["src"][0], np.memmap)  # loaded lazily, not read whole
    monkeypatch.undo()
    monkeypatch.setenv("REALIGN_SEARCH_CACHE", str(tmp_path))
    encode_cached("parallel", tok, ds, 16)  # another max length is another entry
    assert len([p for p in (tmp_path / "tokenised").iterdir() if not p.name.startswith(".")]) == 2


def test_collate_pads_and_masks() -> None:
    world = fake_world()
    enc = encode_cached("pos", world.tokenizer(), world.task("pos", "en", "test"), 64)
    batch = collate(enc, [0, 1, 2], pad_id=0)
    lengths = enc.lengths("input_ids")[:3]
    assert batch["input_ids"].shape == (3, lengths.max())
    assert batch["attention_mask"].sum(1).tolist() == lengths.tolist()
    assert (batch["labels"][batch["attention_mask"] == 0] == IGNORE).all()


def test_bucketed_batches_cover_every_row_once_and_group_lengths() -> None:
    lengths = np.random.default_rng(0).integers(5, 100, size=1000)
    batches = bucketed_batches(lengths, 16, np.random.default_rng(1), pool_batches=10)
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(1000))
    padded = sum(len(b) * lengths[b].max() for b in batches)
    plain = sum(len(b) * lengths[b].max() for b in np.array_split(np.arange(1000), len(batches)))
    assert padded < 0.8 * plain


def test_token_budget_batches_respect_the_budget() -> None:
    lengths = np.array([5, 50, 7, 30, 30, 2])
    batches = list(token_budget_batches(lengths, max_tokens=60))
    assert sorted(np.concatenate(batches).tolist()) == list(range(6))
    assert all(len(b) * lengths[b].max() <= 60 or len(b) == 1 for b in batches)


def test_concat_keeps_rows() -> None:
    world = fake_world()
    tok = world.tokenizer()
    a = encode_cached("nli", tok, world.task("nli", "de", "test"), 64)
    b = encode_cached("nli", tok, world.task("nli", "en", "test"), 64)
    merged = concat([a, b])
    assert len(merged) == len(a) + len(b)
    assert np.array_equal(merged.row("input_ids", len(a)), b.row("input_ids", 0))
    assert merged.scalars["label"].tolist() == a.scalars["label"].tolist() + b.scalars["label"].tolist()


def _xlmr_tokenizer():
    """A real ``XLMRobertaTokenizer`` (SentencePiece Unigram, Metaspace) over a hand-written vocabulary:
    "中文" and "." have no "▁"-prefixed piece, so they tokenise as a bare "▁" then the rest, as in XLM-R."""
    from transformers import XLMRobertaTokenizer

    vocab = [
        ("<s>", 0.0),
        ("<pad>", 0.0),
        ("</s>", 0.0),
        ("<unk>", 0.0),
        ("\u2581", -2.0),
        ("\u2581the", -1.0),
        ("\u2581cat", -1.0),
        ("中", -3.0),
        ("文", -3.0),
        (".", -2.0),
        ("\u2581s", -2.0),
        ("leeps", -2.0),
        ("<mask>", 0.0),
    ]
    return XLMRobertaTokenizer(vocab=vocab)


def test_xlmr_bare_space_pieces_are_dropped_and_the_next_piece_is_labelled() -> None:
    """As the paper's LabelAlignmentMapper(remove_underscore_if_roberta=True): "▁" leaves the input and
    the word's label goes to its first real piece."""
    from trainables.data import bare_space_id

    tok = _xlmr_tokenizer()
    bare = bare_space_id(tok)
    assert tok.convert_ids_to_tokens(bare) == "\u2581"
    words, tags = ["the", "cat", "中文", "sleeps", "."], [5, 7, 11, 15, 12]
    raw = tok.convert_ids_to_tokens(tok(words, is_split_into_words=True)["input_ids"])
    assert raw == ["<s>", "\u2581the", "\u2581cat", "\u2581", "中", "文", "\u2581s", "leeps", "\u2581", ".", "</s>"]
    ds = datasets.Dataset.from_dict({"tokens": [words], "tags": [tags]})
    enc = encode_tagging(tok, ds, max_length=128)
    assert tok.convert_ids_to_tokens(enc.row("input_ids", 0).tolist()) == [
        "<s>",
        "\u2581the",
        "\u2581cat",
        "中",
        "文",
        "\u2581s",
        "leeps",
        ".",
        "</s>",
    ]
    assert enc.row("labels", 0).tolist() == [IGNORE, 5, 7, 11, IGNORE, 15, IGNORE, 12, IGNORE]
    pairs = datasets.Dataset.from_dict({"src": ["the cat ."], "tgt": ["中文 ."]})
    parallel = data_mod.encode_parallel(tok, pairs, 128)
    assert bare not in parallel.row("src", 0).tolist() and bare not in parallel.row("tgt", 0).tolist()
    assert parallel.row("tgt_word_start", 0).tolist() == [0, 1, 0, 1, 0]  # <s> 中 文 . </s>


def test_bare_space_rule_is_for_xlmr_tokenizers_only() -> None:
    from trainables.data import bare_space_id

    assert bare_space_id(fake_world().tokenizer()) is None


def _save_bert_with_pooler(path) -> dict[str, torch.Tensor]:
    from transformers import BertConfig, BertModel

    tok = fake_world().tokenizer()
    torch.manual_seed(7)
    config = BertConfig(
        vocab_size=len(tok),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    model = BertModel(config, add_pooling_layer=True)
    model.save_pretrained(str(path))
    return {k: v.clone() for k, v in model.pooler.state_dict().items()}


def test_mbert_nli_head_starts_from_the_pretrained_pooler(tmp_path) -> None:
    """As BertForSequenceClassification: logits = classifier(dropout(tanh(pooler.dense(h[CLS]))))."""
    pretrained = _save_bert_with_pooler(tmp_path)
    model = TaskModel(load_encoder(str(tmp_path), "nli"), "nli").eval()
    assert model.uses_pooler
    for name, value in model.encoder.pooler.state_dict().items():
        assert torch.equal(value, pretrained[name]), name
    ids = torch.tensor([[2, 10, 11, 3], [2, 12, 3, 0]])
    mask = (ids != 0).long()
    with torch.no_grad():
        hidden = model.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        pooled = torch.tanh(hidden[:, 0] @ pretrained["dense.weight"].T + pretrained["dense.bias"])
        assert torch.allclose(model(ids, mask), model.head.classifier(pooled), atol=1e-6)
    assert load_encoder(str(tmp_path), "pos").pooler is None  # tagging heads never read it


def test_xlmr_nli_head_is_robertas_own(tmp_path) -> None:
    from transformers import AutoModel

    from trainables.finetune import SentencePairHead
    from trainables.real.models import architecture_config

    config = architecture_config(
        "xlmr",
        vocab_size=50,
        overrides=dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64),
    )
    AutoModel.from_config(config).save_pretrained(str(tmp_path))
    model = TaskModel(load_encoder(str(tmp_path), "nli"), "nli")
    assert not model.uses_pooler and model.encoder.pooler is None and isinstance(model.head, SentencePairHead)
