"""Typological distances between catalog languages, from URIEL via lang2vec.

Why a precomputed file: lang2vec 1.1.2 has no ``distance()`` and importing it costs seconds (it re-reads
an array per language), so the catalog's matrices are computed once by ``--rebuild`` and shipped as
``spaces/data/typology.npz``; loading that takes milliseconds and never imports lang2vec.

Distances, all in [0, 1]:
  featural    angular distance (arccos of cosine similarity, divided by pi) between the concatenated
              ``syntax_knn + phonology_knn + inventory_knn`` vectors — URIEL's convention for its
              featural distance, on the kNN-imputed sets so that every language has every feature.
  genetic     1 - |shared Glottolog ancestors| / max(|ancestors of a|, |ancestors of b|), from the
              ``fam`` membership vectors (unrelated languages are at 1).
  geographic  angular distance between the ``geo`` vectors (proximity to 299 fixed points on the globe).

The file also keeps each language's raw ``syntax_knn`` values (word order etc.), which the tiny world uses
to shape its surface forms.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from spaces.catalog import load_catalog
from spaces.errors import ConfigError

KINDS = ("featural", "genetic", "geographic")
FEATURAL_SETS = ("S_", "P_", "INV_")  # syntax_knn, phonology_knn, inventory_knn
DATA_FILE = "typology.npz"


@dataclass(frozen=True)
class Typology:
    """Distance matrices over the catalog (rows/cols in ``codes`` order) and syntax feature values."""

    codes: tuple[str, ...]
    matrices: dict[str, np.ndarray]
    syntax_names: tuple[str, ...]
    syntax_values: np.ndarray  # (len(codes), len(syntax_names))

    def __post_init__(self) -> None:
        object.__setattr__(self, "_row", {c: i for i, c in enumerate(self.codes)})

    def index(self, code: str) -> int:
        canon = load_catalog().get(code).code
        return self._row[canon]  # type: ignore[attr-defined]

    def _kind(self, kind: str) -> np.ndarray:
        if kind not in self.matrices:
            raise ConfigError("distance kind", f"unknown kind {kind!r}", KINDS)
        return self.matrices[kind]

    def distance(self, kind: str, a: str, b: str) -> float:
        return float(self._kind(kind)[self.index(a), self.index(b)])

    def matrix(self, kind: str, codes: list[str] | tuple[str, ...]) -> np.ndarray:
        """Sub-matrix for ``codes`` in the given order (a copy, safe to modify)."""
        rows = [self.index(c) for c in codes]
        return self._kind(kind)[np.ix_(rows, rows)].copy()

    def syntax(self, code: str) -> dict[str, float]:
        row = self.syntax_values[self.index(code)]
        return {name: float(v) for name, v in zip(self.syntax_names, row, strict=True)}


@lru_cache(maxsize=1)
def load_typology() -> Typology:
    """Load the shipped matrices once per process."""
    with resources.files("spaces.data").joinpath(DATA_FILE).open("rb") as fh:
        data = np.load(fh, allow_pickle=False)
        codes = tuple(str(c) for c in data["codes"])
        catalog_codes = tuple(load_catalog().codes())
        if codes != catalog_codes:
            raise RuntimeError(f"{DATA_FILE} is stale for the catalog: run `python -m spaces.typology --rebuild`")
        return Typology(
            codes=codes,
            matrices={k: data[k] for k in KINDS},
            syntax_names=tuple(str(n) for n in data["syntax_names"]),
            syntax_values=data["syntax_values"],
        )


def angular_distance(vectors: np.ndarray) -> np.ndarray:
    """Pairwise arccos(cosine)/pi; exact zeros on the diagonal, symmetric by construction."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cos = np.clip(unit @ unit.T, -1.0, 1.0)
    dist = np.arccos(cos) / np.pi
    dist = (dist + dist.T) / 2
    np.fill_diagonal(dist, 0.0)
    return dist


def genetic_distance(membership: np.ndarray) -> np.ndarray:
    shared = membership @ membership.T
    sizes = membership.sum(axis=1)
    denom = np.maximum.outer(sizes, sizes)
    with np.errstate(invalid="ignore", divide="ignore"):
        dist = 1.0 - np.where(denom > 0, shared / denom, 0.0)
    np.fill_diagonal(dist, 0.0)
    return dist


def rebuild(out: Path | None = None) -> Path:
    """Recompute the matrices from lang2vec's bundled data (reads its npz files directly: fast)."""
    import importlib.util

    spec = importlib.util.find_spec("lang2vec")
    if spec is None or spec.origin is None:
        raise RuntimeError("lang2vec is not installed: pip install lang2vec==1.1.2")
    data_dir = Path(spec.origin).parent / "data"
    catalog = load_catalog()
    codes = catalog.codes()
    iso = [catalog.get(c).iso3 for c in codes]

    def rows(npz: str) -> tuple[np.ndarray, list[str]]:
        with np.load(data_dir / npz, allow_pickle=True) as f:
            index = {str(lang): i for i, lang in enumerate(f["langs"])}
            missing = [k for k in iso if k not in index]
            if missing:
                raise RuntimeError(f"lang2vec {npz} lacks {missing}")
            return f["data"][[index[k] for k in iso], :, 0].astype(np.float64), [str(x) for x in f["feats"]]

    pred, feats = rows("feature_predictions.npz")
    featural_cols = [i for i, f in enumerate(feats) if f.startswith(FEATURAL_SETS)]
    syntax_cols = [i for i, f in enumerate(feats) if f.startswith("S_")]
    fam, _ = rows("family_features.npz")
    geo, _ = rows("geocoord_features.npz")
    out = out or Path(str(resources.files("spaces.data").joinpath(DATA_FILE)))
    np.savez_compressed(
        out,
        codes=np.array(codes),
        featural=angular_distance(pred[:, featural_cols]),
        genetic=genetic_distance(fam),
        geographic=angular_distance(geo),
        syntax_names=np.array([feats[i] for i in syntax_cols]),
        syntax_values=pred[:, syntax_cols],
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="recompute spaces/data/typology.npz from lang2vec")
    args = parser.parse_args()
    if args.rebuild:
        print(f"wrote {rebuild()}")


if __name__ == "__main__":
    main()
