"""The tiny world's vocabulary: concepts, proper names, and one lexicon per language.

Why this shape: cross-lingual transfer in real encoders rides on shared surface forms (cognates, shared
scripts, names) and is hurt by distance. So English words are the Indo-European proto-forms; every other
family draws its own seeded proto-lexicon; each language then mutates its family's forms at a rate that
grows with its featural and genetic distance from English, and gives its nouns/verbs a language-specific
ending. Close relatives of English (pcm, nl, de, af) therefore share many subwords with it, distant ones
none but the names.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass

from trainables.tinyworld.scripts import CONSONANTS, VOWELS

# Concept inventory: key -> (English form, UPOS). Keys are what the grammar manipulates.
NOUNS = (
    "man",
    "woman",
    "child",
    "dog",
    "cat",
    "bird",
    "teacher",
    "doctor",
    "farmer",
    "student",
    "book",
    "car",
    "house",
    "tree",
    "letter",
    "apple",
    "bread",
    "ball",
    "phone",
    "horse",
)
PLACES = ("market", "school", "village", "park", "garden", "office", "river", "station")
TRANSITIVE = ("saw", "bought", "found", "took", "made", "sold", "read", "carried", "liked", "opened")
INTRANSITIVE = ("slept", "ran", "arrived", "laughed", "sang", "worked", "waited", "danced")
ADJECTIVES = ("big", "small", "old", "new", "red", "green", "happy", "tall")
NUMBERS = ("two", "three", "four", "five", "six", "seven")
ADPOSITIONS = ("in", "near", "behind")
TIMES = ("today", "yesterday", "again")
FUNCTION = {"the": "DET", "and": "CCONJ", "never": "ADV"}

CONCEPTS: dict[str, str] = {
    **{w: "NOUN" for w in NOUNS + PLACES},
    **{w: "VERB" for w in TRANSITIVE + INTRANSITIVE},
    **{w: "ADJ" for w in ADJECTIVES},
    **{w: "NUM" for w in NUMBERS},
    **{w: "ADP" for w in ADPOSITIONS},
    **{w: "ADV" for w in TIMES},
    **FUNCTION,
}

# Soft sound changes first (b<->p ...), so light mutation keeps words recognisable.
_NEIGHBOURS = {
    "b": "p",
    "p": "b",
    "d": "t",
    "t": "d",
    "g": "k",
    "k": "g",
    "v": "f",
    "f": "v",
    "s": "z",
    "z": "s",
    "m": "n",
    "n": "m",
    "l": "r",
    "r": "l",
    "c": "k",
    "q": "k",
    "x": "s",
    "j": "y",
    "y": "j",
    "h": "",
    "w": "v",
}


def stable_rng(*parts: object) -> random.Random:
    """A private RNG per purpose, stable across processes and Python versions."""
    return random.Random(zlib.crc32("\x1f".join(map(str, parts)).encode()))


def random_word(rng: random.Random, n_syllables: int) -> str:
    onsets = [c for c in CONSONANTS if c not in "qxc"]
    return "".join(rng.choice(onsets) + rng.choice(VOWELS) for _ in range(n_syllables))


def mutate(word: str, rate: float, rng: random.Random) -> str:
    """Seeded sound change: each letter is kept with probability 1-rate, else shifted, dropped or doubled."""
    out: list[str] = []
    for ch in word:
        if rng.random() >= rate:
            out.append(ch)
            continue
        roll = rng.random()
        if ch in VOWELS:
            out.append(rng.choice(VOWELS) if roll < 0.85 else "")
        elif roll < 0.5:
            out.append(_NEIGHBOURS.get(ch, ch))
        elif roll < 0.85:
            out.append(rng.choice(CONSONANTS) + rng.choice(VOWELS) if roll > 0.75 else rng.choice(CONSONANTS))
        # else: dropped
    result = "".join(out)
    return result if len(result) >= 2 else word


@dataclass(frozen=True)
class NamePool:
    """Proper names shared by every language (written per script). Multi-word names give I- tags."""

    first: tuple[str, ...]
    last: tuple[str, ...]
    places: tuple[str, ...]
    orgs: tuple[str, ...]


def name_pool(seed: int) -> NamePool:
    rng = stable_rng("names", seed)

    def many(n: int, lo: int, hi: int) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        while len(seen) < n:
            seen[random_word(rng, rng.randint(lo, hi))] = None
        return tuple(seen)

    return NamePool(first=many(40, 2, 3), last=many(30, 2, 4), places=many(30, 2, 3), orgs=many(20, 2, 3))


def family_protolexicon(family: str, seed: int) -> dict[str, str]:
    """Concept -> proto-form for a family; Indo-European's proto-forms are the English words themselves."""
    if family == "Indo-European":
        return {concept: concept for concept in CONCEPTS}
    rng = stable_rng("proto", family, seed)
    forms: dict[str, str] = {}
    for concept, pos in CONCEPTS.items():
        short = pos in ("ADP", "DET", "CCONJ") or concept in ("never",)
        forms[concept] = random_word(rng, 1 if short else rng.randint(2, 3))
    return forms


def language_lexicon(code: str, family: str, divergence: float, seed: int, shared_rate: float = 0.0) -> dict[str, str]:
    """Concept -> Latin phonemic form for one language.

    ``divergence`` in [0, 1] sets the sound-change rate; content words also take a language-specific
    ending unless the language is very close to English, so even cognates differ in their last subword.
    ``shared_rate`` is the share of concepts whose form descends from the English (Indo-European) root
    instead of the family's own (loans, internationalisms): it lets surface overlap with English fall off
    gradually with distance even outside Indo-European, as it does in real vocabularies.
    """
    proto = dict(family_protolexicon(family, seed))
    loans = stable_rng("loans", code, seed)
    for concept in CONCEPTS:
        if loans.random() < shared_rate:
            proto[concept] = concept
    rng = stable_rng("lexicon", code, seed)
    rate = 0.05 + 0.6 * divergence
    ending = random_word(rng, 1)[: rng.choice((1, 2))] if divergence > 0.15 else ""
    lexicon: dict[str, str] = {}
    used: set[str] = set()
    for concept, pos in CONCEPTS.items():
        form = proto[concept] if code == "en" else mutate(proto[concept], rate, rng)
        if code != "en" and ending and pos in ("NOUN", "VERB", "ADJ"):
            form += ending
        while form in used:  # keep the lexicon unambiguous so semantics survive translation
            form += rng.choice(VOWELS)
        used.add(form)
        lexicon[concept] = form
    return lexicon
