"""The one type checker: what each config field may hold, declared beside the field itself.

Every field of a search space and of a trial config carries a ``Rule`` in its dataclass metadata: its
type, and where it has them its closed set of names (``spaces.vocab``) and its bound. Both readers, the
TOML search space (``spaces.config``) and the trial file / ``TrialConfig.from_dict``, check a value
against that one rule, so a field's refusal reads the same wherever it is made:

  ``realign.steps: expected an integer, got 'many'``
  ``subset.min_languages: 0 is too small (allowed: >= 1)``
  ``realign.mode: 'after' is not allowed (allowed: none, before, joint)``

Why not pydantic: its messages differ from these (``Input should be a valid integer``), so each error
type would need translating back to keep every message, and most of what a space can get wrong (codes,
pools, sizes against the pool, paper lists) is not a schema question anyway.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from spaces.errors import ConfigError

_MISSING = object()


@dataclass(frozen=True)
class Bound:
    """A numeric field's domain: ``text`` is shown as the allowed values when ``ok`` refuses a value.

    ``maximum``: the largest value a sane config holds. Every integer field has one, so a typo such as
    ``steps = 10000000000000000000`` is refused before Ray starts instead of overflowing a C long in a
    worker (or running for years).
    """

    text: str
    ok: Callable[[float], bool]
    problem: str = "is out of range"
    maximum: float | None = None


def at_least(minimum: float, problem: str = "is too small", maximum: float | None = None) -> Bound:
    return Bound(f">= {minimum}", lambda v: v >= minimum, problem, maximum)


def above(minimum: float, maximum: float | None = None) -> Bound:
    return Bound(f"> {minimum}", lambda v: v > minimum, maximum=maximum)


def capped(bound: Bound, maximum: float) -> Bound:
    """``bound`` with an upper limit (``Bound.maximum``)."""
    return replace(bound, maximum=maximum)


def any_up_to(maximum: float, minimum: float = 0) -> Bound:
    """``minimum..maximum``: for fields with no other constraint (seeds)."""
    return Bound(f"{minimum}..{maximum}", lambda v: v >= minimum, "is too small", maximum)


@dataclass(frozen=True)
class Rule:
    """What one field holds: ``kind`` (``int``, ``float`` -- ints accepted --, ``bool``, ``str``), a closed
    set ``allowed`` (strings), a ``bound``, and ``many``: a list of such values."""

    kind: type
    allowed: tuple[str, ...] | None = None
    bound: Bound | None = None
    many: bool = False

    def check(self, where: str, value: Any, shown: str | None = None, bounds: bool = True) -> Any:
        """``value`` as the field's type (a list of them when ``many``), or a ConfigError naming ``shown``
        (default ``where``); ``bounds=False`` checks the type and closed set only."""
        if self.many:
            if not isinstance(value, (list, tuple)):
                raise ConfigError(shown or where, f"expected a list, got {value!r}")
            return tuple(self._one(shown or where, item, bounds) for item in value)
        return self._one(shown or where, value, bounds)

    def _one(self, where: str, value: Any, bounds: bool) -> Any:
        if self.kind is str:
            if not isinstance(value, str):
                raise ConfigError(where, f"expected a string, got {value!r}", self.allowed)
            if self.allowed is not None and value not in self.allowed:
                raise ConfigError(where, f"{value!r} is not allowed", self.allowed)
            return value
        if self.kind is bool:
            if not isinstance(value, bool):
                raise ConfigError(where, f"expected true or false, got {value!r}", ["true", "false"])
            return value
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (self.kind is int and not isinstance(value, int))
        ):
            raise ConfigError(where, f"expected {'an integer' if self.kind is int else 'a number'}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(where, f"{value!r} is not a finite number", ["a finite number"])
        if bounds and self.bound is not None:
            if not self.bound.ok(value):
                raise ConfigError(where, f"{value!r} {self.bound.problem}", [self.bound.text])
            if self.bound.maximum is not None and value > self.bound.maximum:
                raise ConfigError(where, f"{value!r} is too large", [f"<= {self.bound.maximum}"])
        return self.kind(value)


def ruled(
    default: Any = _MISSING, rule: Rule | None = None, *, factory: Callable[[], Any] | None = None, **kwargs: Any
) -> Any:
    """A dataclass field with its ``Rule`` (``kwargs`` build one when ``rule`` is not given)."""
    meta = {"rule": rule or Rule(**kwargs)}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def rules(cls: type) -> dict[str, Rule]:
    """The ``Rule`` of every field of dataclass ``cls`` that has one, in field order."""
    return {f.name: f.metadata["rule"] for f in fields(cls) if "rule" in f.metadata}


def rule(cls: type, name: str) -> Rule:
    return rules(cls)[name]


def field_names(cls: type) -> list[str]:
    return [f.name for f in fields(cls)]


def table(where: str, value: Any) -> dict[str, Any]:
    """A TOML table (``{}`` when absent), or a ConfigError naming ``where``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(where, f"expected a table, got {value!r}")
    return dict(value)


def known_keys(where: str, data: Mapping[str, Any], allowed: Sequence[str]) -> None:
    """Refuse a key that is not ``allowed``, naming it as ``where.key`` (the key alone at the top level)."""
    for key in data:
        if key not in allowed:
            raise ConfigError(f"{where}.{key}" if where else key, "unknown key", allowed)


def read(where: str, cls: type, data: Any) -> dict[str, Any]:
    """The fields of section ``cls`` given in TOML table ``data`` (checked by their rules; unknown keys
    refused). Omitted fields are left out: the caller's dataclass defaults apply."""
    data = table(where, data)
    known_keys(where, data, field_names(cls))
    checks = rules(cls)
    return {
        name: checks[name].check(f"{where}.{name}", value) if name in checks else value for name, value in data.items()
    }
