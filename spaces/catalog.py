"""The language catalog: every language the product can realign on or evaluate, with its facts.

The facts live as data in ``spaces/data/languages.toml`` (each with its source); this module only
parses them once and answers look-ups. Codes resolve from the paper's code, the ISO 639-3 key or any
benchmark alias, so users can paste codes straight from a results table.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from spaces.errors import ConfigError
from spaces.vocab import REAL_MODELS, TINY_MODEL

ENGLISH = "en"
PARALLEL_SOURCES = ("opus100", "nllb")


@dataclass(frozen=True)
class Language:
    """One catalog entry. ``code`` is the canonical (paper) code used everywhere inside the product."""

    code: str
    iso3: str
    name: str
    family: str
    script: str
    joshi: int
    seen_mbert: bool
    seen_xlmr: bool
    parallel: str | None = None
    groups: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def realignable(self) -> bool:
        """Whether parallel data exists for it, i.e. it belongs to the 65-language realignment pool."""
        return self.parallel is not None

    @property
    def is_lrl(self) -> bool:
        """The paper's low-resource languages: Joshi class <= 2."""
        return self.joshi <= 2

    def seen_by(self, model: str) -> bool:
        """Whether ``model``'s encoder saw this language in pretraining (``mbert``/``xlmr``/``tiny`` or a
        Hugging Face model id).

        The tiny world's encoder is pretrained on English and on the realignment-pool languages that
        XLM-R saw, and on nothing else (``trainables.tinyworld`` builds it from exactly this rule), so an
        evaluation-only language is unseen by it even where XLM-R saw it.
        """
        key = model.lower()
        if key == TINY_MODEL:
            return self.code == ENGLISH or (self.realignable and self.seen_xlmr)
        if "xlm" in key:
            return self.seen_xlmr
        if "bert" in key:
            return self.seen_mbert
        raise ConfigError(
            "model", f"unknown model {model!r} for pretraining coverage", ["mbert", "xlmr", TINY_MODEL, *REAL_MODELS]
        )


@dataclass(frozen=True)
class Catalog:
    """All languages, in file order, with a resolver over every code form."""

    languages: tuple[Language, ...]
    sources: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        index: dict[str, Language] = {}
        for lang in self.languages:
            for key in {lang.code, lang.iso3, *lang.aliases}:
                other = index.get(key.lower())
                if other is not None and other.code != lang.code:
                    raise ValueError(f"catalog code {key!r} names both {other.code} and {lang.code}")
                index[key.lower()] = lang
        object.__setattr__(self, "_index", index)

    def __iter__(self):
        return iter(self.languages)

    def __len__(self) -> int:
        return len(self.languages)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.lower() in self._index  # type: ignore[attr-defined]

    def get(self, code: str, field_name: str = "language") -> Language:
        """Resolve any known code form; unknown codes are a ConfigError listing the canonical codes."""
        lang = self._index.get(code.lower())  # type: ignore[attr-defined]
        if lang is None:
            raise ConfigError(field_name, f"unknown language code {code!r}", self.codes())
        return lang

    def resolve(self, codes: Iterable[str], field_name: str = "languages") -> list[str]:
        """Canonical codes for user-given codes, order kept, duplicates dropped."""
        out: list[str] = []
        for code in codes:
            canon = self.get(code, field_name).code
            if canon not in out:
                out.append(canon)
        return out

    def codes(self, where: Callable[[Language], bool] | None = None) -> list[str]:
        return [lang.code for lang in self.languages if where is None or where(lang)]

    def realignment_pool(self) -> list[str]:
        """The paper's 65 realignment languages (those with OPUS-100 or NLLB parallel data)."""
        return self.codes(lambda lang: lang.realignable)

    def pretraining_languages(self, model: str) -> list[str]:
        """Languages ``model``'s encoder saw in pretraining (``Language.seen_by``), in catalog order."""
        return self.codes(lambda lang: lang.seen_by(model))

    def group(self, name: str) -> list[str]:
        groups = sorted({g for lang in self.languages for g in lang.groups})
        if name not in groups:
            raise ConfigError("group", f"unknown group {name!r}", groups)
        return self.codes(lambda lang: name in lang.groups)


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """Parse the packaged catalog once per process."""
    raw = tomllib.loads(resources.files("spaces.data").joinpath("languages.toml").read_text("utf-8"))
    langs = tuple(
        Language(
            code=item["code"],
            iso3=item["iso3"],
            name=item["name"],
            family=item["family"],
            script=item["script"],
            joshi=int(item["joshi"]),
            seen_mbert=bool(item["seen_mbert"]),
            seen_xlmr=bool(item["seen_xlmr"]),
            parallel=item.get("parallel"),
            groups=tuple(item.get("groups", ())),
            aliases=tuple(item.get("aliases", ())),
        )
        for item in raw["language"]
    )
    return Catalog(languages=langs, sources=dict(raw.get("sources", {})))
