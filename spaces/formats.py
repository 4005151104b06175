"""How numbers reach people and JSON: one formatter for tables and lines, one JSON-safe conversion.

JSON has no NaN, and an aggregate over no language is NaN by definition (``trainables.metrics``): a
missing value is written as ``null``. In text, a number shows with four significant digits unless the
table asks for fixed decimals, NaN as ``nan``, and a missing value as the caller chooses.
"""

from __future__ import annotations

import math
from typing import Any


def fmt_number(value: Any, spec: str = ".4g", missing: str = "") -> str:
    """``value`` for a table or a line: floats in ``spec`` (``nan`` for NaN), ``missing`` for None."""
    if value is None:
        return missing
    if isinstance(value, float):
        return "nan" if math.isnan(value) else format(value, spec)
    return str(value)


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, inf) replaced by None, through dicts, lists and tuples."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def format_bytes(n: float) -> str:
    """``"3.0 MiB"``: sizes in messages about space."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"
