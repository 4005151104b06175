"""Typed parameter domains: what one hyperparameter of a search space may take.

A ``[realign]`` / ``[finetune]`` entry is a fixed value (``steps = 200``), a categorical choice
(``steps = [100, 200]``) or an int / float range (``lr = { low = 1e-4, high = 1e-2, log = true }``). Each
kind is its own class, as Optuna's distributions are, and knows how to be sampled from an Optuna trial
(define-by-run), whether it contains a value, its default for warm starts, its extremes and its TOML
form. ``name`` is the Optuna / Ray parameter name (``realign/lr``); ``preferred`` is the TrialConfig
default, used for warm-start points when the domain contains it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # optuna is imported lazily: parsing a config must not pay its import cost
    import optuna


@dataclass(frozen=True, kw_only=True)
class Domain:
    """The common part of every domain (abstract)."""

    name: str
    preferred: Any = None

    kind: ClassVar[str]
    sampled: ClassVar[bool] = True

    @property
    def field_name(self) -> str:
        return self.name.split("/", 1)[1]

    def suggest(self, trial: optuna.Trial) -> Any:
        raise NotImplementedError

    def contains(self, value: Any) -> bool:
        raise NotImplementedError

    def default(self) -> Any:
        """The TrialConfig default when the domain contains it, else a value of the domain's own."""
        if self.preferred is not None and self.contains(self.preferred):
            return self.preferred
        return self._own_default()

    def _own_default(self) -> Any:
        raise NotImplementedError

    def extremes(self) -> tuple[Any, Any]:
        """Smallest and largest value the domain can produce (numeric domains)."""
        raise NotImplementedError

    def values(self) -> set[Any]:
        """Every value (fixed, choices) or the bounds (ranges): what a trial may need room for."""
        return set(self.extremes())

    def to_toml(self) -> Any:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class Fixed(Domain):
    """One value for every trial; not an Optuna parameter (it reaches trials as a constant)."""

    value: Any
    kind: ClassVar[str] = "fixed"
    sampled: ClassVar[bool] = False

    def suggest(self, trial: optuna.Trial) -> Any:
        return self.value

    def contains(self, value: Any) -> bool:
        return value == self.value

    def default(self) -> Any:
        return self.value

    def extremes(self) -> tuple[Any, Any]:
        return self.value, self.value

    def to_toml(self) -> Any:
        return self.value


@dataclass(frozen=True, kw_only=True)
class Choice(Domain):
    """A categorical choice; the first choice is the default when ``preferred`` is not among them."""

    choices: tuple[Any, ...]
    kind: ClassVar[str] = "choice"

    def suggest(self, trial: optuna.Trial) -> Any:
        return trial.suggest_categorical(self.name, list(self.choices))

    def contains(self, value: Any) -> bool:
        return value in self.choices

    def _own_default(self) -> Any:
        return self.choices[0]

    def extremes(self) -> tuple[Any, Any]:
        return min(self.choices), max(self.choices)

    def values(self) -> set[Any]:
        return set(self.choices)

    def to_toml(self) -> Any:
        return list(self.choices)


@dataclass(frozen=True, kw_only=True)
class _Range(Domain):
    """``[low, high]``, on a log scale or in steps of ``step`` (Optuna cannot combine the two)."""

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if not self.low <= value <= self.high:
            return False
        if self.step:
            k = (value - self.low) / self.step
            return math.isclose(k, round(k), abs_tol=1e-9)
        return self._is_value(value)

    def _is_value(self, value: float) -> bool:
        return True

    def _midpoint(self) -> float:
        """The middle of the range: geometric for log ranges, snapped to ``step``."""
        mid = math.sqrt(self.low * self.high) if self.log else (self.low + self.high) / 2
        if self.step:
            mid = self.low + round((mid - self.low) / self.step) * self.step
            mid = min(mid, self.high)
        return mid

    def extremes(self) -> tuple[Any, Any]:
        return self.low, self.high

    def to_toml(self) -> Any:
        table: dict[str, Any] = {"low": self.low, "high": self.high, "log": self.log}
        if self.step is not None:
            table["step"] = self.step
        return table


@dataclass(frozen=True, kw_only=True)
class IntRange(_Range):
    kind: ClassVar[str] = "int"

    def suggest(self, trial: optuna.Trial) -> Any:
        return trial.suggest_int(self.name, int(self.low), int(self.high), step=int(self.step or 1), log=self.log)

    def _is_value(self, value: float) -> bool:
        return float(value).is_integer()

    def _own_default(self) -> Any:
        return int(round(self._midpoint()))


@dataclass(frozen=True, kw_only=True)
class FloatRange(_Range):
    kind: ClassVar[str] = "float"

    def suggest(self, trial: optuna.Trial) -> Any:
        return trial.suggest_float(self.name, float(self.low), float(self.high), step=self.step, log=self.log)

    def _own_default(self) -> Any:
        return float(self._midpoint())


@dataclass(frozen=True)
class ParamSpace:
    """The domains of one section (``realign`` or ``finetune``), one per TrialConfig field, in field order."""

    section: str
    params: tuple[Domain, ...]

    def get(self, field_name: str) -> Domain:
        for spec in self.params:
            if spec.field_name == field_name:
                return spec
        raise KeyError(field_name)

    def sampled(self) -> list[Domain]:
        return [spec for spec in self.params if spec.sampled]

    def to_dict(self) -> dict[str, Any]:
        return {spec.field_name: spec.to_toml() for spec in self.params}
