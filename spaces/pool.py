"""Pool filters: which of the 65 realignment languages a subset may be drawn from.

The paper's ablations restrict the pool by Joshi class, pretraining coverage and script
(``abla_most_uriel_joshi2``, ``abla_random_unseen_xlmr``, ...). A filter is written as a tiny language
of terms so the same text works in a TOML search space, on the command line and in Python:

=====================  ==========================================================================
term                   keeps a pool language when
=====================  ==========================================================================
``all``                always (the whole 65-language pool)
``joshi<=2``           its Joshi class compares true; operators ``<  <=  =  >=  >  !=``, an integer 0-5
``seen_xlmr``          XLM-R saw it in pretraining (``seen_mbert`` likewise)
``!seen_xlmr``         XLM-R did not see it; ``!`` negates any boolean term
``script=Latn``        its ISO 15924 script is ``Latn`` (``script!=Latn``: any other script)
``family=Turkic``      its top-level family matches (``!=`` negates)
``group=african``      it belongs to a catalog group (``xtreme_r``, ``african``, ...)
``source=nllb``        its parallel data come from ``nllb`` or ``opus100``
=====================  ==========================================================================

Terms are ANDed: join them with ``&`` in one string, or give a list of strings. Values are matched
case-insensitively and reported in the catalog's spelling. A filter that keeps no language is refused
at parse time, so an impossible search space fails before any trial starts.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from spaces.catalog import PARALLEL_SOURCES, Language, load_catalog
from spaces.errors import ConfigError

_COMPARISONS: dict[str, Callable[[int, int], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "=": operator.eq,
    "==": operator.eq,
}
_BOOLEAN_TERMS = ("seen_xlmr", "seen_mbert")
_CATEGORICAL_FIELDS = ("script", "family", "group", "source")
_TERM = re.compile(r"^(?P<field>[a-z_]+)\s*(?P<op><=|>=|!=|==|<|>|=)\s*(?P<value>\S.*)$", re.IGNORECASE)
JOSHI_CLASSES = range(0, 6)

TERM_FORMS = (
    "all",
    "joshi<=2 (< <= = >= > != with 0-5)",
    "seen_xlmr",
    "seen_mbert",
    "!seen_xlmr",
    "!seen_mbert",
    "script=Latn",
    "script!=Latn",
    "family=NAME",
    "group=NAME",
    "source=opus100|nllb",
)


@dataclass(frozen=True)
class PoolTerm:
    """One parsed condition. ``text`` is the canonical spelling: ``describe`` shows it, and equality and
    hashing use it alone, so two parses of the same filter compare equal (usable as a cache key)."""

    text: str
    keep: Callable[[Language], bool] = dataclass_field(compare=False)


@dataclass(frozen=True)
class PoolFilter:
    """An AND of terms over the realignment pool; ``languages()`` lists what survives, catalog order."""

    terms: tuple[PoolTerm, ...] = ()

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in load_catalog() and self.keeps(load_catalog().get(code))

    def keeps(self, lang: Language) -> bool:
        return lang.realignable and all(term.keep(lang) for term in self.terms)

    def languages(self) -> list[str]:
        return load_catalog().codes(self.keeps)

    def describe(self) -> str:
        return " & ".join(term.text for term in self.terms) if self.terms else "all"


def _pool_values(attribute: Callable[[Language], Sequence[str] | str]) -> list[str]:
    """The values a categorical field takes over the pool, so errors list only what can match."""
    values: list[str] = []
    for lang in load_catalog():
        if not lang.realignable:
            continue
        found = attribute(lang)
        for value in [found] if isinstance(found, str) else found:
            if value not in values:
                values.append(value)
    return sorted(values)


def _categorical_term(name: str, op: str, value: str, field: str) -> PoolTerm:
    attribute: Callable[[Language], Sequence[str] | str] = {
        "script": lambda lang: lang.script,
        "family": lambda lang: lang.family,
        "group": lambda lang: lang.groups,
        "source": lambda lang: lang.parallel or "",
    }[name]
    allowed = list(PARALLEL_SOURCES) if name == "source" else _pool_values(attribute)
    canonical = {a.lower(): a for a in allowed}.get(value.lower())
    if canonical is None:
        raise ConfigError(field, f"unknown {name} {value!r} in pool filter", allowed)
    if op not in ("=", "==", "!="):
        raise ConfigError(field, f"{name} takes = or != , not {op!r}", ["=", "!="])

    def matches(lang: Language) -> bool:
        found = attribute(lang)
        return canonical in found if isinstance(found, tuple) else canonical == found

    if op == "!=":
        return PoolTerm(f"{name}!={canonical}", lambda lang: not matches(lang))
    return PoolTerm(f"{name}={canonical}", matches)


def _joshi_term(op: str, value: str, field: str) -> PoolTerm:
    try:
        level = int(value)
    except ValueError:
        level = -1
    if level not in JOSHI_CLASSES:
        raise ConfigError(field, f"joshi takes an integer class, not {value!r}", list(JOSHI_CLASSES))
    compare = _COMPARISONS[op]
    spelled = "=" if op == "==" else op
    return PoolTerm(f"joshi{spelled}{level}", lambda lang: compare(lang.joshi, level))


def parse_term(text: str, field: str = "subset.pool") -> PoolTerm | None:
    """One term; ``None`` for ``all`` (it keeps everything, so it adds no condition)."""
    term = text.strip()
    lowered = term.lower()
    if lowered in ("all", "*"):
        return None
    negated = lowered.startswith("!")
    bare = lowered[1:].strip() if negated else lowered
    if bare in _BOOLEAN_TERMS:
        attr = bare

        def seen(lang: Language) -> bool:
            return bool(getattr(lang, attr)) != negated

        return PoolTerm(("!" if negated else "") + attr, seen)
    match = _TERM.match(term)
    if match is None or negated:
        raise ConfigError(field, f"cannot parse pool filter term {text!r}", TERM_FORMS)
    name, op, value = match["field"].lower(), match["op"], match["value"].strip()
    if name == "joshi":
        return _joshi_term(op, value, field)
    if name in _CATEGORICAL_FIELDS:
        return _categorical_term(name, op, value, field)
    raise ConfigError(field, f"unknown pool filter field {name!r}", ["joshi", *_CATEGORICAL_FIELDS])


def parse_pool(spec: str | Sequence[str] | PoolFilter | None, field: str = "subset.pool") -> PoolFilter:
    """Parse a filter from text (terms joined by ``&``), a list of such texts (ANDed) or ``None`` (all).

    Refuses, naming ``field``, any unknown term, field or value, and a filter that keeps no language.
    """
    if isinstance(spec, PoolFilter):
        pool = spec
    else:
        if spec is None:
            texts: list[str] = []
        elif isinstance(spec, str):
            texts = [spec]
        elif isinstance(spec, Sequence) and all(isinstance(item, str) for item in spec):
            texts = list(spec)
        else:
            raise ConfigError(field, f"a pool filter is a string or a list of strings, not {spec!r}", TERM_FORMS)
        terms: list[PoolTerm] = []
        for text in texts:
            for piece in text.split("&"):
                if not piece.strip():
                    raise ConfigError(field, f"empty term in pool filter {text!r}", TERM_FORMS)
                term = parse_term(piece, field)
                if term is not None and term.text not in {t.text for t in terms}:
                    terms.append(term)
        pool = PoolFilter(tuple(terms))
    if not pool.languages():
        raise ConfigError(field, f"pool filter {pool.describe()!r} keeps no realignment language")
    return pool
