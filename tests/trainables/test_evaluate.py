"""Evaluation metrics against hand-computed values, and first-subword prediction alignment."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from trainables.data import IGNORE, Encoded, _ragged
from trainables.device import select_device
from trainables.evaluate import accuracy, evaluate_languages, span_f1, wu_post_processing


def test_post_processing_repairs_invalid_bio_as_the_paper_did() -> None:
    """Hand-derived from the rules of the paper's wikiann_ner.py: ner_post_processing."""
    cases = {
        ("I-PER", "I-PER", "O", "I-LOC"): ["B-PER", "I-PER", "O", "B-LOC"],  # I- opening a span
        ("B-PER", "I-LOC", "I-LOC"): ["B-LOC", "I-LOC", "I-LOC"],  # type switch in a span
        ("B-ORG", "I-PER", "O", "B-LOC"): ["B-PER", "I-PER", "O", "B-LOC"],
        ("B-LOC", "I-LOC", "B-PER", "I-PER"): ["B-PER", "I-PER", "B-PER", "I-PER"],  # the code's quirk
        ("I-ORG", "B-PER", "I-PER"): ["B-PER", "B-PER", "I-PER"],
        ("B-PER", "O", "B-LOC", "I-LOC"): ["B-PER", "O", "B-LOC", "I-LOC"],  # valid BIO: unchanged
        ("O", "O"): ["O", "O"],
    }
    for tags, expected in cases.items():
        assert wu_post_processing(list(tags)) == expected, tags


def test_span_f1_is_seqeval_after_post_processing_on_tricky_sequences() -> None:
    from seqeval.metrics import f1_score

    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "I-ORG"], ["B-LOC", "I-LOC", "B-PER", "I-PER"]]
    pred = [["I-PER", "I-PER", "O", "I-LOC"], ["B-PER", "I-ORG", "I-ORG"], ["B-LOC", "I-LOC", "B-PER", "I-PER"]]
    repaired = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "I-ORG"], ["B-PER", "I-PER", "B-PER", "I-PER"]]
    # repaired: 5 predicted spans, 5 gold spans, 4 exact hits (sentence 3's first span has the wrong type)
    assert span_f1(pred, gold) == pytest.approx(0.8)
    assert span_f1(pred, gold) == pytest.approx(f1_score(gold, repaired))
    # unrepaired, seqeval would find 6 spans, 4 hits (P = 4/6, R = 4/5): the repair changes the score
    assert f1_score(gold, pred) == pytest.approx(16 / 22)


def test_span_f1_by_hand() -> None:
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    # sentence 1: PER exact (hit), LOC missed, spurious ORG; sentence 2: ORG exact (hit)
    pred = [["B-PER", "I-PER", "B-ORG", "O"], ["B-ORG", "O"]]
    precision, recall = 2 / 3, 2 / 3
    assert span_f1(pred, gold) == pytest.approx(2 * precision * recall / (precision + recall))
    # a span with the wrong boundary is not a hit: P = 0/1, R = 0/1
    assert span_f1([["B-PER", "O"]], [["B-PER", "I-PER"]]) == 0.0
    # precision 1, recall 1/2
    assert span_f1([["B-PER", "O", "O"]], [["B-PER", "O", "B-LOC"]]) == pytest.approx(2 / 3)
    assert math.isnan(span_f1([["O"]], [["O"]]))


def test_accuracy() -> None:
    assert accuracy(np.array([1, 2, 3, 4]), np.array([1, 2, 0, 4])) == 0.75


class EchoModel(torch.nn.Module):
    """Predicts label ``input_id % n`` at every position (or of the first token, for NLI)."""

    def __init__(self, task: str, n: int = 7) -> None:
        super().__init__()
        self.task, self.n = task, n

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        logits = torch.nn.functional.one_hot(input_ids % self.n, self.n).float()
        return logits if self.task in ("pos", "ner") else logits[:, 0]


def _tagging(rows: list[tuple[list[int], list[int]]]) -> Encoded:
    return Encoded({"input_ids": _ragged([r[0] for r in rows]), "labels": _ragged([r[1] for r in rows])})


def test_token_predictions_are_read_at_labelled_positions_only() -> None:
    # ids 2/3 are [CLS]/[SEP]; labelled positions are first subwords; EchoModel predicts id % 7
    lang_a = _tagging(
        [
            ([2, 8, 9, 10, 3], [IGNORE, 1, IGNORE, 3, IGNORE]),  # 8%7=1 ok, 10%7=3 ok
            ([2, 11, 3], [IGNORE, 0, IGNORE]),
        ]
    )  # 11%7=4 wrong
    lang_b = _tagging([([2, 12, 13, 14, 15, 16, 3], [IGNORE, 5, 6, 0, 0, 0, IGNORE])])  # 5,6,0 ok; 1,2 wrong
    scores = evaluate_languages(EchoModel("pos"), {"a": lang_a, "b": lang_b}, select_device("cpu"), pad_id=0)
    assert scores == {"a": pytest.approx(2 / 3), "b": pytest.approx(3 / 5)}


def test_ner_scores_spans_over_first_subwords() -> None:
    # NER labels: O=0, B-PER=1, I-PER=2; EchoModel predicts id % 7
    enc = _tagging(
        [
            ([2, 8, 15, 7, 3], [IGNORE, 1, IGNORE, 0, IGNORE]),  # pred B-PER, O: hit
            ([2, 8, 9, 3], [IGNORE, 1, 0, IGNORE]),
        ]
    )  # gold B-PER O, pred B-PER I-PER: miss
    scores = evaluate_languages(EchoModel("ner"), {"x": enc}, select_device("cpu"), pad_id=0)
    assert scores["x"] == pytest.approx(0.5)  # P = 1/2, R = 1/2


def test_sentence_pair_accuracy_by_hand() -> None:
    # first ids 9, 8, 7 -> predictions 0, 2, 1 with n=3
    enc = Encoded({"input_ids": _ragged([[9, 4], [8, 4], [7, 1]])}, {"label": np.array([0, 2, 0])})
    scores = evaluate_languages(EchoModel("nli", n=3), {"x": enc}, select_device("cpu"), pad_id=0)
    assert scores["x"] == pytest.approx(2 / 3)
