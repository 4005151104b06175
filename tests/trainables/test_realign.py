"""The realignment objective: exact value, gradients, pooling and what it rewards."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import AutoModel

from _fake_world import fake_world
from trainables.realign import (
    ProjectionHead,
    Realigner,
    content_mask,
    contrastive_loss,
    encoder_layer_states,
    mean_pool,
)


def _hand_loss(src: list[list[float]], tgt: list[list[float]], tau: float) -> float:
    """Symmetric InfoNCE written with explicit loops, independent of the implementation."""
    sents = src + tgt
    n = len(src)

    def cos(a: list[float], b: list[float]) -> float:
        dot = sum(x * y for x, y in zip(a, b, strict=True))
        return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))

    total = 0.0
    for i, anchor in enumerate(sents):
        positive = i + n if i < n else i - n
        denom = sum(math.exp(cos(anchor, other) / tau) for j, other in enumerate(sents) if j != i)
        total += -(cos(anchor, sents[positive]) / tau - math.log(denom))
    return total / (2 * n)


def test_loss_equals_hand_computation_on_three_pairs() -> None:
    src = [[1.0, 0.0, 2.0], [0.5, -1.0, 0.0], [0.0, 3.0, 1.0]]
    tgt = [[0.9, 0.2, 1.5], [1.0, -0.5, 0.5], [-0.2, 2.0, 2.0]]
    for tau in (0.1, 0.5):
        got = contrastive_loss(torch.tensor(src), torch.tensor(tgt), tau).item()
        assert got == pytest.approx(_hand_loss(src, tgt, tau), rel=1e-5)


def test_loss_is_symmetric_in_direction() -> None:
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(5, 8, generator=g), torch.randn(5, 8, generator=g)
    assert contrastive_loss(a, b).item() == pytest.approx(contrastive_loss(b, a).item(), rel=1e-6)


def test_mean_pool_ignores_padding_and_special_tokens() -> None:
    hidden = torch.arange(2 * 5 * 3, dtype=torch.float).reshape(2, 5, 3)
    ids = torch.tensor([[101, 7, 8, 102, 0], [101, 9, 102, 0, 0]])
    attn = (ids != 0).long()
    mask = content_mask(ids, attn, special_ids=[0, 101, 102])
    pooled = mean_pool(hidden, mask)
    assert torch.allclose(pooled[0], hidden[0, 1:3].mean(0))
    assert torch.allclose(pooled[1], hidden[1, 1])


def test_pooled_embedding_unchanged_by_extra_padding() -> None:
    world = fake_world()
    tok = world.tokenizer()
    encoder = AutoModel.from_pretrained(world.model_path()).eval()
    realigner = Realigner(encoder, tok.all_special_ids).eval()
    enc = tok(["the big cat sees Ada in Lagos"], return_tensors="pt")
    pad = torch.full((1, 6), tok.pad_token_id)
    padded_ids = torch.cat([enc["input_ids"], pad], dim=1)
    padded_attn = torch.cat([enc["attention_mask"], torch.zeros_like(pad)], dim=1)
    with torch.no_grad():
        plain = realigner.embed(enc["input_ids"], enc["attention_mask"])
        padded = realigner.embed(padded_ids, padded_attn)
    assert torch.allclose(plain, padded, atol=1e-5)


def test_pooling_excludes_special_tokens_of_the_encoder_output() -> None:
    world = fake_world()
    tok = world.tokenizer()
    encoder = AutoModel.from_pretrained(world.model_path()).eval()
    enc = tok(["two dogs eat"], return_tensors="pt")
    with torch.no_grad():
        hidden = encoder_layer_states(encoder, enc["input_ids"], enc["attention_mask"], -1)
        pooled = mean_pool(hidden, content_mask(enc["input_ids"], enc["attention_mask"], tok.all_special_ids))
    assert torch.allclose(pooled[0], hidden[0, 1:-1].mean(0), atol=1e-6)  # [CLS] ... [SEP]


def test_layer_selection_reads_the_requested_hidden_state() -> None:
    world = fake_world()
    encoder = AutoModel.from_pretrained(world.model_path()).eval()
    enc = world.tokenizer()(["a cat"], return_tensors="pt")
    with torch.no_grad():
        all_states = encoder(**enc, output_hidden_states=True).hidden_states
        assert torch.allclose(encoder_layer_states(encoder, enc["input_ids"], enc["attention_mask"], 1), all_states[1])
        assert torch.allclose(
            encoder_layer_states(encoder, enc["input_ids"], enc["attention_mask"], -1), all_states[-1], atol=1e-6
        )


def test_gradients_reach_the_encoder() -> None:
    world = fake_world()
    tok = world.tokenizer()
    encoder = AutoModel.from_pretrained(world.model_path())
    realigner = Realigner(encoder, tok.all_special_ids, proj_dim=16)
    batch = tok(["the cat sees a dog", "Ada eats", "kalo mi tu", "fe gu"], padding=True, return_tensors="pt")
    realigner(batch["input_ids"], batch["attention_mask"]).backward()
    for name in (
        "embeddings.word_embeddings.weight",
        "encoder.layer.0.attention.self.query.weight",
        "encoder.layer.1.output.dense.weight",
    ):
        grad = dict(encoder.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in realigner.head.parameters())


def test_matched_pairs_score_lower_than_shuffled_pairs() -> None:
    g = torch.Generator().manual_seed(0)
    src = torch.randn(8, 16, generator=g)
    tgt = src + 0.05 * torch.randn(8, 16, generator=g)  # translations close to their sources
    shuffled = tgt[torch.tensor([1, 2, 3, 4, 5, 6, 7, 0])]
    assert contrastive_loss(src, tgt).item() < contrastive_loss(src, shuffled).item()


def test_identical_pairs_through_the_model_score_lower_than_shuffled() -> None:
    world = fake_world()
    tok = world.tokenizer()
    realigner = Realigner(AutoModel.from_pretrained(world.model_path()), tok.all_special_ids).eval()
    pairs = world.parallel("de")
    src = pairs["src"][:6]
    shuffled = src[1:] + src[:1]
    with torch.no_grad():
        same = tok(src + src, padding=True, return_tensors="pt")
        other = tok(src + shuffled, padding=True, return_tensors="pt")
        assert realigner(**same).item() < realigner(**other).item()


def test_projection_head_shapes_and_no_bias() -> None:
    head = ProjectionHead(32, 8)
    assert head(torch.zeros(3, 32)).shape == (3, 8)
    assert all(isinstance(m, torch.nn.ReLU) or getattr(m, "bias", None) is None for m in head.net)


def test_bad_layer_is_a_config_error() -> None:
    from spaces.errors import ConfigError

    world = fake_world()
    encoder = AutoModel.from_pretrained(world.model_path())
    enc = world.tokenizer()(["a cat"], return_tensors="pt")
    with pytest.raises(ConfigError, match="realign.layer"):
        encoder_layer_states(encoder, enc["input_ids"], enc["attention_mask"], 7)


def test_length_grouped_encoding_equals_one_call() -> None:
    world = fake_world()
    tok = world.tokenizer()
    pairs = world.parallel("hau_Latn")
    batch = tok(pairs["src"][:5] + pairs["tgt"][:5], padding=True, return_tensors="pt")
    torch.manual_seed(0)
    realigner = Realigner(AutoModel.from_pretrained(world.model_path()), tok.all_special_ids).eval()
    with torch.no_grad():
        one = realigner.embed(batch["input_ids"], batch["attention_mask"])
        realigner.length_groups = 3
        grouped = realigner.embed(batch["input_ids"], batch["attention_mask"])
    assert torch.allclose(one, grouped, atol=1e-5)
    realigner.train()
    realigner(batch["input_ids"], batch["attention_mask"]).backward()
    assert realigner.encoder.embeddings.word_embeddings.weight.grad.abs().sum() > 0


def _layer_gradients(layer: int) -> dict[str, float]:
    """Summed |gradient| per encoder block after one realignment loss at ``layer`` (2-layer encoder)."""
    world = fake_world()
    tok = world.tokenizer()
    torch.manual_seed(0)
    encoder = AutoModel.from_pretrained(world.model_path())
    realigner = Realigner(encoder, tok.all_special_ids, proj_dim=16, layer=layer)
    batch = tok(["the cat sees a dog", "Ada eats", "kalo mi tu", "fe gu"], padding=True, return_tensors="pt")
    realigner(batch["input_ids"], batch["attention_mask"]).backward()
    blocks = {"embeddings": "embeddings.", "layer.0": "encoder.layer.0.", "layer.1": "encoder.layer.1."}
    return {
        block: sum(
            float(p.grad.abs().sum())
            for name, p in encoder.named_parameters()
            if name.startswith(prefix) and p.grad is not None
        )
        for block, prefix in blocks.items()
    }


def test_paper_layer_leaves_the_last_layer_without_realignment_gradient() -> None:
    """layer = -2 is the paper's ``layers=[-1]`` (hidden_states[n_layers - 1]): the penultimate layer's
    output, so the last encoder block gets no realignment gradient; layer = -1 trains it too."""
    paper, last = _layer_gradients(-2), _layer_gradients(-1)
    assert paper["layer.1"] == 0.0
    assert paper["layer.0"] > 0 and paper["embeddings"] > 0
    assert last["layer.1"] > 0 and last["layer.0"] > 0 and last["embeddings"] > 0


def test_paper_layer_index_is_the_papers_hidden_state() -> None:
    """The paper maps -1 to ``n_layers + (-1)`` and indexes ``hidden_states`` with it."""
    world = fake_world()
    encoder = AutoModel.from_pretrained(world.model_path()).eval()
    enc = world.tokenizer()(["a cat sees Ada"], return_tensors="pt")
    n_layers = encoder.config.num_hidden_layers
    with torch.no_grad():
        states = encoder(**enc, output_hidden_states=True).hidden_states
        ours = encoder_layer_states(encoder, enc["input_ids"], enc["attention_mask"], -2)
    assert torch.equal(ours, states[n_layers + (-1)])


def test_pooling_options_on_a_hand_built_batch() -> None:
    """[CLS] w1a w1b w2 [SEP] [PAD]: mean pooling averages positions 1-3, first-subword pooling 1 and 3,
    the paper's prefix 0 and 1."""
    world = fake_world()
    encoder = AutoModel.from_pretrained(world.model_path())
    specials = [0, 101, 102]
    ids = torch.tensor([[101, 7, 8, 9, 102, 0], [101, 10, 11, 12, 13, 102]])
    attn = (ids != 0).long()
    starts = torch.tensor([[0, 1, 0, 1, 0, 0], [0, 1, 1, 0, 0, 0]])  # row 2: words (10) (11 12 13)
    hidden = torch.arange(2 * 6 * 2, dtype=torch.float).reshape(2, 6, 2)
    mean = Realigner(encoder, specials, pooling="mean")
    first = Realigner(encoder, specials, pooling="first_subword")
    pooled_mean = mean_pool(hidden, mean.pooling_mask(ids, attn, starts))
    pooled_first = mean_pool(hidden, first.pooling_mask(ids, attn, starts))
    assert torch.allclose(pooled_mean[0], hidden[0, 1:4].mean(0))
    assert torch.allclose(pooled_first[0], (hidden[0, 1] + hidden[0, 3]) / 2)
    assert torch.allclose(pooled_mean[1], hidden[1, 1:5].mean(0))
    assert torch.allclose(pooled_first[1], (hidden[1, 1] + hidden[1, 2]) / 2)
    with pytest.raises(ValueError, match="word_start"):
        first.pooling_mask(ids, attn, None)
    # what the paper's code averaged: the first n_words positions, [CLS] included (2 words per row here)
    prefix = Realigner(encoder, specials, pooling="paper_prefix")
    pooled_prefix = mean_pool(hidden, prefix.pooling_mask(ids, attn, starts))
    assert torch.allclose(pooled_prefix, hidden[:, 0:2].mean(1))


def test_parallel_encoding_marks_the_first_subword_of_each_word() -> None:
    import datasets

    from trainables.data import encode_parallel

    world = fake_world()
    tok = world.tokenizer()
    novel = {"src": ["Adaberlin sees kalomitufe"], "tgt": ["Lagosunesco tu"]}  # words of several pieces
    pairs = datasets.concatenate_datasets([world.parallel("yor_Latn"), datasets.Dataset.from_dict(novel)])
    enc = encode_parallel(tok, pairs, max_length=128)
    multi_piece = 0
    for i in range(len(pairs)):
        for side in ("src", "tgt"):
            words = pairs[i][side].split()  # the fake world has no punctuation: words = whitespace words
            ids, starts = enc.row(side, i), enc.row(f"{side}_word_start", i)
            assert len(ids) == len(starts) and int(starts.sum()) == len(words)
            expected = [0]
            for word in words:
                expected += [1] + [0] * (len(tok(word, add_special_tokens=False)["input_ids"]) - 1)
            assert starts.tolist() == expected + [0]
            multi_piece += len(ids) - 2 > len(words)
    assert multi_piece, "no sentence with a multi-piece word"
