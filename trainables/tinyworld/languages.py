"""Per-language surface facts of the tiny world, read from the catalog and lang2vec's syntax features.

Why a profile object: the grammar only needs a handful of decisions per language (word order, where
adjectives, adpositions and articles go, which script, which lexicon); computing them once keeps
sentence realisation a cheap table look-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from spaces.catalog import ENGLISH, load_catalog
from spaces.typology import load_typology
from trainables.tinyworld.lexicon import language_lexicon

ORDERS = ("SVO", "SOV", "VSO", "VOS", "OVS", "OSV")
FULL_STOP = {"Deva": "।", "Beng": "।", "Guru": "।", "Gujr": "।", "Hans": "。", "Jpan": "。", "Mymr": "။", "Ethi": "።"}
# Featural distances from English in the catalog span ~0.18-0.33; this maps them onto [0, 1].
_FEATURAL_NEAR, _FEATURAL_FAR = 0.17, 0.33


@dataclass(frozen=True)
class LanguageProfile:
    code: str
    script: str
    family: str
    order: str  # one of ORDERS: lang2vec's most likely basic word order
    adjective_before: bool
    adposition_after: bool
    article: str  # "before", "after" or "none"
    divergence: float  # 0 = English, 1 = as far as the catalog goes
    lexicon: dict[str, str]

    @property
    def full_stop(self) -> str:
        return FULL_STOP.get(self.script, ".")


def featural_closeness(code: str) -> float:
    """1 for English's featural neighbourhood, 0 at the far end of the catalog."""
    featural = (load_typology().distance("featural", ENGLISH, code) - _FEATURAL_NEAR) / (_FEATURAL_FAR - _FEATURAL_NEAR)
    return 1.0 - min(max(featural, 0.0), 1.0)


def shared_vocabulary_rate(code: str) -> float:
    """Share of non-Indo-European concepts that descend from English roots: 0.6 x featural closeness."""
    if code == ENGLISH or load_catalog().get(code).family == "Indo-European":
        return 0.0
    return 0.6 * featural_closeness(code)


def divergence_from_english(code: str) -> float:
    """Sound-change rate driver: featural distance from English, plus genetic distance within Indo-European.

    Other families start from their own proto-lexicon, so for them only the featural part matters: it
    decides how far members drift from their family (and hence from each other).
    """
    if code == ENGLISH:
        return 0.0
    featural = 1.0 - featural_closeness(code)
    if load_catalog().get(code).family == "Indo-European":
        return 0.5 * featural + 0.5 * load_typology().distance("genetic", ENGLISH, code)
    return 0.15 + 0.45 * featural


@cache
def profile(code: str, seed: int = 0) -> LanguageProfile:
    lang = load_catalog().get(code)
    syntax = load_typology().syntax(lang.code)
    order = max(ORDERS, key=lambda o: (syntax.get(f"S_{o}", 0.0), o == "SVO"))
    if syntax.get("S_DEFINITE_WORD", 0.0) < 0.5:
        article = "none"
    elif syntax.get("S_ARTICLE_WORD_AFTER_NOUN", 0.0) > syntax.get("S_ARTICLE_WORD_BEFORE_NOUN", 0.0):
        article = "after"
    else:
        article = "before"
    divergence = divergence_from_english(lang.code)
    return LanguageProfile(
        code=lang.code,
        script=lang.script,
        family=lang.family,
        order=order,
        adjective_before=syntax.get("S_ADJECTIVE_BEFORE_NOUN", 1.0) >= syntax.get("S_ADJECTIVE_AFTER_NOUN", 0.0),
        adposition_after=syntax.get("S_ADPOSITION_AFTER_NOUN", 0.0) > syntax.get("S_ADPOSITION_BEFORE_NOUN", 0.0),
        article=article,
        divergence=divergence,
        lexicon=language_lexicon(
            lang.code, lang.family, divergence, seed, shared_rate=shared_vocabulary_rate(lang.code)
        ),
    )
