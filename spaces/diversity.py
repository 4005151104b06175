"""How diverse a language subset is, in the terms the paper argues about.

The paper's hypothesis is that realigning on a typologically diverse subset transfers as well as
realigning on all 65 languages. To compare any subset (a heuristic's pick, a search trial's mask, a
published list) on the same footing this module reports, for a set of codes:

- mean and min pairwise featural distance (``spaces.typology``, angular over URIEL kNN features), both
  with English counted as a member (English is the fine-tuning language, so a subset's diversity
  "from English" is what matters for transfer) and without it;
- how many top-level families and scripts it covers, and its Joshi-class mix;
- how many of its languages mBERT and XLM-R saw in pretraining.

English in the input is accepted and dropped: it is never a realignment language, and the
"with English" figures add it anyway.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import combinations

import numpy as np

from spaces.catalog import ENGLISH, load_catalog
from spaces.errors import ConfigError
from spaces.typology import load_typology


@dataclass(frozen=True)
class DiversityReport:
    """Diversity facts of one subset. Pairwise figures are ``None`` when there is no pair."""

    languages: tuple[str, ...]
    size: int
    mean_featural_with_en: float | None
    min_featural_with_en: float | None
    mean_featural: float | None
    min_featural: float | None
    closest_pair_with_en: tuple[str, str] | None
    n_families: int
    n_scripts: int
    families: dict[str, int]
    scripts: dict[str, int]
    joshi: dict[int, int]
    seen_mbert: int
    unseen_mbert: int
    seen_xlmr: int
    unseen_xlmr: int

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: lists for tuples, string keys for the Joshi mix."""
        out = asdict(self)
        out["languages"] = list(self.languages)
        out["closest_pair_with_en"] = None if self.closest_pair_with_en is None else list(self.closest_pair_with_en)
        out["joshi"] = {str(k): v for k, v in self.joshi.items()}
        return out


def pairwise_summary(codes: Sequence[str], kind: str = "featural") -> tuple[float | None, float | None]:
    """(mean, min) of the distances over unordered pairs of ``codes``; (None, None) below two codes."""
    if len(codes) < 2:
        return None, None
    matrix = load_typology().matrix(kind, list(codes))
    upper = matrix[np.triu_indices(len(codes), k=1)]
    return float(upper.mean()), float(upper.min())


def diversity_report(codes: Sequence[str], field: str = "languages") -> DiversityReport:
    """Report on any subset given as paper codes, ISO 639-3 codes or aliases (duplicates merged)."""
    if isinstance(codes, str):
        codes = [codes]
    catalog = load_catalog()
    members = [c for c in catalog.resolve(codes, field) if c != ENGLISH]
    if not members:
        raise ConfigError(field, "give at least one non-English language to report on")
    langs = [catalog.get(c) for c in members]
    mean_en, min_en = pairwise_summary([ENGLISH, *members])
    mean, minimum = pairwise_summary(members)
    families = Counter(lang.family for lang in langs)
    scripts = Counter(lang.script for lang in langs)
    joshi = Counter(lang.joshi for lang in langs)
    seen_mbert = sum(lang.seen_mbert for lang in langs)
    seen_xlmr = sum(lang.seen_xlmr for lang in langs)
    return DiversityReport(
        languages=tuple(members),
        size=len(members),
        mean_featural_with_en=mean_en,
        min_featural_with_en=min_en,
        mean_featural=mean,
        min_featural=minimum,
        closest_pair_with_en=closest_pair([ENGLISH, *members]),
        n_families=len(families),
        n_scripts=len(scripts),
        families=dict(sorted(families.items())),
        scripts=dict(sorted(scripts.items())),
        joshi=dict(sorted(joshi.items(), reverse=True)),
        seen_mbert=seen_mbert,
        unseen_mbert=len(langs) - seen_mbert,
        seen_xlmr=seen_xlmr,
        unseen_xlmr=len(langs) - seen_xlmr,
    )


def closest_pair(codes: Sequence[str]) -> tuple[str, str] | None:
    """The least distinct pair (first in input order on ties): a low ``min`` should name its culprits."""
    if len(codes) < 2:
        return None
    typology = load_typology()
    return min(combinations(codes, 2), key=lambda pair: typology.distance("featural", *pair))
