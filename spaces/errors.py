"""One error type for everything a user can get wrong.

Every refusal names the offending field and, where there is a closed set, the allowed values, so the
CLI can print a single paragraph and exit with status 2 before any trial (or any run directory) exists.
"""

from __future__ import annotations

from collections.abc import Iterable


class ConfigError(ValueError):
    """Bad user input: a config field, a CLI argument, a language code.

    ``field`` is the dotted path of the offending value (``subset.must_include``, ``--size``) and
    ``allowed`` the values that would have been accepted, when that set is small enough to print.
    """

    def __init__(self, field: str, problem: str, allowed: Iterable[object] | None = None) -> None:
        self.field = field
        self.problem = problem
        self.allowed = None if allowed is None else [str(a) for a in allowed]
        message = f"{field}: {problem}"
        if self.allowed is not None:
            shown = self.allowed if len(self.allowed) <= 80 else [*self.allowed[:80], "..."]
            message += f" (allowed: {', '.join(shown)})"
        super().__init__(message)
