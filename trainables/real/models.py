"""The two pretrained encoders of the paper, from the hub, a local mirror, or randomly initialised.

Random initialisation exists for machines without hub access (GPU boxes behind a firewall): it keeps the
real architecture — and so the real memory and speed profile — while the tokenizer must still come from
a local copy, because a random tokenizer would change what a trial measures.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from transformers import AutoTokenizer, BertConfig, PretrainedConfig, PreTrainedTokenizerBase, XLMRobertaConfig

from spaces.errors import ConfigError
from spaces.vocab import MODEL_ALIASES, REAL_MODELS, canonical_model

MODEL_DIR_ENV = "REALIGN_SEARCH_MODEL_DIR"

# The published configs of the two checkpoints (huggingface.co/<id>/blob/main/config.json).
ARCHITECTURES: dict[str, tuple[type[PretrainedConfig], dict[str, Any]]] = {
    "bert-base-multilingual-cased": (
        BertConfig,
        dict(
            vocab_size=119547,
            hidden_size=768,
            num_hidden_layers=12,
            num_attention_heads=12,
            intermediate_size=3072,
            max_position_embeddings=512,
            type_vocab_size=2,
            pad_token_id=0,
            layer_norm_eps=1e-12,
        ),
    ),
    "xlm-roberta-base": (
        XLMRobertaConfig,
        dict(
            vocab_size=250002,
            hidden_size=768,
            num_hidden_layers=12,
            num_attention_heads=12,
            intermediate_size=3072,
            max_position_embeddings=514,
            type_vocab_size=1,
            pad_token_id=1,
            bos_token_id=0,
            eos_token_id=2,
            layer_norm_eps=1e-5,
        ),
    ),
}


def real_model_id(model: str) -> str:
    """The hub id for a model name or alias; anything else is a ConfigError."""
    name = canonical_model(model)
    if name not in REAL_MODELS:
        raise ConfigError("model", f"the real world has no model {model!r}", [*REAL_MODELS, *MODEL_ALIASES])
    return name


def local_model_dir(model: str) -> Path | None:
    """``$REALIGN_SEARCH_MODEL_DIR/<model>`` when it exists (weights and/or tokenizer saved there)."""
    root = os.environ.get(MODEL_DIR_ENV)
    if not root:
        return None
    path = Path(root) / model
    return path if path.is_dir() else None


def architecture_config(
    model: str, vocab_size: int | None = None, overrides: Mapping[str, Any] | None = None
) -> PretrainedConfig:
    """The checkpoint's architecture as a config; ``overrides`` shrink it for tests."""
    config_cls, sizes = ARCHITECTURES[real_model_id(model)]
    params = dict(sizes)
    if vocab_size is not None:
        params["vocab_size"] = vocab_size
    params.update(overrides or {})
    return config_cls(**params)


def load_tokenizer(model: str, tokenizer_dir: str | Path | None = None) -> PreTrainedTokenizerBase:
    """The model's tokenizer: an explicit dir, the local mirror, else the hub (cached by transformers)."""
    model = real_model_id(model)
    source = tokenizer_dir or local_model_dir(model)
    if source is not None:
        return AutoTokenizer.from_pretrained(str(source))
    try:
        return AutoTokenizer.from_pretrained(model)
    except OSError as err:
        raise ConfigError(
            "tokenizer",
            f"cannot load the {model} tokenizer from the hub ({type(err).__name__}); save it once with "
            f"`AutoTokenizer.from_pretrained({model!r}).save_pretrained(DIR/{model})` on a machine with "
            f"access and set ${MODEL_DIR_ENV}=DIR (or pass tokenizer_dir=...)",
        ) from err


def random_init_dir(
    model: str, tokenizer: PreTrainedTokenizerBase, root: Path, seed: int, overrides: Mapping[str, Any] | None = None
) -> Path:
    """Save (once) a randomly initialised model of the real architecture and the tokenizer; return its dir.

    The directory name carries the seed and a hash of the shape (tokenizer vocabulary, overrides), so
    differently shaped models never share it and a second trial reuses the first one's weights.
    """
    import torch
    from transformers import AutoModel

    shape = {
        "vocab_size": len(tokenizer),
        **({} if tokenizer.pad_token_id is None else {"pad_token_id": tokenizer.pad_token_id}),
        **(overrides or {}),
    }
    tag = json.dumps(dict(sorted(shape.items())), separators=(",", ":"))
    path = root / f"{real_model_id(model)}-random-seed{seed}-{hashlib.sha1(tag.encode()).hexdigest()[:10]}"

    def build() -> None:
        config = architecture_config(model, overrides=shape)
        with torch.random.fork_rng(devices=[]):  # seed the init without disturbing the caller's RNG
            torch.manual_seed(seed)
            encoder = AutoModel.from_config(config)
        tmp = path.with_name(path.name + ".partial")
        encoder.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / "random_init.json").write_text(tag)
        try:
            tmp.rename(path)
        except OSError:  # another process finished first: its copy is equivalent
            if not (path / "config.json").exists():
                raise

    if not (path / "config.json").exists():
        build()
        return path
    # Reused: weights damaged since they were saved are moved aside and made again (same seed, same model).
    from trainables.cache_health import check_model_dir, heal_entry, load_healing

    def verified() -> Path:
        check_model_dir(path)
        return path

    return load_healing(path, verified, lambda err: heal_entry(path, err, build))
