"""Where expensive, shareable artefacts live (tiny world, tokenised corpora, pretrained weights)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir


def cache_dir(*parts: str) -> Path:
    """``$REALIGN_SEARCH_CACHE`` (CI, clusters with shared disks) or the user cache dir, created."""
    root = Path(os.environ.get("REALIGN_SEARCH_CACHE") or user_cache_dir("realign-search"))
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
