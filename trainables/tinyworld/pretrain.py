"""The tiny encoder: a WordPiece tokenizer and a small BERT pretrained by masked-LM on monolingual text.

Why MLM on monolingual text only: that is how mBERT/XLM-R were made, and it is what leaves distant
languages poorly aligned with English (no parallel signal; only shared subwords, names and structure tie
languages together) -- the gap realignment is meant to close. The tokenizer and model come straight from
``tokenizers`` / ``transformers``; this module only fixes their settings and the training loop.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import BertConfig, BertForMaskedLM, DataCollatorForLanguageModeling, PreTrainedTokenizerFast

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
WORD_START = "\u2581"  # "▁": marks the first piece of each word, so decoding restores the spaces


@dataclass(frozen=True)
class EncoderSpec:
    """Size and pretraining schedule of the tiny encoder (sized for a <= 3 minute build on 2 cores)."""

    vocab_size: int = 4000
    hidden: int = 128
    layers: int = 2
    heads: int = 2
    intermediate: int = 256
    max_length: int = 48
    steps: int = 1200
    batch_size: int = 32
    lr: float = 1e-3
    warmup: int = 100
    mask_probability: float = 0.15

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def train_tokenizer(texts: Iterable[str], alphabet: Iterable[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """Subword tokenizer (BPE over SentencePiece-style ``▁``-marked words, as XLM-R's), trained with
    ``tokenizers``. ``alphabet`` puts every character of the world (also of languages left out of
    pretraining) in the vocabulary, so no world text ever maps to [UNK].

    Why not ``WordPieceTrainer``: it assigns ids to its ``##`` continuation tokens in hash-map order, so
    merge ties -- and hence the vocabulary -- differ from process to process (huggingface/tokenizers
    #1794; two builds here differed in 14 tokens). With every symbol in the sorted initial alphabet,
    BPE training is deterministic, and so is the whole world.
    """
    chars = sorted(set(alphabet) | {WORD_START})
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.normalizer = normalizers.NFC()  # no lower-casing/accent stripping: it would break scripts
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=WORD_START, prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement=WORD_START, prepend_scheme="always")
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=chars,
        limit_alphabet=len(chars) + 16,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=512,
        clean_up_tokenization_spaces=False,  # decode must give back the exact world text
    )


def bert_config(spec: EncoderSpec, tokenizer: PreTrainedTokenizerFast) -> BertConfig:
    return BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden,
        num_hidden_layers=spec.layers,
        num_attention_heads=spec.heads,
        intermediate_size=spec.intermediate,
        max_position_embeddings=max(128, spec.max_length * 2),
        pad_token_id=tokenizer.pad_token_id,
    )


def pretrain(
    texts: list[str],
    tokenizer: PreTrainedTokenizerFast,
    spec: EncoderSpec,
    seed: int,
    progress: Callable[[int, float], None] | None = None,
) -> BertForMaskedLM:
    """Masked-LM pretraining, deterministic for a seed on CPU (one thread, seeded order and masks).

    One thread also because on a shared 2-core machine 2 torch threads were measured ~10x slower per
    step than 1 (each thread waits for its sibling whenever that one is descheduled).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _pretrain(texts, tokenizer, spec, seed, progress)
    finally:
        torch.set_num_threads(threads)


def _pretrain(
    texts: list[str],
    tokenizer: PreTrainedTokenizerFast,
    spec: EncoderSpec,
    seed: int,
    progress: Callable[[int, float], None] | None,
) -> BertForMaskedLM:
    torch.manual_seed(seed)
    model = BertForMaskedLM(bert_config(spec, tokenizer))
    model.train()
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=spec.mask_probability, return_tensors="pt")
    encoded = tokenizer(texts, truncation=True, max_length=spec.max_length)["input_ids"]
    order_rng = random.Random(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=spec.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / spec.warmup) * max(0.0, 1 - step / spec.steps)
    )
    order: list[int] = []
    for step in range(spec.steps):
        if len(order) < spec.batch_size:
            fresh = list(range(len(encoded)))
            order_rng.shuffle(fresh)
            order.extend(fresh)
        batch_ids, order = order[: spec.batch_size], order[spec.batch_size :]
        batch = collator([{"input_ids": encoded[i]} for i in batch_ids])
        loss = masked_lm_loss(model, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        if progress is not None:
            progress(step, loss.item())
    model.eval()
    return model


def masked_lm_loss(model: BertForMaskedLM, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """MLM loss with the vocabulary projection applied to the masked positions only.

    Equal to ``model(**batch).loss``, but the output layer (the biggest matmul of a tiny BERT) runs
    on ~15% of the positions instead of all of them.
    """
    labels = batch["labels"]
    hidden = model.bert(input_ids=batch["input_ids"], attention_mask=batch.get("attention_mask")).last_hidden_state
    chosen = labels != -100
    if not chosen.any():  # a short batch can draw no mask at all: nothing to learn, not NaN
        return hidden.sum() * 0.0
    logits = model.cls(hidden[chosen])
    return torch.nn.functional.cross_entropy(logits, labels[chosen])
