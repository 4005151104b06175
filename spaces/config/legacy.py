"""Reading run folders saved before the config module was split (realign-search <= de95d93).

Ray keeps the Optuna searcher, and with it the ``SearchSpace`` and its ``SearchConfig``, pickled in a
run folder; ``resume`` unpickles them. Those pickles name ``spaces.config.ParamSpec`` (one class with a
string ``kind``, now the typed domains of ``spaces.config.domains``) and hold objectives as
``"metric:mode"`` text. ``ParamSpec`` below unpickles such an entry, and ``current`` rebuilds the whole
config from its TOML form, so a resumed sweep samples exactly what it sampled before.
"""

from __future__ import annotations

from typing import Any

from spaces.config.sections import SearchConfig


class ParamSpec:
    """A hyperparameter as saved before the split: kept only long enough to be rebuilt."""

    name: str
    kind: str  # "fixed" | "choice" | "int" | "float"
    value: Any = None
    choices: tuple[Any, ...] = ()
    low: Any = None
    high: Any = None
    log: bool = False
    step: Any = None
    preferred: Any = None

    @property
    def field_name(self) -> str:
        return self.name.split("/", 1)[1]

    def to_toml(self) -> Any:
        if self.kind == "fixed":
            return self.value
        if self.kind == "choice":
            return list(self.choices)
        table: dict[str, Any] = {"low": self.low, "high": self.high, "log": self.log}
        if self.step is not None:
            table["step"] = self.step
        return table


def current(cfg: SearchConfig) -> SearchConfig:
    """``cfg`` itself, or, for a config unpickled from an older run folder, the same space rebuilt."""
    if not any(isinstance(spec, ParamSpec) for spec in cfg.specs()):
        return cfg
    from spaces.config.parse import parse_search_config

    return parse_search_config(cfg.to_dict(), cfg.source)
