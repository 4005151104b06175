"""RealWorld's model side: tokenizer and weights from a local mirror, random init of the real architectures.

The tokenizer is a tiny WordPiece built in a tmp dir, standing in for a downloaded mBERT tokenizer.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers  # noqa: E402
from transformers import AutoModel, BertModel, PreTrainedTokenizerFast, XLMRobertaModel  # noqa: E402

from spaces.errors import ConfigError  # noqa: E402
from trainables.real import RealWorld  # noqa: E402
from trainables.real.models import MODEL_DIR_ENV, architecture_config, load_tokenizer  # noqa: E402

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
CORPUS = ["Good morning .", "Thank you .", "The cat sleeps .", "Bonjour .", "Merci .", "E kaaro ."] * 5


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True, raising=False)


def save_tiny_tokenizer(path: Path) -> PreTrainedTokenizerFast:
    """A WordPiece tokenizer with BERT's special tokens, trained on a few sentences."""
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(CORPUS, trainers.WordPieceTrainer(vocab_size=120, special_tokens=specials))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    fast.save_pretrained(path)
    return fast


@pytest.fixture()
def model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``$REALIGN_SEARCH_MODEL_DIR`` holding a tokenizer for both models (no weights)."""
    root = tmp_path / "models"
    for name in ("bert-base-multilingual-cased", "xlm-roberta-base"):
        save_tiny_tokenizer(root / name)
    monkeypatch.setenv(MODEL_DIR_ENV, str(root))
    return root


def test_tokenizer_comes_from_the_local_mirror(model_dir: Path, tmp_path: Path) -> None:
    world = RealWorld("mbert", cache_dir=tmp_path / "cache")
    tok = world.tokenizer()
    encoded = tok("Good morning .")
    assert tok.convert_ids_to_tokens(encoded["input_ids"]) == ["[CLS]", "Good", "morning", ".", "[SEP]"]
    assert world.tokenizer() is tok  # loaded once per world


def test_model_path_prefers_a_local_checkpoint_else_the_hub_id(model_dir: Path, tmp_path: Path) -> None:
    world = RealWorld("bert-base-multilingual-cased", cache_dir=tmp_path / "cache")
    assert world.model_path() == "bert-base-multilingual-cased"  # tokenizer only: weights from the hub
    (model_dir / "bert-base-multilingual-cased" / "config.json").write_text("{}")
    assert world.model_path() == str(model_dir / "bert-base-multilingual-cased")


def test_random_init_saves_the_real_architecture_once(model_dir: Path, tmp_path: Path) -> None:
    world = RealWorld("mbert", cache_dir=tmp_path / "cache", random_init=True, seed=3, model_overrides=TINY)
    path = Path(world.model_path())
    model = AutoModel.from_pretrained(path)
    assert isinstance(model, BertModel)
    assert model.config.vocab_size == len(world.tokenizer())
    assert model.config.num_hidden_layers == 2 and model.config.hidden_size == 32
    assert model.config.pad_token_id == world.tokenizer().pad_token_id
    stamp = (path / "model.safetensors").stat().st_mtime_ns
    assert world.model_path() == str(path)  # a second trial reuses the saved weights
    assert (path / "model.safetensors").stat().st_mtime_ns == stamp

    # gradients flow through the saved encoder from a real tokenised batch
    batch = world.tokenizer()(["Good morning .", "Merci ."], padding=True, return_tensors="pt")
    out = model(**batch).last_hidden_state
    assert torch.isfinite(out).all()
    out.sum().backward()
    assert model.embeddings.word_embeddings.weight.grad.abs().sum() > 0


def test_random_init_is_seeded(model_dir: Path, tmp_path: Path) -> None:
    def weights(cache: str, seed: int) -> torch.Tensor:
        world = RealWorld("mbert", cache_dir=tmp_path / cache, random_init=True, seed=seed, model_overrides=TINY)
        return AutoModel.from_pretrained(world.model_path()).encoder.layer[0].attention.self.query.weight

    before = torch.random.get_rng_state()
    same_a, same_b, other = weights("a", 0), weights("b", 0), weights("c", 1)
    assert torch.equal(same_a, same_b) and not torch.equal(same_a, other)
    assert torch.equal(torch.random.get_rng_state(), before)  # the caller's RNG is untouched


def test_random_init_xlmr(model_dir: Path, tmp_path: Path) -> None:
    world = RealWorld("xlm-roberta-base", cache_dir=tmp_path / "cache", random_init=True, model_overrides=TINY)
    model = AutoModel.from_pretrained(world.model_path())
    assert isinstance(model, XLMRobertaModel) and model.config.model_type == "xlm-roberta"


def test_default_architectures_match_the_published_checkpoints() -> None:
    mbert = architecture_config("mbert")
    assert (
        mbert.model_type,
        mbert.vocab_size,
        mbert.hidden_size,
        mbert.num_hidden_layers,
        mbert.num_attention_heads,
        mbert.intermediate_size,
        mbert.max_position_embeddings,
    ) == ("bert", 119547, 768, 12, 12, 3072, 512)
    xlmr = architecture_config("xlm-roberta-base")
    assert (
        xlmr.model_type,
        xlmr.vocab_size,
        xlmr.hidden_size,
        xlmr.num_hidden_layers,
        xlmr.max_position_embeddings,
        xlmr.type_vocab_size,
        xlmr.pad_token_id,
    ) == ("xlm-roberta", 250002, 768, 12, 514, 1, 1)


def test_missing_tokenizer_is_a_config_error_saying_what_to_provide(monkeypatch, tmp_path: Path) -> None:
    from huggingface_hub import try_to_load_from_cache

    if isinstance(try_to_load_from_cache("bert-base-multilingual-cased", "tokenizer_config.json"), str):
        pytest.skip("this machine has the mBERT tokenizer in its hub cache")
    monkeypatch.delenv(MODEL_DIR_ENV, raising=False)
    with pytest.raises(ConfigError) as err:
        load_tokenizer("mbert")
    assert err.value.field == "tokenizer" and MODEL_DIR_ENV in str(err.value)
    world = RealWorld("mbert", cache_dir=tmp_path, random_init=True, model_overrides=TINY)
    with pytest.raises(ConfigError):
        world.model_path()  # random init needs the real tokenizer's vocabulary


def test_environment_reaches_worlds_built_by_name(model_dir: Path, tmp_path: Path, monkeypatch) -> None:
    from trainables.worlds import get_world

    monkeypatch.setenv("REALIGN_SEARCH_DATA_DIR", str(Path(__file__).resolve().parents[1] / "fixtures" / "real"))
    monkeypatch.setenv("REALIGN_SEARCH_RANDOM_INIT", "1")
    world = get_world("real", model="mbert", cache_dir=tmp_path, model_overrides=TINY)
    assert world.random_init and world.data_dir is not None
    assert Path(world.model_path()).parent == tmp_path / "models"
    assert world.task("nli", "fr", "test")["label"] == [2]
    monkeypatch.setenv("REALIGN_SEARCH_RANDOM_INIT", "0")
    assert not get_world("real", model="mbert", cache_dir=tmp_path).random_init
