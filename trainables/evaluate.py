"""Zero-shot evaluation per target language: accuracy (PoS, NLI) and entity-span F1 (NER).

Span F1 follows seqeval's default (conlleval) chunking so numbers are comparable with the paper's:
a chunk starts at ``B-X``, or at ``I-X`` that does not continue a chunk of type X; it ends at ``O``,
at a ``B-``, or at a type change. Micro-averaged over all sentences of a language.

Evaluation is the largest compute item of a tiny trial (every target language, every epoch), so all
languages go through the model in one pass of length-sorted, token-budgeted batches under
``torch.inference_mode``; predictions are split back per language afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import torch

from trainables.data import IGNORE, Encoded, collate, concat, token_budget_batches
from trainables.device import DeviceSetup
from trainables.finetune import TOKEN_TASKS, TaskModel
from trainables.labels import LABELS


def accuracy(pred: np.ndarray, gold: np.ndarray) -> float:
    return float(np.mean(pred == gold)) if len(gold) else float("nan")


def bio_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """(type, start, end-exclusive) chunks of one IOB2 tag sequence, conlleval rules."""
    spans: list[tuple[str, int, int]] = []
    start, kind = None, ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, label = tag.partition("-") if tag != "O" else ("O", "", "")
        if start is not None and (prefix in ("B", "O") or label != kind):
            spans.append((kind, start, i))
            start = None
        if prefix == "B" or (prefix == "I" and start is None):
            start, kind = i, label
    return spans


def span_f1(predicted: Iterable[Sequence[str]], gold: Iterable[Sequence[str]]) -> float:
    """Micro F1 of exactly matching (type, start, end) chunks over paired sentences."""
    n_pred = n_gold = n_hit = 0
    for p_tags, g_tags in zip(predicted, gold, strict=True):
        p, g = set(bio_spans(p_tags)), set(bio_spans(g_tags))
        n_pred, n_gold, n_hit = n_pred + len(p), n_gold + len(g), n_hit + len(p & g)
    if n_hit == 0:
        return 0.0 if (n_pred or n_gold) else float("nan")
    precision, recall = n_hit / n_pred, n_hit / n_gold
    return 2 * precision * recall / (precision + recall)


@torch.inference_mode()
def predict(model: TaskModel, encoded: Encoded, setup: DeviceSetup, pad_id: int,
            max_tokens: int = 16384) -> list[np.ndarray]:
    """Predicted label ids per example: one per labelled word (tokens) or a single one (NLI)."""
    was_training = model.training
    model.eval()
    out: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * len(encoded)
    token_task = model.task in TOKEN_TASKS
    for rows in token_budget_batches(encoded.lengths("input_ids"), max_tokens):
        batch = collate(encoded, rows, pad_id)
        with setup.autocast():
            logits = model(setup.to_device(batch["input_ids"]), setup.to_device(batch["attention_mask"]),
                           setup.to_device(batch["token_type_ids"]) if "token_type_ids" in batch else None)
        best = logits.argmax(-1).cpu().numpy()
        if token_task:
            keep = batch["labels"].numpy() != IGNORE
            for j, row in enumerate(rows):
                out[row] = best[j][keep[j]]
        else:
            for j, row in enumerate(rows):
                out[row] = best[j:j + 1]
    model.train(was_training)
    return out


def gold_labels(encoded: Encoded, task: str) -> list[np.ndarray]:
    if task in TOKEN_TASKS:
        return [labels[labels != IGNORE] for labels in
                (encoded.row("labels", i) for i in range(len(encoded)))]
    return [encoded.scalars["label"][i:i + 1] for i in range(len(encoded))]


def score(task: str, predicted: Sequence[np.ndarray], gold: Sequence[np.ndarray]) -> float:
    """The task's metric (``trainables.labels.METRIC``) over one language's examples."""
    if task == "ner":
        names = LABELS["ner"]
        return span_f1([[names[t] for t in p] for p in predicted], [[names[t] for t in g] for g in gold])
    if not gold:
        return float("nan")
    return accuracy(np.concatenate(predicted), np.concatenate(gold))


def evaluate_languages(model: TaskModel, test_sets: Mapping[str, Encoded], setup: DeviceSetup,
                       pad_id: int, max_tokens: int = 16384) -> dict[str, float]:
    """Score per language, all languages batched together."""
    langs = list(test_sets)
    merged = concat([test_sets[lang] for lang in langs])
    predicted = predict(model, merged, setup, pad_id, max_tokens)
    gold = gold_labels(merged, model.task)
    scores, start = {}, 0
    for lang in langs:
        end = start + len(test_sets[lang])
        scores[lang] = score(model.task, predicted[start:end], gold[start:end])
        start = end
    return scores
