"""A minute World for unit tests of trainables: random tiny BERT, WordPiece tokenizer, schema-true data.

It honours the World interface of docs/ARCHITECTURE.md exactly (column names, ClassLabel features) but
is built in about a second, so realignment/fine-tuning/trial tests do not wait for the tiny world.
Languages are real catalog codes so ``trainables.metrics.aggregate`` classifies them.
"""

from __future__ import annotations

import atexit
import random
import shutil
import tempfile
from functools import cache
from pathlib import Path

import datasets
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

from trainables.labels import NER, NLI, UPOS

LANGUAGES = ("en", "de", "yor_Latn", "hau_Latn")  # English, a seen HRL, two LRLs
CONCEPTS = [
    ("the", "DET"),
    ("a", "DET"),
    ("cat", "NOUN"),
    ("dog", "NOUN"),
    ("house", "NOUN"),
    ("sees", "VERB"),
    ("eats", "VERB"),
    ("big", "ADJ"),
    ("small", "ADJ"),
    ("in", "ADP"),
    ("quickly", "ADV"),
    ("two", "NUM"),
]
NAMES = [("Ada", "PER"), ("Lagos", "LOC"), ("Unesco", "ORG"), ("Berlin", "LOC"), ("Musa", "PER")]


def _lexicon(lang: str) -> dict[str, str]:
    """English word -> this language's word (a seeded syllable string; English maps to itself)."""
    if lang == "en":
        return {w: w for w, _ in CONCEPTS}
    rng = random.Random(lang)
    syllables = ["ka", "lo", "mi", "tu", "re", "sa", "no", "bi", "fe", "gu", "zo", "ya"]
    return {w: "".join(rng.choice(syllables) for _ in range(rng.randint(1, 3))) for w, _ in CONCEPTS}


def _sentence(rng: random.Random) -> list[tuple[str, str, str]]:
    """A list of (English word, UPOS, NER) triples."""
    out = []
    for _ in range(rng.randint(3, 8)):
        if rng.random() < 0.2:
            name, kind = rng.choice(NAMES)
            out.append((name, "PROPN", f"B-{kind}"))
        else:
            word, pos = rng.choice(CONCEPTS)
            out.append((word, pos, "O"))
    return out


def _render(sent: list[tuple[str, str, str]], lang: str) -> list[str]:
    lex = _lexicon(lang)
    return [lex.get(w, w) for w, _, _ in sent]


class FakeWorld:
    """Implements trainables.worlds.World over generated data; see module docstring."""

    name = "fake"

    def __init__(self, root: Path, n_parallel: int = 64, n_train: int = 48, n_test: int = 24) -> None:
        self.root = root
        self.n_parallel, self.n_train, self.n_test = n_parallel, n_train, n_test
        self._tok = PreTrainedTokenizerFast.from_pretrained(str(root))

    def tokenizer(self) -> PreTrainedTokenizerFast:
        return self._tok

    def model_path(self) -> str:
        return str(self.root)

    def parallel_languages(self) -> list[str]:
        return [lang for lang in LANGUAGES if lang != "en"]

    def task_languages(self, task: str) -> list[str]:
        return list(LANGUAGES)

    def parallel(self, lang: str) -> datasets.Dataset:
        rng = random.Random(f"parallel-{lang}")
        sents = [_sentence(rng) for _ in range(self.n_parallel)]
        return datasets.Dataset.from_dict(
            {
                "src": [" ".join(_render(s, "en")) for s in sents],
                "tgt": [" ".join(_render(s, lang)) for s in sents],
            }
        )

    def task(self, task: str, lang: str, split: str) -> datasets.Dataset:
        if split != "test" and lang != "en":
            raise KeyError(f"{task}/{lang}/{split}: only English has train/validation")
        rng = random.Random(f"{task}-{lang}-{split}")
        n = self.n_train if split == "train" else self.n_test
        sents = [_sentence(rng) for _ in range(n)]
        if task in ("pos", "ner"):
            names = UPOS if task == "pos" else NER
            features = datasets.Features(
                {
                    "tokens": datasets.Sequence(datasets.Value("string")),
                    "tags": datasets.Sequence(datasets.ClassLabel(names=list(names))),
                }
            )
            col = 1 if task == "pos" else 2
            return datasets.Dataset.from_dict(
                {
                    "tokens": [_render(s, lang) for s in sents],
                    "tags": [[names.index(t[col]) for t in s] for s in sents],
                },
                features=features,
            )
        features = datasets.Features(
            {
                "premise": datasets.Value("string"),
                "hypothesis": datasets.Value("string"),
                "label": datasets.ClassLabel(names=list(NLI)),
            }
        )
        hyps = [_sentence(rng) for _ in range(n)]
        return datasets.Dataset.from_dict(
            {
                "premise": [" ".join(_render(s, lang)) for s in sents],
                "hypothesis": [" ".join(_render(h, lang)) for h in hyps],
                "label": [rng.randrange(3) for _ in range(n)],
            },
            features=features,
        )


def _train_tokenizer() -> PreTrainedTokenizerFast:
    rng = random.Random(0)
    corpus = [" ".join(_render(_sentence(rng), lang)) for lang in LANGUAGES for _ in range(200)]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(corpus, trainers.WordPieceTrainer(vocab_size=200, special_tokens=specials))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    from tokenizers import decoders

    tok.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )


@cache
def fake_world_root() -> Path:
    """Build the tokenizer + random encoder once per test session, in a temp dir removed at exit."""
    import torch

    root = Path(tempfile.mkdtemp(prefix="fake-world-"))
    atexit.register(shutil.rmtree, root, True)
    tok = _train_tokenizer()
    tok.save_pretrained(str(root))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tok),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=160,
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(str(root))
    return root


def fake_world(**sizes: int) -> FakeWorld:
    return FakeWorld(fake_world_root(), **sizes)
