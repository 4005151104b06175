"""Label vocabularies shared by every world, so a model fine-tuned on one split reads any other.

Orders follow the real datasets (XTREME-R UDPOS / Universal Dependencies UPOS, WikiANN, XNLI), so the
real loaders need no remapping for their main sources and the tiny world matches them by construction.
"""

from __future__ import annotations

UPOS = (
    "ADJ",
    "ADP",
    "ADV",
    "AUX",
    "CCONJ",
    "DET",
    "INTJ",
    "NOUN",
    "NUM",
    "PART",
    "PRON",
    "PROPN",
    "PUNCT",
    "SCONJ",
    "SYM",
    "VERB",
    "X",
)
NER = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
NLI = ("entailment", "neutral", "contradiction")

LABELS: dict[str, tuple[str, ...]] = {"pos": UPOS, "ner": NER, "nli": NLI}
METRIC: dict[str, str] = {"pos": "accuracy", "ner": "f1", "nli": "accuracy"}
