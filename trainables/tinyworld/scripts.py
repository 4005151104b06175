"""Writing systems of the tiny world: every word is built in a Latin "phonemic" form and then written in
its language's script (ISO 15924 code from the catalog).

Why transliterate instead of inventing per-script words: a proper name must stay the *same name* across
languages (the anchors real multilingual encoders exploit), so names are written by the same
deterministic map in every language that shares a script, and consistently across scripts. Characters
come from the script's own Unicode block, and only NFC-stable letters are used so that no normaliser can
split or merge them (the tokenizer must round-trip every script).
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache

VOWELS = "aeiou"
CONSONANTS = "bcdfghjklmnpqrstvwxyz"
LATIN = "abcdefghijklmnopqrstuvwxyz"

# Unicode blocks of the alphabetic / abugida scripts in the catalog: (first, last) code point.
ALPHABET_BLOCKS: dict[str, tuple[int, int]] = {
    "Cyrl": (0x0430, 0x044F),  # а..я: lower case, so names can be capitalised
    "Grek": (0x03AC, 0x03CE),  # ά..ώ: lower case, with the tonos vowels
    "Arab": (0x0621, 0x064A),
    "Hebr": (0x05D0, 0x05EA),
    "Deva": (0x0904, 0x0939),
    "Beng": (0x0985, 0x09B9),
    "Gujr": (0x0A85, 0x0AB9),
    "Guru": (0x0A05, 0x0A39),
    "Taml": (0x0B85, 0x0BB9),
    "Telu": (0x0C05, 0x0C39),
    "Mlym": (0x0D05, 0x0D3A),
    "Thai": (0x0E01, 0x0E2E),
    "Geor": (0x10D0, 0x10F0),
    "Mymr": (0x1000, 0x102A),
    "Ethi": (0x1200, 0x1350),
}
SYLLABIC = ("Hang", "Jpan", "Hans")
CASED = ("Latn", "Cyrl", "Grek")
SUPPORTED = ("Latn", *ALPHABET_BLOCKS, *SYLLABIC)

# Code point ranges per script, for checking that text really is in its script (tests, sanity checks).
SCRIPT_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "Latn": ((0x41, 0x5A), (0x61, 0x7A)),
    **{code: (block,) for code, block in ALPHABET_BLOCKS.items()},
    "Cyrl": ((0x0410, 0x044F),),  # with the capitals of capitalised names
    "Grek": ((0x0386, 0x03CE),),
    "Hang": ((0xAC00, 0xD7A3),),
    "Jpan": ((0x3041, 0x3096), (0x30A1, 0x30FA)),
    "Hans": ((0x4E00, 0x9FFF),),
}

_HANGUL_INITIAL = {c: i for i, c in enumerate("gkndtrlmbpsjczhfvqwxy")}  # 19 initials, folded mod 19
_HANGUL_VOWEL = {"a": 0, "e": 5, "i": 20, "o": 8, "u": 13}
_HIRAGANA = (0x3042, 0x3093)  # あ..ん
_KATAKANA = (0x30A2, 0x30F3)  # ア..ン: proper names, as Japanese writes foreign names


def _stable_letter(ch: str) -> bool:
    return (
        unicodedata.category(ch) in ("Ll", "Lo")
        and unicodedata.normalize("NFKC", ch) == ch
        and unicodedata.normalize("NFC", ch) == ch
        and len(ch.upper()) == 1
    )  # e.g. Greek ΰ capitalises to two code points


@cache
def alphabet(script: str) -> dict[str, str]:
    """Latin letter -> letter of ``script``: the first 26 stable letters of its block, in block order."""
    if script == "Latn":
        return {c: c for c in LATIN}
    first, last = ALPHABET_BLOCKS[script]
    letters = [chr(cp) for cp in range(first, last + 1) if _stable_letter(chr(cp))]
    if len(letters) < len(LATIN):
        raise ValueError(f"script {script} block has only {len(letters)} usable letters")
    step = len(letters) / len(LATIN)  # spread over the block so vowels/consonants both appear
    return {c: letters[int(i * step)] for i, c in enumerate(LATIN)}


def syllables(word: str) -> list[str]:
    """Split a Latin phonemic form into (consonant)(vowel) chunks, e.g. ``kofi`` -> ``ko``, ``fi``."""
    out: list[str] = []
    i = 0
    while i < len(word):
        if word[i] not in VOWELS and i + 1 < len(word) and word[i + 1] in VOWELS:
            out.append(word[i : i + 2])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return out


def _syllable_char(chunk: str, script: str, proper: bool) -> str:
    if script == "Hang":
        cons = chunk[0] if chunk[0] not in VOWELS else ""
        vowel = chunk[-1] if chunk[-1] in VOWELS else ""
        initial = _HANGUL_INITIAL[cons] % 19 if cons else 11  # ㅇ: silent initial
        medial = _HANGUL_VOWEL[vowel] if vowel else 18  # ㅡ: the neutral vowel
        return chr(0xAC00 + (initial * 21 + medial) * 28)
    index = _chunk_index(chunk)
    if script == "Jpan":
        first, last = _KATAKANA if proper else _HIRAGANA
        return chr(first + index % (last - first + 1))
    if script == "Hans":
        return chr(0x4E00 + (index * 7919) % 6000)
    raise ValueError(f"script {script} is not syllabic")


def _chunk_index(chunk: str) -> int:
    """A stable number per chunk (no Python ``hash``: it is salted per process)."""
    value = 0
    for ch in chunk:
        value = value * 27 + LATIN.index(ch) + 1
    return value


@lru_cache(maxsize=65536)
def transliterate(word: str, script: str, proper: bool = False) -> str:
    """Write a lower-case Latin phonemic form in ``script``; proper names are capitalised where cased."""
    if script in SYLLABIC:
        text = "".join(_syllable_char(c, script, proper) for c in syllables(word))
    elif script == "Latn" or script in ALPHABET_BLOCKS:
        table = alphabet(script)
        text = "".join(table[c] for c in word)
    else:
        raise ValueError(f"unsupported script {script!r} (supported: {', '.join(SUPPORTED)})")
    return text[:1].upper() + text[1:] if proper and script in CASED else text


def in_script(text: str, script: str) -> bool:
    """Whether every non-space, non-punctuation character of ``text`` lies in ``script``'s ranges."""
    ranges = SCRIPT_RANGES[script]
    for ch in text:
        if ch.isspace() or unicodedata.category(ch).startswith("P"):
            continue
        if not any(lo <= ord(ch) <= hi for lo, hi in ranges):
            return False
    return True
