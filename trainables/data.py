"""Tokenised corpora and task sets, cached on disk once for every trial, plus batching.

Tokenising is the part of a trial's set-up that does not depend on its hyperparameters, so it is done
once per (tokenizer, dataset, max length, encoding kind) and stored under ``cache_dir("tokenised")``
as flat int32 arrays with offsets (ragged rows), one ``.npy`` each: loading memory-maps them, no
Arrow/pickle work, and a trial reads only the pages of the rows it samples.
Every later trial -- in this process, another Ray worker, or another sweep -- reads that file.

Batching sorts by length (buckets) so padding, which costs as much compute as real tokens, stays small.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from spaces.errors import as_disk_full
from trainables.cache import cache_dir
from trainables.cache_health import heal_entry, load_healing

IGNORE = -100  # label of positions that carry no loss (non-first subwords, specials, padding)
# Bump when the on-disk layout or an encoding rule changes (it is part of every cache key, so an older
# entry is never read with a newer meaning). 3: parallel rows carry word starts; XLM-R bare "▁" dropped.
FORMAT_VERSION = "3"
BARE_SPACE = "\u2581"  # SentencePiece's word-start mark, "▁", as a piece of its own


@dataclass
class Encoded:
    """Tokenised examples: ragged int columns (``values`` + ``offsets``) and one-per-row scalars."""

    ragged: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    scalars: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        if self.ragged:
            return len(next(iter(self.ragged.values()))[1]) - 1
        return len(next(iter(self.scalars.values()))) if self.scalars else 0

    def row(self, column: str, index: int) -> np.ndarray:
        values, offsets = self.ragged[column]
        return values[offsets[index] : offsets[index + 1]]

    def lengths(self, column: str) -> np.ndarray:
        return np.diff(self.ragged[column][1])

    def head(self, n: int) -> Encoded:
        """The first ``n`` rows (a deterministic cap, e.g. ``pairs_per_language``)."""
        if n <= 0 or n >= len(self):
            return self
        ragged = {name: (values[: offsets[n]], offsets[: n + 1]) for name, (values, offsets) in self.ragged.items()}
        return Encoded(ragged, {name: arr[:n] for name, arr in self.scalars.items()})

    def save(self, path: Path) -> None:
        """One ``.npy`` per array in directory ``path`` (memory-mappable, unlike ``.npz``)."""
        arrays = {f"r.{k}.values": v for k, (v, _) in self.ragged.items()}
        arrays |= {f"r.{k}.offsets": o for k, (_, o) in self.ragged.items()}
        arrays |= {f"s.{k}": v for k, v in self.scalars.items()}
        # write-then-rename: concurrent trials may build the same entry; readers never see half of it
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
        try:
            for name, array in arrays.items():
                np.save(tmp / f"{name}.npy", array)
        except (OSError, ValueError) as err:  # numpy reports a full disk as "N requested and M written"
            shutil.rmtree(tmp, ignore_errors=True)
            full = as_disk_full(err, path.parent, wrote=sum(int(a.nbytes) for a in arrays.values()))
            if full is None:
                raise
            raise full from err
        try:
            os.rename(tmp, path)
        except OSError:  # another process finished the same entry first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, path: Path) -> Encoded:
        """Memory-mapped: a trial touches only the rows it samples (a real corpus can be gigabytes).

        Checked on the way (``check``): a truncated or garbled file fails here, naming itself, rather
        than as a wrong batch deep inside a trial."""
        out, ragged = cls(), set()
        for file in sorted(path.glob("*.npy")):
            kind, name, *_ = file.stem.split(".")
            if kind == "s":
                out.scalars[name] = _load_array(file)
            elif kind == "r":
                ragged.add(name)
        for name in sorted(ragged):  # a missing half of a pair fails here, naming it
            out.ragged[name] = (_load_array(path / f"r.{name}.values.npy"), _load_array(path / f"r.{name}.offsets.npy"))
        out.check(path)
        return out

    def check(self, where: Path) -> None:
        """Offsets start at 0, never decrease, end at the number of values; every column has as many
        rows. Reads the offsets only (rows + 1 integers), not the values."""
        if not self.ragged and not self.scalars:
            raise ValueError(f"{where} holds no arrays")
        rows = set()
        for name, (values, offsets) in self.ragged.items():
            if (
                offsets.ndim != 1
                or len(offsets) == 0
                or offsets[0] != 0
                or offsets[-1] != len(values)
                or bool(np.any(np.diff(offsets) < 0))
            ):
                raise ValueError(f"{where}/r.{name}.offsets.npy does not index r.{name}.values.npy")
            rows.add(len(offsets) - 1)
        rows |= {len(array) for array in self.scalars.values()}
        if len(rows) > 1:
            raise ValueError(f"{where}: columns disagree on the number of rows ({sorted(rows)})")


def _load_array(file: Path) -> np.ndarray:
    """``np.load`` memory-mapped, naming the file when it fails (numpy's own errors do not)."""
    try:
        return np.load(file, mmap_mode="r")
    except OSError as err:
        raise OSError(err.errno, f"{file}: {err.strerror or err}") from err
    except (ValueError, EOFError) as err:
        raise type(err)(f"{file}: {err}") from err


def _ragged(rows: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=offsets[1:])
    values = np.fromiter((x for r in rows for x in r), dtype=np.int32, count=int(offsets[-1]))
    return values, offsets


# ----------------------------------------------------------------------------------------- encodings
def _col(ds: datasets.Dataset, name: str) -> list:
    """A column as a plain list (``ds[name]`` is a lazy ``Column`` in datasets >= 4)."""
    return ds[name][:]


def bare_space_id(tokenizer: PreTrainedTokenizerBase) -> int | None:
    """The id of XLM-R's bare "▁" piece, which the paper's code drops from its inputs; None otherwise.

    XLM-R's SentencePiece splits some words into a bare "▁" and the rest (before digits, punctuation,
    CJK...). The paper removes that piece from every token-classification and realignment input, so the
    word's label goes to its first real piece (``multilingual_eval/datasets/label_alignment.py:
    LabelAlignmentMapper.__call__`` and ``realignment_task.py: AdaptAlignmentToTokenizerMapper.
    retrieve_positions_and_remove_underscore``, both ``remove_underscore_if_roberta=True``, both keyed
    on ``isinstance(tokenizer, XLMRobertaTokenizer[Fast])``). NLI inputs keep it (``xnli.py: XNLIMapper``).
    """
    from transformers import XLMRobertaTokenizer  # in transformers 5 also the "Fast" class

    if not isinstance(tokenizer, XLMRobertaTokenizer):
        return None
    token_id = tokenizer.convert_tokens_to_ids(BARE_SPACE)
    return None if token_id is None or token_id == tokenizer.unk_token_id else int(token_id)


def _words(enc, i: int, bare: int | None) -> tuple[list[int], list[int | None]]:
    """Row ``i``'s ids and word ids, without bare "▁" pieces when ``bare`` is set (after truncation, as
    the paper: a truncated sentence loses them too, it does not gain tokens)."""
    ids, words = enc["input_ids"][i], enc.word_ids(i)
    if bare is None:
        return ids, words
    kept = [j for j, token in enumerate(ids) if token != bare]
    return [ids[j] for j in kept], [words[j] for j in kept]


def word_starts(words: Sequence[int | None]) -> list[int]:
    """1 at the first subword of each word, 0 elsewhere (special tokens and continuation pieces)."""
    return [int(word is not None and (j == 0 or words[j - 1] != word)) for j, word in enumerate(words)]


def encode_parallel(tokenizer: PreTrainedTokenizerBase, ds: datasets.Dataset, max_length: int) -> Encoded:
    """``src``/``tgt`` sentences -> input ids with the model's special tokens, each side truncated, and
    ``<side>_word_start`` flags (first subword of each word, the fast tokenizer's word segmentation) for
    first-subword pooling."""
    bare = bare_space_id(tokenizer)
    ragged = {}
    for side in ("src", "tgt"):
        enc = tokenizer(_col(ds, side), truncation=True, max_length=max_length)
        rows = [_words(enc, i, bare) for i in range(len(enc["input_ids"]))]
        ragged[side] = _ragged([ids for ids, _ in rows])
        ragged[f"{side}_word_start"] = _ragged([word_starts(words) for _, words in rows])
    return Encoded(ragged)


def encode_tagging(tokenizer: PreTrainedTokenizerBase, ds: datasets.Dataset, max_length: int) -> Encoded:
    """Word-tagged sentences -> subword ids with first-subword labels (other subwords get IGNORE).

    Words lost to truncation lose their labels too, for training and evaluation alike (as XTREME does).
    XLM-R's bare "▁" pieces are dropped (``bare_space_id``), so a word's label sits on its first real piece.
    """
    enc = tokenizer(_col(ds, "tokens"), is_split_into_words=True, truncation=True, max_length=max_length)
    bare = bare_space_id(tokenizer)
    ids_rows, labels = [], []
    for i, tags in enumerate(_col(ds, "tags")):
        ids, words = _words(enc, i, bare)
        starts = word_starts(words)
        ids_rows.append(ids)
        labels.append([tags[word] if start else IGNORE for word, start in zip(words, starts, strict=True)])
    return Encoded({"input_ids": _ragged(ids_rows), "labels": _ragged(labels)})


def encode_sentence_pairs(tokenizer: PreTrainedTokenizerBase, ds: datasets.Dataset, max_length: int) -> Encoded:
    """Premise/hypothesis -> one ``[CLS] p [SEP] h [SEP]`` sequence (segment ids kept) and its label."""
    enc = tokenizer(
        _col(ds, "premise"), _col(ds, "hypothesis"), truncation=True, max_length=max_length, return_token_type_ids=True
    )
    ragged = {"input_ids": _ragged(enc["input_ids"])}
    if "token_type_ids" in enc:
        ragged["token_type_ids"] = _ragged(enc["token_type_ids"])
    return Encoded(ragged, {"label": np.asarray(_col(ds, "label"), dtype=np.int64)})


ENCODERS: dict[str, Callable[[PreTrainedTokenizerBase, datasets.Dataset, int], Encoded]] = {
    "parallel": encode_parallel,
    "pos": encode_tagging,
    "ner": encode_tagging,
    "nli": encode_sentence_pairs,
}


# ----------------------------------------------------------------------------------------- cache
_TOKENIZER_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_MEMORY: dict[str, Encoded] = {}  # per-process: repeated trials in one worker skip even the np.load


def tokenizer_fingerprint(tokenizer: PreTrainedTokenizerBase) -> str:
    """Content hash of the tokenizer (vocabulary, normaliser, templates), not of its path."""
    key = _TOKENIZER_KEYS.get(tokenizer)
    if key is None:
        backend = getattr(tokenizer, "backend_tokenizer", None)
        content = backend.to_str() if backend is not None else repr(sorted(tokenizer.get_vocab().items()))
        key = hashlib.sha1(f"{type(tokenizer).__name__}\n{content}".encode()).hexdigest()[:16]
        _TOKENIZER_KEYS[tokenizer] = key
    return key


def dataset_fingerprint(ds: datasets.Dataset) -> str:
    """``datasets``' own content fingerprint (deterministic for loaded and in-memory datasets)."""
    return ds._fingerprint


def encode_cached(kind: str, tokenizer: PreTrainedTokenizerBase, ds: datasets.Dataset, max_length: int) -> Encoded:
    """``ENCODERS[kind]`` applied once per (tokenizer, dataset, max length); later calls load it."""
    key = "-".join([kind, tokenizer_fingerprint(tokenizer), dataset_fingerprint(ds), str(max_length), FORMAT_VERSION])
    if key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir("tokenised") / key

    def build() -> Encoded:
        built = ENCODERS[kind](tokenizer, ds, max_length)
        built.save(path)
        return built

    if path.is_dir():
        encoded = load_healing(path, lambda: Encoded.load(path), lambda err: heal_entry(path, err, build))
    else:
        encoded = build()
    _MEMORY[key] = encoded
    return encoded


# ----------------------------------------------------------------------------------------- batching
def pad(rows: Sequence[np.ndarray], value: int) -> torch.Tensor:
    """Right-pad int rows to the longest into a [B, T] int64 tensor."""
    out = np.full((len(rows), max((len(r) for r in rows), default=0)), value, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return torch.from_numpy(out)


def collate(encoded: Encoded, indices: Sequence[int], pad_id: int) -> dict[str, torch.Tensor]:
    """A model-ready batch: ``input_ids``, ``attention_mask`` and whatever else the encoding holds."""
    batch = {}
    for name in encoded.ragged:
        value = pad_id if name == "input_ids" else (IGNORE if name == "labels" else 0)
        batch[name] = pad([encoded.row(name, i) for i in indices], value)
    lengths = torch.as_tensor([len(encoded.row("input_ids", i)) for i in indices])
    batch["attention_mask"] = (torch.arange(batch["input_ids"].shape[1]) < lengths[:, None]).long()
    for name, arr in encoded.scalars.items():
        batch[name] = torch.from_numpy(arr[np.asarray(indices, dtype=np.int64)])
    return batch


def collate_parallel(
    encoded: Encoded | Sequence[tuple[Encoded, int]], indices: Sequence[int] | None, pad_id: int
) -> dict[str, torch.Tensor]:
    """N sources followed by their N translations in one padded batch (one encoder call per step).

    ``encoded`` is one language's pairs with ``indices`` into them, or (``indices=None``) a sequence of
    ``(pairs, index)``: one pair each, from any languages (mixed-language batches). ``word_start`` is
    present when the encoding carries word starts.
    """
    pairs = [(encoded, i) for i in indices] if indices is not None else list(encoded)
    rows = [part.row("src", i) for part, i in pairs] + [part.row("tgt", i) for part, i in pairs]
    ids = pad(rows, pad_id)
    lengths = torch.as_tensor([len(r) for r in rows])
    batch = {"input_ids": ids, "attention_mask": (torch.arange(ids.shape[1]) < lengths[:, None]).long()}
    if all("src_word_start" in part.ragged for part, _ in pairs):
        batch["word_start"] = pad(
            [part.row("src_word_start", i) for part, i in pairs] + [part.row("tgt_word_start", i) for part, i in pairs],
            0,
        )
    return batch


def bucketed_batches(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator, pool_batches: int = 50
) -> list[np.ndarray]:
    """Training batches of similar length in random order.

    Shuffle, cut into pools of ``pool_batches`` batches, sort each pool by length, split into batches,
    shuffle the batches: nearly the padding of a global sort, nearly the randomness of a plain shuffle.
    """
    order = rng.permutation(len(lengths))
    batches = []
    for start in range(0, len(order), batch_size * pool_batches):
        pool = order[start : start + batch_size * pool_batches]
        pool = pool[np.argsort(lengths[pool], kind="stable")]
        batches.extend(pool[i : i + batch_size] for i in range(0, len(pool), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def token_budget_batches(lengths: np.ndarray, max_tokens: int, max_rows: int = 512) -> Iterator[np.ndarray]:
    """Evaluation batches by length (shortest first), each with at most ``max_tokens`` padded tokens."""
    order = np.argsort(lengths, kind="stable")
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and end - start < max_rows and (end - start + 1) * lengths[order[end]] <= max_tokens:
            end += 1
        yield order[start:end]
        start = end


def concat(parts: Sequence[Encoded]) -> Encoded:
    """Rows of several encodings in one (e.g. every target language, for one batched evaluation pass)."""
    if not parts:
        return Encoded()
    ragged = {}
    for name in parts[0].ragged:
        values = np.concatenate([p.ragged[name][0] for p in parts])
        shifts = np.cumsum([0] + [int(p.ragged[name][1][-1]) for p in parts[:-1]])
        offsets = np.concatenate([[0]] + [p.ragged[name][1][1:] + s for p, s in zip(parts, shifts, strict=True)])
        ragged[name] = (values, offsets.astype(np.int64))
    scalars = {name: np.concatenate([p.scalars[name] for p in parts]) for name in parts[0].scalars}
    return Encoded(ragged, scalars)
