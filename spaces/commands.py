"""CLI subcommands of this area (filled in by its issue)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this area's subcommands; each sets ``func`` to a callable(args) -> exit code."""
