"""The seeded data generator: monolingual text, English-parallel pairs and task sets for every language.

Why test sets share meanings across languages: like XNLI/UDPOS test sets (translations of one source),
every language's test set realises the *same* events, so differences between languages measure transfer
and nothing else. Training, validation, parallel and monolingual data come from separate RNG streams,
so no test meaning leaks into English fine-tuning or realignment data by construction of the streams.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from datasets import Dataset, Features, Value

from spaces.catalog import ENGLISH, load_catalog
from spaces.vocab import SPLITS, TASKS, TINY_MODEL, TOKEN_TASKS
from trainables.labels import NER, NLI, UPOS
from trainables.schema import PARALLEL_FEATURES, task_features
from trainables.tinyworld.grammar import EventSampler, nli_pair, realise, text
from trainables.tinyworld.languages import profile
from trainables.tinyworld.lexicon import name_pool, stable_rng

FEATURES: dict[str, Features] = {task: task_features(task) for task in TASKS}
TEXT_FEATURES = Features({"text": Value("string")})


@dataclass(frozen=True)
class Sizes:
    """How much of each kind of data a world holds (examples / pairs / sentences)."""

    train: int = 1500
    validation: int = 300
    test: int = 200
    parallel: int = 1500
    # Monolingual sentences per Joshi class: high-resource languages get more pretraining text, as in
    # real pretraining corpora, so low-resource languages end up with weaker representations.
    monolingual: tuple[tuple[int, int], ...] = ((5, 3000), (4, 2000), (3, 1500), (2, 800))

    def split_size(self, split: str) -> int:
        return {"train": self.train, "validation": self.validation, "test": self.test}[split]

    def monolingual_size(self, joshi: int) -> int:
        return dict(self.monolingual).get(joshi, min(n for _, n in self.monolingual))


class Generator:
    """All of one seed's data; every method is a pure function of (seed, sizes, arguments)."""

    def __init__(self, seed: int = 0, sizes: Sizes = Sizes()) -> None:
        self.seed = seed
        self.sizes = sizes
        self.names = name_pool(seed)

    def _sampler(self, *stream: object) -> EventSampler:
        return EventSampler(stable_rng("events", self.seed, *stream), self.names)

    def _split_stream(self, task: str, lang: str, split: str) -> tuple[object, ...]:
        # Test meanings are shared by all languages; English train/validation have their own streams.
        if split == "test":
            return (task, "test")
        if lang != ENGLISH:
            raise ValueError(f"split {split!r} exists for English only")
        return (task, split)

    def monolingual(self, lang: str, n: int | None = None) -> list[str]:
        prof = profile(lang, self.seed)
        n = self.sizes.monolingual_size(load_catalog().get(lang).joshi) if n is None else n
        sampler = self._sampler("mono", lang)
        return [text(realise(sampler.sentence(), prof)) for _ in range(n)]

    def parallel(self, lang: str, n: int | None = None) -> dict[str, list[str]]:
        src_prof, tgt_prof = profile(ENGLISH, self.seed), profile(lang, self.seed)
        sampler = self._sampler("parallel", lang)
        src, tgt = [], []
        for _ in range(self.sizes.parallel if n is None else n):
            events = sampler.sentence()
            src.append(text(realise(events, src_prof)))
            tgt.append(text(realise(events, tgt_prof)))
        return {"src": src, "tgt": tgt}

    def tagged(self, task: str, lang: str, split: str, n: int | None = None) -> dict[str, list]:
        """PoS or NER examples: word tokens with per-token label ids."""
        prof = profile(lang, self.seed)
        sampler = self._sampler(*self._split_stream(task, lang, split))
        column = 1 if task == "pos" else 2
        names = UPOS if task == "pos" else NER
        tokens, tags = [], []
        for _ in range(self.sizes.split_size(split) if n is None else n):
            sent = realise(sampler.sentence(), prof)
            tokens.append([tok[0] for tok in sent])
            tags.append([names.index(tok[column]) for tok in sent])
        return {"tokens": tokens, "tags": tags}

    def nli(self, lang: str, split: str, n: int | None = None) -> dict[str, list]:
        """Balanced NLI examples; the label is drawn first so every class is equally likely."""
        prof = profile(lang, self.seed)
        sampler = self._sampler(*self._split_stream("nli", lang, split))
        premises, hypotheses, labels = [], [], []
        for _ in range(self.sizes.split_size(split) if n is None else n):
            label = sampler.rng.randrange(len(NLI))
            premise, hypothesis = nli_pair(sampler, NLI[label])
            premises.append(text(realise([premise], prof)))
            hypotheses.append(text(realise([hypothesis], prof)))
            labels.append(label)
        return {"premise": premises, "hypothesis": hypotheses, "label": labels}

    def task(self, task: str, lang: str, split: str, n: int | None = None) -> dict[str, list]:
        if task == "nli":
            return self.nli(lang, split, n)
        if task in TOKEN_TASKS:
            return self.tagged(task, lang, split, n)
        raise ValueError(f"unknown task {task!r}")

    def task_dataset(self, task: str, lang: str, split: str, n: int | None = None) -> Dataset:
        return Dataset.from_dict(self.task(task, lang, split, n), features=FEATURES[task])

    def parallel_dataset(self, lang: str, n: int | None = None) -> Dataset:
        return Dataset.from_dict(self.parallel(lang, n), features=PARALLEL_FEATURES)

    def monolingual_dataset(self, lang: str, n: int | None = None) -> Dataset:
        return Dataset.from_dict({"text": self.monolingual(lang, n)}, features=TEXT_FEATURES)


def task_splits(lang: str) -> tuple[str, ...]:
    """English has train/validation/test; every other language a test split only."""
    return SPLITS if lang == ENGLISH else ("test",)


def parallel_languages() -> list[str]:
    return load_catalog().realignment_pool()


def pretraining_languages() -> list[str]:
    """Languages whose monolingual text the encoder sees: English and the pool languages XLM-R saw.

    Evaluation-only languages and those outside XLM-R's pretraining set stay unseen, as in the paper.
    The rule lives in ``spaces.catalog.Language.seen_by("tiny")``, so the metrics know the tiny encoder's
    unseen languages without building the world.
    """
    return load_catalog().pretraining_languages(TINY_MODEL)


def fingerprint(records: Iterator[object] | list[object]) -> str:
    """sha256 over a JSON rendering: equal data <=> equal fingerprint (used to check determinism)."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(json.dumps(record, ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()
