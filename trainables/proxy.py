"""A cheap fidelity: predict what realigning on ANY subset of the 65 languages would score, in milliseconds.

Why: a search over 2^65 subsets cannot train each candidate; the paper already measured ~70 subsets per
(model, task). A ridge regression fitted on those measurements predicts, for every (benchmark, target
language) the task scores, the change from the fine-tuning-only baseline, from features of the subset and
the target that the paper argues about:

  in_subset            the target is itself a realignment language
  unseen_in_subset     ... and the model did not see it in pretraining (where realignment helps most)
  min_dist, mean_dist  featural (URIEL) distance from the target to the subset (``spaces.typology``)
  same_family, same_script   the subset has a language of the target's family / script
  diversity            mean pairwise featural distance of the subset with English (``spaces.diversity``)
  n_families, n_scripts, log2_size   subset composition
  joshi, seen          the target's resource class and the model's pretraining coverage of it
  seen_fraction        share of the subset the model saw in pretraining
  baseline             the target's baseline score (no realignment)
  and six interactions with the target's pretraining coverage / baseline (see ``FEATURES``)

Prediction = baseline + predicted change. One ridge per (model, task), fitted on standardised features
with a fixed penalty (closed form, deterministic), on first use (~0.1 s) and cached per process. The same
result schema as every trainable comes out (``score/<code>``, aggregates, ``bench/...``), so the search can
pre-screen with the proxy and confirm its front with real trials.

Fidelity is measured by leave-one-strategy-out cross-validation (``cross_validate``): every subset a
held-out strategy ran is kept out of training, and MAE plus Spearman rank correlation of the predicted vs
measured subset aggregates are reported next to a naive reference (baseline + mean change). The model is
per target, so any fixed target group (``spaces.targets``) is an average of its predictions; the CV
scores ``unseen_lrl`` (LRL targets the encoder never saw) and ``all``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from typing import Any

import numpy as np
from scipy import stats

from spaces.catalog import ENGLISH, load_catalog
from spaces.diversity import pairwise_summary
from spaces.errors import ConfigError
from spaces.typology import load_typology
from spaces.vocab import MODEL_LABELS, REAL_MODELS, TASKS
from trainables.published.data import Run, check_model, check_task, result_metrics
from trainables.published.replay import Measured, measured_subsets, measurement

FEATURES = (
    "in_subset",
    "unseen_in_subset",
    "min_dist",
    "mean_dist",
    "same_family",
    "same_script",
    "diversity",
    "n_families",
    "n_scripts",
    "log2_size",
    "joshi",
    "seen",
    "seen_fraction",
    "baseline",
    # interactions: what a subset does for a target depends on whether the model saw the target
    # (leave-one-strategy-out, mean over the 6 model x task: MAE per language 2.19 -> 2.06 points,
    # MAE of unseen_lrl 1.90 -> 1.64, Spearman of unseen_lrl 0.79 -> 0.81)
    "in_subset*baseline",
    "min_dist*unseen",
    "same_family*unseen",
    "same_script*unseen",
    "log2_size*unseen",
    "mean_dist*baseline",
)
RIDGE_PENALTY = 1.0
CV_METRICS = ("unseen_lrl", "all")


@dataclass(frozen=True)
class Ridge:
    """A fitted linear model on standardised features (intercept not penalised)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept


def fit_ridge(x: np.ndarray, y: np.ndarray, penalty: float = RIDGE_PENALTY) -> Ridge:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    y_mean = float(y.mean())
    coef = np.linalg.solve(z.T @ z + penalty * np.eye(z.shape[1]), z.T @ (y - y_mean))
    return Ridge(mean=mean, scale=scale, coef=coef, intercept=y_mean)


@cache
def baseline_scores(model: str, task: str) -> dict[str, float]:
    """Seed-mean baseline score per ``<benchmark>/<code>`` key."""
    return dict(measurement(model, task, (), "baseline").scores)


@lru_cache(maxsize=1)
def _catalog_arrays() -> tuple[dict[str, int], np.ndarray]:
    codes = load_catalog().codes()
    return {c: i for i, c in enumerate(codes)}, load_typology().matrix("featural", codes)


def features(model: str, languages: Sequence[str], keys: Sequence[str], baseline: Mapping[str, float]) -> np.ndarray:
    """Feature rows (``FEATURES`` order) for each ``<benchmark>/<code>`` key given a realignment subset."""
    catalog = load_catalog()
    index, dist = _catalog_arrays()
    subset = [catalog.get(c) for c in languages]
    rows_s = [index[lang.code] for lang in subset]
    families = {lang.family for lang in subset}
    scripts = {lang.script for lang in subset}
    diversity = pairwise_summary([ENGLISH, *[lang.code for lang in subset]])[0] or 0.0
    seen_fraction = float(np.mean([lang.seen_by(model) for lang in subset])) if subset else 0.0
    targets = [catalog.get(key.split("/", 1)[1]) for key in keys]
    to_subset = dist[np.ix_([index[t.code] for t in targets], rows_s)] if subset else np.zeros((len(keys), 1))
    chosen = {lang.code for lang in subset}
    inside = np.array([t.code in chosen for t in targets], dtype=float)
    seen = np.array([t.seen_by(model) for t in targets], dtype=float)
    unseen = 1.0 - seen
    min_dist, mean_dist = to_subset.min(axis=1), to_subset.mean(axis=1)
    same_family = np.array([t.family in families for t in targets], dtype=float)
    same_script = np.array([t.script in scripts for t in targets], dtype=float)
    joshi = np.array([t.joshi for t in targets], dtype=float)
    base = np.array([baseline[key] for key in keys], dtype=float)
    log2_size = math.log2(max(len(subset), 1))
    const = np.ones(len(keys))
    columns = (
        inside,
        inside * unseen,
        min_dist,
        mean_dist,
        same_family,
        same_script,
        diversity * const,
        len(families) * const,
        len(scripts) * const,
        log2_size * const,
        joshi,
        seen,
        seen_fraction * const,
        base,
        inside * base,
        min_dist * unseen,
        same_family * unseen,
        same_script * unseen,
        log2_size * unseen,
        mean_dist * base,
    )
    out = np.column_stack(columns)
    return out


def _design(model: str, task: str, subsets: Sequence[Measured]) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
    """Stacked features, targets (change from baseline) and (subset index, key) of every training row."""
    base = baseline_scores(model, task)
    xs, ys, where = [], [], []
    for i, sub in enumerate(subsets):
        keys = [k for k in sorted(sub.scores) if k in base and k.split("/", 1)[1] != ENGLISH]
        xs.append(features(model, sub.languages, keys, base))
        ys.append(np.array([sub.scores[k] - base[k] for k in keys]))
        where.extend((i, k) for k in keys)
    return np.vstack(xs), np.concatenate(ys), where


@cache
def fitted(model: str, task: str) -> Ridge:
    """The proxy for (model, task), fitted on every published subset (cached per process)."""
    x, y, _ = _design(model, task, measured_subsets(model, task))
    return fit_ridge(x, y)


def realignable(languages: Iterable[str]) -> tuple[str, ...]:
    catalog = load_catalog()
    codes = tuple(sorted(catalog.resolve(languages)))
    outside = [c for c in codes if not catalog.get(c).realignable]
    if outside:
        raise ConfigError(
            "languages",
            f"{', '.join(outside)} cannot be realignment languages (no parallel data)",
            catalog.realignment_pool(),
        )
    return codes


def predict_scores(model: str, task: str, languages: Sequence[str], ridge: Ridge | None = None) -> dict[str, float]:
    """Predicted ``<benchmark>/<code>`` scores (the baseline itself for an empty subset).

    English, the fine-tuning language, is not modelled (it is in no aggregate): it keeps its baseline score.
    """
    base = baseline_scores(model, task)
    if not languages:
        return dict(base)
    keys = [key for key in sorted(base) if key.split("/", 1)[1] != ENGLISH]
    ridge = fitted(model, task) if ridge is None else ridge
    change = ridge.predict(features(model, languages, keys, base))
    return {**base, **{key: base[key] + float(delta) for key, delta in zip(keys, change, strict=True)}}


def predict(
    model: str, task: str, languages: Iterable[str], targets: Iterable[str] = (), sweep_pool: Iterable[str] = ()
) -> dict[str, float]:
    """The result schema (``score/<code>``, aggregates, ``bench/...``) predicted for any subset of the 65
    (``sweep_pool`` fixes the ``heldout`` group, see ``trainables.metrics.aggregate``)."""
    model, task = check_model(model), check_task(task)
    codes = realignable(languages)
    return result_metrics(
        predict_scores(model, task, codes),
        task,
        codes,
        load_catalog().resolve(targets, "targets"),
        model=model,
        sweep_pool=tuple(sweep_pool),
    )


# ---------------------------------------------------------------- leave-one-strategy-out validation


@dataclass(frozen=True)
class FoldPrediction:
    """One held-out subset: its strategy, and predicted vs measured aggregates."""

    strategy: str
    languages: tuple[str, ...]
    predicted: dict[str, float]
    measured: dict[str, float]
    naive: dict[str, float]


@dataclass(frozen=True)
class CVResult:
    """Leave-one-strategy-out fidelity of the proxy for one (model, task), next to the naive reference."""

    model: str
    task: str
    n_strategies: int
    n_subsets: int
    n_rows: int
    mae_language: float
    mae_language_naive: float
    mae: dict[str, float]
    mae_naive: dict[str, float]
    spearman: dict[str, float]
    spearman_naive: dict[str, float]
    folds: tuple[FoldPrediction, ...] = field(repr=False, default=())

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("folds")
        return out


def held_out_split(subsets: Sequence[Measured], strategy: str) -> tuple[list[int], list[int]]:
    """(train, test) subset indices: every subset ANY run of ``strategy`` touched is out of training."""
    test = [i for i, s in enumerate(subsets) if strategy in s.strategies]
    train = [i for i, s in enumerate(subsets) if strategy not in s.strategies]
    return train, test


def cross_validate(model: str, task: str, runs: Sequence[Run] | None = None) -> CVResult:
    """Leave-one-strategy-out CV: fit without a strategy's subsets, predict them, score the aggregates."""
    model, task = check_model(model), check_task(task)
    subsets = measured_subsets(model, task, runs=runs)
    x, y, where = _design(model, task, subsets)
    row_subset = np.array([i for i, _ in where])
    base = baseline_scores(model, task)
    strategies = sorted({s for sub in subsets for s in sub.strategies})
    errors, naive_errors, folds = [], [], []
    for strategy in strategies:
        train, test = held_out_split(subsets, strategy)
        if not train or not test:
            continue
        in_train = np.isin(row_subset, train)
        ridge = fit_ridge(x[in_train], y[in_train])
        mean_change = float(y[in_train].mean())
        for i in test:
            sub = subsets[i]
            rows = np.flatnonzero(row_subset == i)
            keys = [where[r][1] for r in rows]
            predicted = dict(
                zip(keys, (base[k] + d for k, d in zip(keys, ridge.predict(x[rows]), strict=True)), strict=True)
            )
            naive = {k: base[k] + mean_change for k in keys}
            measured = {k: sub.scores[k] for k in keys}
            errors.extend(abs(predicted[k] - measured[k]) for k in keys)
            naive_errors.extend(abs(naive[k] - measured[k]) for k in keys)
            folds.append(
                FoldPrediction(
                    strategy,
                    sub.languages,
                    *(_cv_aggregates(scores, task, sub.languages, model) for scores in (predicted, measured, naive)),
                )
            )
    mae, mae_naive, rho, rho_naive = {}, {}, {}, {}
    for metric in CV_METRICS:
        triples = [
            (f.predicted[metric], f.measured[metric], f.naive[metric])
            for f in folds
            if not math.isnan(f.measured[metric])
        ]
        pred, meas, nai = (np.array(col) for col in zip(*triples, strict=True))
        mae[metric], mae_naive[metric] = float(np.abs(pred - meas).mean()), float(np.abs(nai - meas).mean())
        rho[metric] = float(stats.spearmanr(pred, meas).statistic)
        rho_naive[metric] = float(stats.spearmanr(nai, meas).statistic)
    return CVResult(
        model=model,
        task=task,
        n_strategies=len({f.strategy for f in folds}),
        n_subsets=len({f.languages for f in folds}),
        n_rows=len(errors),
        mae_language=float(np.mean(errors)),
        mae_language_naive=float(np.mean(naive_errors)),
        mae=mae,
        mae_naive=mae_naive,
        spearman=rho,
        spearman_naive=rho_naive,
        folds=tuple(folds),
    )


def _cv_aggregates(scores: Mapping[str, float], task: str, languages: Sequence[str], model: str) -> dict[str, float]:
    """The ``CV_METRICS`` aggregates of per-benchmark ``scores`` for a subset."""
    metrics = result_metrics(scores, task, languages, model=model)
    return {metric: metrics[metric] for metric in CV_METRICS}


def cross_validate_all(model: str | None = None, task: str | None = None) -> list[CVResult]:
    models = [check_model(model)] if model else list(REAL_MODELS)
    tasks = [check_task(task)] if task else list(TASKS)
    return [cross_validate(m, t) for m in models for t in tasks]


def cv_markdown(results: Sequence[CVResult]) -> str:
    """The README table: proxy vs naive (baseline + mean change), scores in points (x100)."""
    lines = [
        "| model | task | strategies | subsets | MAE per language | MAE unseen_lrl | Spearman unseen_lrl "
        "| MAE all | Spearman all |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {MODEL_LABELS.get(r.model, r.model)} | {r.task} | {r.n_strategies} | {r.n_subsets} | "
            f"{100 * r.mae_language:.2f} ({100 * r.mae_language_naive:.2f}) | "
            f"{100 * r.mae['unseen_lrl']:.2f} ({100 * r.mae_naive['unseen_lrl']:.2f}) | "
            f"{r.spearman['unseen_lrl']:.2f} ({r.spearman_naive['unseen_lrl']:.2f}) | "
            f"{100 * r.mae['all']:.2f} ({100 * r.mae_naive['all']:.2f}) | "
            f"{r.spearman['all']:.2f} ({r.spearman_naive['all']:.2f}) |"
        )
    lines.append("")
    lines.append(
        "Leave-one-strategy-out: every subset a held-out strategy ran is out of training. Proxy (naive "
        "reference = baseline + mean change); MAE in points (x100), Spearman over held-out subsets."
    )
    return "\n".join(lines) + "\n"
