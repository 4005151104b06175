"""``--set KEY=VALUE``: one key of a search space changed from the command line, before validation.

The right-hand side is a TOML value (``1e-4``, ``true``, ``["de", "sw"]``, ``{ low = 1e-5, high = 1e-3 }``),
so an override means exactly what the same line in the file would; a bare word that is not TOML
(``--set experiment.task=ner``) is taken as a string, as a user typing it means. The overrides are applied
to the parsed document and the result goes through ``parse_search_config`` like any file: a bad value is
refused with the same message, naming the same field.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from spaces.errors import ConfigError

FLAG = "--set"
_QUOTED_OR_NESTED = ('"', "'", "[", "{")


def parse_assignment(text: str) -> tuple[list[str], Any]:
    """``"realign.lr=1e-4"`` -> (``["realign", "lr"]``, ``1e-4``)."""
    key, sep, raw = text.partition("=")
    path = [part.strip() for part in key.strip().split(".")]
    if not sep or not all(path):
        raise ConfigError(FLAG, f"{text!r} is not KEY=VALUE", ["section.key=VALUE, e.g. realign.lr=1e-4"])
    raw = raw.strip()
    try:
        return path, tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError as err:
        if not raw or raw.startswith(_QUOTED_OR_NESTED):
            raise ConfigError(f"{FLAG} {key.strip()}", f"{raw!r} is not a TOML value: {err}") from None
        return path, raw  # a bare word: the string the user typed


def apply_overrides(data: Mapping[str, Any], assignments: Sequence[str]) -> dict[str, Any]:
    """A copy of the TOML document ``data`` with every ``KEY=VALUE`` of ``assignments`` set, in order."""
    return with_values(data, [parse_assignment(text) for text in assignments])


def with_values(data: Mapping[str, Any], values: Sequence[tuple[Sequence[str], Any]]) -> dict[str, Any]:
    """A copy of the TOML document ``data`` with each (dotted key path, value) set, in order (tables made
    as needed); the Python API's ``overrides={"realign.lr": 1e-4}`` come here as values already."""
    out = copy.deepcopy(dict(data))
    for path, value in values:
        table = out
        for depth, part in enumerate(path[:-1]):
            inner = table.setdefault(part, {})
            if not isinstance(inner, dict):
                where = ".".join(path[: depth + 1])
                raise ConfigError(where, f"is a value ({inner!r}), not a table, so {'.'.join(path)} cannot be set")
            table = inner
        table[path[-1]] = value
    return out
