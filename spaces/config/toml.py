"""A search space as a TOML file: read one (``load_search_config``) and write one back (``dump_search_config``).

``spaces/data/default.toml`` is the commented reference of the format and the embedded default. A run
folder keeps the exact space it searched: the dump reads back to an equal config.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from spaces.config.parse import parse_search_config
from spaces.config.sections import SearchConfig
from spaces.errors import ConfigError

EMBEDDED = "spaces/data/default.toml (embedded)"


def default_toml() -> str:
    """The text of the embedded default space."""
    return resources.files("spaces.data").joinpath("default.toml").read_text("utf-8")


def load_search_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> SearchConfig:
    """Read and validate a TOML search space; ``None`` = the embedded default (``spaces/data/default.toml``).

    ``overrides``: ``KEY=VALUE`` assignments (``run --set``) applied to the document before validation."""
    if path is None:
        source, text = EMBEDDED, default_toml()
    else:
        source = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except FileNotFoundError:
            raise ConfigError(source, "no such file") from None
        except (IsADirectoryError, PermissionError, UnicodeDecodeError) as err:
            raise ConfigError(source, f"cannot read the search space: {err}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        where = re.search(r"line (\d+), column (\d+)", str(err))
        at = f" at line {where[1]}, column {where[2]}" if where else ""
        raise ConfigError(source, f"malformed TOML{at}: {err}") from None
    if overrides:
        from spaces.config.overrides import apply_overrides

        data = apply_overrides(data, overrides)
    return parse_search_config(data, source)


def toml_value(value: Any) -> str:
    """One value in TOML syntax (inline tables for mappings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return (
            repr(value)
            if not isinstance(value, float) or math.isfinite(value)
            else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
        )
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML basic strings
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def dump_search_config(cfg: SearchConfig) -> str:
    """``cfg`` as TOML text that ``load_search_config`` reads back to an equal config, so a run folder
    can keep the exact space it searched (ranges are written as inline tables)."""
    lines = [f"# realign-search space (from {cfg.source})"]
    for section, data in cfg.to_dict().items():
        subtables = {k: v for k, v in data.items() if k in ("asha", "lists") and v}
        lines += ["", f"[{section}]"]
        lines += [
            f"{key} = {toml_value(value)}"
            for key, value in data.items()
            if key not in subtables and not (key == "lists" and not value)
        ]
        for name, sub in subtables.items():
            lines += ["", f"[{section}.{name}]", *(f"{k} = {toml_value(v)}" for k, v in sub.items())]
    return "\n".join(lines) + "\n"
