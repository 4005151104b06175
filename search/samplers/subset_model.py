"""The subset sampler's model: public language features, a Bayesian linear surrogate, 2-D hypervolume gains.

Kept apart from ``search.samplers.subset`` (the Optuna side) because these are plain numpy/scipy functions of
arrays: they are what the sampler's tests check against hand computation, and nothing here knows Optuna.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def language_features(
    codes: Sequence[str], model: str | None = None, targets: Sequence[str] = (), n_pcs: int = 4
) -> np.ndarray:
    """Public metadata per language (rows in ``codes`` order), standardised, constant columns dropped.

    Why these: languages that share resource class, pretraining coverage, family, script or typology behave
    alike under realignment, so the surrogate shrinks per-language effects towards a regression on them and
    learns from a handful of trials what a one-hot model would need one trial per language for.
    """
    from spaces.catalog import load_catalog
    from spaces.typology import load_typology

    cat, typ = load_catalog(), load_typology()
    langs = [cat.get(c) for c in codes]
    cols: list[np.ndarray] = [
        np.array([lang.joshi <= 2 for lang in langs], float),
        np.array([lang.joshi >= 4 for lang in langs], float),
    ]
    if model is not None:
        cols.append(np.array([lang.seen_by(model) for lang in langs], float))
    for attr in ("family", "script"):
        values = [getattr(lang, attr) for lang in langs]
        cols += [np.array([x == v for x in values], float) for v in sorted(set(values)) if values.count(v) >= 2]
    cols.append(np.array(["african" in lang.groups for lang in langs], float))
    if targets:
        cols.append(np.array([c in set(targets) for c in codes], float))
    for kind, n in (("featural", n_pcs), ("geographic", 2)):
        cols.extend(_mds(typ.matrix(kind, list(codes)), n).T)
        if targets:
            cols.append(typ.matrix(kind, [*codes, *targets])[: len(codes), len(codes) :].mean(axis=1))
    phi = np.column_stack(cols)
    sd = phi.std(axis=0)
    keep = sd > 1e-9
    return (phi[:, keep] - phi[:, keep].mean(axis=0)) / sd[keep]


def _mds(d: np.ndarray, n: int) -> np.ndarray:
    """Classical multidimensional scaling: ``n`` coordinates whose distances approximate ``d``."""
    m = d.shape[0]
    if m < 3 or n <= 0:
        return np.zeros((m, 0))
    j = np.eye(m) - 1.0 / m
    w, v = np.linalg.eigh(-0.5 * j @ (d**2) @ j)
    order = np.argsort(w)[::-1][:n]
    return v[:, order] * np.sqrt(np.maximum(w[order], 0))


class BayesLinear:
    """Gaussian-prior linear model with one prior variance per group of columns and a noise variance.

    Why empirical Bayes on a grid: with 10-100 trials there is too little data to cross-validate, but the
    marginal likelihood picks how much to trust per-language effects vs. feature effects vs. noise for
    free: one eigendecomposition per grid point makes the whole noise grid one vector operation.
    Coordinate ascent over ``GRID`` (two sweeps from the middle values).
    """

    GRID = {
        "lang": (0.03, 0.1, 0.3, 1.0, 3.0),
        "feat": (0.03, 0.1, 0.3, 1.0, 3.0),
        "cover": (0.03, 0.3, 3.0),
        "reach": (0.03, 0.3, 3.0),
        "size": (0.1, 1.0),
        "hparam": (0.1, 1.0),
    }
    NOISES = np.array((1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3))

    def __init__(self, groups: dict[str, list[slice]], p: int) -> None:
        self.groups = {g: sl for g, sl in groups.items() if any(s.stop > s.start for s in sl)}
        self.p = p

    def fit(self, z: np.ndarray, y: np.ndarray) -> BayesLinear:
        n, names = len(y), list(self.groups)
        grams = [sum(z[:, s] @ z[:, s].T for s in self.groups[g]) for g in names]

        def evidence(scales: tuple[float, ...]) -> tuple[float, float]:
            lam, vec = np.linalg.eigh(sum(sc * gm for sc, gm in zip(scales, grams, strict=True)))
            lam = np.clip(lam, 0, None)[:, None] + self.NOISES[None, :]
            ll = -0.5 * ((vec.T @ y)[:, None] ** 2 / lam).sum(axis=0) - 0.5 * np.log(lam).sum(axis=0)
            j = int(np.argmax(ll))
            return float(ll[j]), float(self.NOISES[j])

        grid = [self.GRID[g] for g in names]
        pos = [len(v) // 2 for v in grid]
        seen: dict[tuple[int, ...], tuple[float, float]] = {}
        for _ in range(2):
            for gi in range(len(names)):
                for j in range(len(grid[gi])):
                    key = tuple(pos[:gi] + [j] + pos[gi + 1 :])
                    if key not in seen:
                        seen[key] = evidence(tuple(grid[g][key[g]] for g in range(len(names))))
                pos[gi] = max(
                    range(len(grid[gi])),
                    key=lambda j, gi=gi: seen[tuple(pos[:gi] + [j] + pos[gi + 1 :])][0],
                )
        scales = tuple(grid[g][pos[g]] for g in range(len(names)))
        self.noise = seen[tuple(pos)][1]
        self.prior_var = np.zeros(self.p)
        for g, sc in zip(names, scales, strict=True):
            for s in self.groups[g]:
                self.prior_var[s] = sc
        self.z, self.y = z, y
        self.chol = np.linalg.cholesky((z * self.prior_var) @ z.T + self.noise * np.eye(n))
        self.hyper = dict(zip(names, scales, strict=True)) | {"noise": self.noise}
        return self

    def mean(self) -> np.ndarray:
        """The posterior mean of the coefficients."""
        from scipy.linalg import cho_solve

        return self.prior_var * (self.z.T @ cho_solve((self.chol, True), self.y, check_finite=False))

    def samples(self, m: int, rng: np.random.Generator) -> np.ndarray:
        """(p, m) posterior samples of the coefficients by Matheron's rule: exact, and O(n p m) instead of
        a p x p covariance factorisation (p grows with the pool, n is the number of trials)."""
        from scipy.linalg import cho_solve

        theta = rng.standard_normal((self.p, m)) * np.sqrt(self.prior_var)[:, None]
        eps = rng.standard_normal((len(self.y), m)) * math.sqrt(self.noise)
        sol = cho_solve((self.chol, True), self.y[:, None] - self.z @ theta - eps, check_finite=False)
        return theta + self.prior_var[:, None] * (self.z.T @ sol)


def hvi_2d(front: np.ndarray, ref: tuple[float, float], v: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Hypervolume improvement of points (value ``v`` maximised, cost ``c`` minimised; broadcastable
    arrays) over the observed points ``front`` (rows value, cost), reference (ref_value, ref_cost).

    Vectorised over candidates x posterior samples: the staircase of the observed front is walked once,
    which is what makes Monte-Carlo EHVI over ~10^4 candidates affordable per trial.
    """
    rv, rc = ref
    pts = front[(front[:, 0] > rv) & (front[:, 1] < rc)]
    order = np.argsort(pts[:, 1], kind="stable")
    costs, vals = pts[order, 1], np.maximum.accumulate(pts[order, 0]) if len(pts) else np.zeros(0)
    step = np.concatenate([[True], vals[1:] > vals[:-1]]) if len(vals) else np.zeros(0, bool)
    costs, vals = costs[step], vals[step]  # the staircase g(t) = best value at cost <= t
    out = np.zeros(np.broadcast(v, c).shape)
    lows, highs = np.concatenate([[-np.inf], costs]), np.concatenate([costs, [rc]])
    for lo, hi, g in zip(lows, highs, np.concatenate([[rv], vals]), strict=True):
        out += np.clip(hi - np.maximum(c, lo), 0, None) * np.clip(v - g, 0, None)
    return out


def unique_rows(masks: np.ndarray) -> np.ndarray:
    """Distinct boolean rows in first-occurrence order (rows packed to bytes, compared as one value)."""
    packed = np.ascontiguousarray(np.packbits(masks, axis=1))
    _, first = np.unique(packed.view(np.dtype((np.void, packed.shape[1]))).ravel(), return_index=True)
    return masks[np.sort(first)]


def non_dominated(y: np.ndarray, k: np.ndarray) -> list[int]:
    """Indices of the points not dominated in (value ``y`` maximised, size ``k`` minimised)."""
    return [i for i in range(len(y)) if not np.any((y >= y[i]) & (k <= k[i]) & ((y > y[i]) | (k < k[i])))]
