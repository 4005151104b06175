"""Zero-shot evaluation per target language: accuracy (PoS, NLI) and entity-span F1 (NER).

NER is scored as the paper scored it (``multilingual_eval/datasets/wikiann_ner.py:
get_wikiann_metric_fn``): predicted tags first go through its post-processing for tag sequences that are
not valid BIO (``ner_post_processing``, after Wu et al.; ``wu_post_processing`` here), then ``seqeval``
computes the micro-averaged span F1 over all sentences of a language (``overall_f1`` of the ``evaluate``
wrapper it called = seqeval's micro F1, default conlleval chunking). Gold tags are not post-processed.

Evaluation is the largest compute item of a tiny trial (every target language, every epoch), so all
languages go through the model in one pass of length-sorted, token-budgeted batches under
``torch.inference_mode``; predictions are split back per language afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import torch

from spaces.vocab import TOKEN_TASKS
from trainables.data import IGNORE, Encoded, collate, concat, token_budget_batches
from trainables.device import DeviceSetup
from trainables.finetune import TaskModel
from trainables.labels import LABELS


def accuracy(pred: np.ndarray, gold: np.ndarray) -> float:
    return float(np.mean(pred == gold)) if len(gold) else float("nan")


def wu_post_processing(tags: Sequence[str]) -> list[str]:
    """The paper's repair of predicted IOB2 tags before scoring (``wikiann_ner.py: ner_post_processing``).

    1. Left to right: an ``I-X`` that starts the sentence or follows ``O`` (in the ORIGINAL tags)
       becomes ``B-X``.
    2. Right to left: the type of a trailing ``I-`` run is carried leftwards and overwrites the type of
       every tag up to the next ``O`` or the first ``B-`` of ANOTHER type, which is rewritten and ends
       the carry: ``B-PER I-LOC I-LOC`` -> ``B-LOC I-LOC I-LOC``. A ``B-`` of the carried type does not
       end the carry (the paper's code behaves so), so ``B-LOC I-LOC B-PER I-PER`` becomes
       ``B-PER I-PER B-PER I-PER``; this is reproduced, since the published scores include it.
    """
    out, previous = [], None
    for tag in tags:
        out.append(f"B-{tag[2:]}" if tag.startswith("I") and previous in (None, "O") else tag)
        previous = tag
    carried = None
    for i in range(len(out) - 1, -1, -1):
        tag = out[i]
        if carried is None and tag.startswith("I"):
            carried = tag[2:]
        elif tag == "O":
            carried = None
        elif carried is not None and tag[2:] != carried:
            out[i] = f"{tag[0]}-{carried}"
            if tag.startswith("B"):
                carried = None
    return out


def span_f1(predicted: Iterable[Sequence[str]], gold: Iterable[Sequence[str]]) -> float:
    """``seqeval``'s micro span F1 of the post-processed predictions against the gold tags; NaN when
    neither side has a single entity (an F1 over nothing is undefined, not 0)."""
    from seqeval.metrics import f1_score

    pred = [wu_post_processing(tags) for tags in predicted]
    gold = [list(tags) for tags in gold]
    if len(pred) != len(gold):
        raise ValueError(f"{len(pred)} predicted sentences for {len(gold)} gold ones")
    if all(tag == "O" for tags in (*pred, *gold) for tag in tags):
        return float("nan")
    return float(f1_score(gold, pred, average="micro", zero_division=0))


@torch.inference_mode()
def predict(
    model: TaskModel, encoded: Encoded, setup: DeviceSetup, pad_id: int, max_tokens: int = 16384
) -> list[np.ndarray]:
    """Predicted label ids per example: one per labelled word (tokens) or a single one (NLI)."""
    was_training = model.training
    model.eval()
    out: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * len(encoded)
    token_task = model.task in TOKEN_TASKS
    for rows in token_budget_batches(encoded.lengths("input_ids"), max_tokens):
        batch = collate(encoded, rows, pad_id)
        with setup.autocast():
            logits = model(
                setup.to_device(batch["input_ids"]),
                setup.to_device(batch["attention_mask"]),
                setup.to_device(batch["token_type_ids"]) if "token_type_ids" in batch else None,
            )
        best = logits.argmax(-1).cpu().numpy()
        if token_task:
            keep = batch["labels"].numpy() != IGNORE
            for j, row in enumerate(rows):
                out[row] = best[j][keep[j]]
        else:
            for j, row in enumerate(rows):
                out[row] = best[j : j + 1]
    model.train(was_training)
    return out


def gold_labels(encoded: Encoded, task: str) -> list[np.ndarray]:
    if task in TOKEN_TASKS:
        return [labels[labels != IGNORE] for labels in (encoded.row("labels", i) for i in range(len(encoded)))]
    return [encoded.scalars["label"][i : i + 1] for i in range(len(encoded))]


def score(task: str, predicted: Sequence[np.ndarray], gold: Sequence[np.ndarray]) -> float:
    """The task's metric (``trainables.labels.METRIC``) over one language's examples."""
    if task == "ner":
        names = LABELS["ner"]
        return span_f1([[names[t] for t in p] for p in predicted], [[names[t] for t in g] for g in gold])
    if not gold:
        return float("nan")
    return accuracy(np.concatenate(predicted), np.concatenate(gold))


def evaluate_languages(
    model: TaskModel, test_sets: Mapping[str, Encoded], setup: DeviceSetup, pad_id: int, max_tokens: int = 16384
) -> dict[str, float]:
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
