"""Budget-constrained selection studies on the published runs: with k languages, which strategy wins?

For each (model, task) and subset size k, every paper strategy that ran k languages is ranked by the
seed mean of one metric, and compared — as the paper did — with paired t-tests over matching seeds
(``scipy.stats.ttest_rel``) against the all-65 run (``xt_afri``) and the fine-tuning-only baseline.
Metrics are the fixed target groups of ``spaces.targets`` (``unseen_lrl`` ...) or a benchmark's mean (``masakhaner``,
``afrixnli``, ``americasnli`` ...; see ``trainables.published.data``). Runs in well under a second.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from spaces.errors import ConfigError
from spaces.vocab import MODEL_LABELS, OBJECTIVE_GROUPS, REAL_MODELS, TASKS, check_objective
from trainables.published.data import (
    OURS,
    Run,
    benchmarks,
    check_model,
    check_task,
    load_runs,
    result_metrics,
)

DEFAULT_SIZES = (5, 10, 20, 40)
ALL_STRATEGY = "all"


@dataclass(frozen=True)
class Comparison:
    """Paired comparison over the seeds both sides ran: mean difference, t statistic, two-sided p."""

    delta: float
    t: float
    p: float
    n_pairs: int


@dataclass(frozen=True)
class StrategyResult:
    model: str
    task: str
    metric: str
    size: int
    rank: int
    strategy: str
    folder: str
    mean: float
    std: float
    seeds: tuple[int, ...]
    vs_all: Comparison
    vs_baseline: Comparison


@dataclass(frozen=True)
class StudyTable:
    """One (model, task): the ranked strategies per size and the two reference runs' means."""

    model: str
    task: str
    metric: str
    rows: tuple[StrategyResult, ...]
    all_mean: float
    baseline_mean: float


def metric_key(metric: str) -> str:
    """The result-schema key of a study metric: a fixed target group as is, a benchmark as
    ``bench/<name>``. A subset-dependent view is refused: strategies would be ranked on different
    languages (``spaces.vocab.check_objective``)."""
    if metric in benchmarks():
        return f"bench/{metric}"
    return check_objective("--metric", metric, [*OBJECTIVE_GROUPS, *benchmarks()])


def tasks_for(metric: str, task: str | None) -> list[str]:
    """Tasks a metric applies to: a benchmark fixes its task; an aggregate applies to every task."""
    metric_key(metric)
    owner = benchmarks().get(metric)
    if owner is not None:
        if task is not None and check_task(task) != owner:
            raise ConfigError(
                "--metric",
                f"benchmark {metric!r} belongs to task {owner!r}, not {task!r}",
                [m for m, t in benchmarks().items() if t == task],
            )
        return [owner]
    return [check_task(task)] if task else list(TASKS)


def seed_values(runs: Iterable[Run], metric: str) -> dict[int, float]:
    """seed -> the metric of that seed's run (mean if a seed ran twice); NaN-valued runs are left out."""
    key = metric_key(metric)
    values: dict[int, list[float]] = defaultdict(list)
    for run in runs:
        value = result_metrics(run.scores, run.task, run.languages, model=run.model)[key]
        if not math.isnan(value):
            values[run.seed].append(value)
    return {seed: float(np.mean(v)) for seed, v in sorted(values.items())}


def paired(a: dict[int, float], b: dict[int, float]) -> Comparison:
    """``ttest_rel`` of a against b on the seeds both have; NaN t/p below two pairs."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return Comparison(math.nan, math.nan, math.nan, 0)
    x, y = np.array([a[s] for s in seeds]), np.array([b[s] for s in seeds])
    delta = float(np.mean(x - y))
    if len(seeds) < 2:
        return Comparison(delta, math.nan, math.nan, len(seeds))
    test = stats.ttest_rel(x, y)
    return Comparison(delta, float(test.statistic), float(test.pvalue), len(seeds))


def study_table(
    model: str,
    task: str,
    metric: str,
    sizes: Sequence[int] = DEFAULT_SIZES,
    ablations: bool = False,
    runs: Sequence[Run] | None = None,
) -> StudyTable:
    """Rank the strategies of each size in ``sizes`` for one model and task (``runs`` defaults to the paper's)."""
    runs = load_runs() if runs is None else runs
    mine = [r for r in runs if (r.model, r.task) == (model, task)]
    baseline = seed_values([r for r in mine if r.method == "baseline"], metric)
    everything = seed_values([r for r in mine if r.method == OURS and r.strategy == ALL_STRATEGY], metric)
    by_folder: dict[str, list[Run]] = defaultdict(list)
    for run in mine:
        if (
            run.method == OURS
            and run.strategy != ALL_STRATEGY
            and run.size in sizes
            and (ablations or not run.folder.startswith("abla_"))
        ):
            by_folder[run.folder].append(run)
    rows: list[StrategyResult] = []
    for size in sorted(set(sizes)):
        scored = []
        for folder, folder_runs in by_folder.items():
            if folder_runs[0].size != size:
                continue
            values = seed_values(folder_runs, metric)
            if values:
                scored.append((folder_runs[0].strategy, folder, values))
        scored.sort(key=lambda item: (-np.mean(list(item[2].values())), item[0]))
        for rank, (strategy, folder, values) in enumerate(scored, start=1):
            vals = np.array(list(values.values()))
            rows.append(
                StrategyResult(
                    model=model,
                    task=task,
                    metric=metric,
                    size=size,
                    rank=rank,
                    strategy=strategy,
                    folder=folder,
                    mean=float(vals.mean()),
                    std=float(vals.std(ddof=1)) if len(vals) > 1 else math.nan,
                    seeds=tuple(values),
                    vs_all=paired(values, everything),
                    vs_baseline=paired(values, baseline),
                )
            )
    mean = lambda v: float(np.mean(list(v.values()))) if v else math.nan  # noqa: E731
    return StudyTable(model, task, metric, tuple(rows), mean(everything), mean(baseline))


def run_study(
    model: str | None = None,
    task: str | None = None,
    metric: str = "unseen_lrl",
    sizes: Sequence[int] = DEFAULT_SIZES,
    ablations: bool = False,
) -> list[StudyTable]:
    """Study tables for the given model (default both) and task (default every task the metric has)."""
    if not sizes or any(int(s) <= 0 for s in sizes):
        raise ConfigError("--sizes", "give positive subset sizes, e.g. 5,10,20,40")
    models = [check_model(model)] if model else list(REAL_MODELS)
    return [study_table(m, t, metric, sizes, ablations) for m in models for t in tasks_for(metric, task)]


@dataclass(frozen=True)
class ClaimRow:
    """The paper's claim for one (model, task): its best subset of at most ``max_size`` languages against
    realigning on all 65, on one metric, paired over the seeds both ran."""

    model: str
    task: str
    metric: str
    max_size: int
    folder: str
    size: int
    mean: float
    all_mean: float
    vs_all: Comparison
    candidates: int


def claim_row(
    model: str,
    task: str,
    metric: str = "unseen_lrl",
    max_size: int = 20,
    ablations: bool = False,
    runs: Sequence[Run] | None = None,
) -> ClaimRow:
    """Best paper folder of at most ``max_size`` languages (by seed mean) vs the all-65 run (``xt_afri``).

    The best is picked among every candidate folder, so its p-value is not corrected for that choice.
    """
    runs = load_runs() if runs is None else runs
    mine = [r for r in runs if (r.model, r.task, r.method) == (model, task, OURS)]
    everything = seed_values([r for r in mine if r.strategy == ALL_STRATEGY], metric)
    by_folder: dict[str, list[Run]] = defaultdict(list)
    for run in mine:
        if run.strategy != ALL_STRATEGY and run.size <= max_size and (ablations or not run.folder.startswith("abla_")):
            by_folder[run.folder].append(run)
    scored = {
        folder: values for folder, folder_runs in by_folder.items() if (values := seed_values(folder_runs, metric))
    }
    if not scored:
        raise ConfigError(
            "--max-size", f"the paper ran no subset of at most {max_size} languages for {model} on {task}"
        )
    folder = max(sorted(scored), key=lambda f: np.mean(list(scored[f].values())))
    values = scored[folder]
    return ClaimRow(
        model=model,
        task=task,
        metric=metric,
        max_size=max_size,
        folder=folder,
        size=by_folder[folder][0].size,
        mean=float(np.mean(list(values.values()))),
        all_mean=float(np.mean(list(everything.values()))) if everything else math.nan,
        vs_all=paired(values, everything),
        candidates=len(scored),
    )


def run_claim(
    model: str | None = None,
    task: str | None = None,
    metric: str = "unseen_lrl",
    max_size: int = 20,
    ablations: bool = False,
) -> list[ClaimRow]:
    """``claim_row`` for the given model (default both) and task (default every task the metric has)."""
    if max_size <= 0:
        raise ConfigError("--max-size", f"give a positive subset size, not {max_size}")
    models = [check_model(model)] if model else list(REAL_MODELS)
    return [claim_row(m, t, metric, max_size, ablations) for m in models for t in tasks_for(metric, task)]


def claim_markdown(rows: Sequence[ClaimRow]) -> str:
    """The claim table: best small subset vs all 65, in points (x100), paired t-test over seeds."""
    from spaces.paper import name_checks

    metric, max_size = rows[0].metric, rows[0].max_size
    flagged = name_checks()
    out = [
        f"| model | task | best paper subset of <= {max_size} (of n) | size | {metric} | all-65 | Δ | t | p | seeds |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        t = "–" if math.isnan(r.vs_all.t) else f"{r.vs_all.t:.2f}"
        name = r.folder + (" †" if flagged.get(r.folder) else "")
        out.append(
            f"| {MODEL_LABELS.get(r.model, r.model)} | {r.task} | {name} (of {r.candidates}) | {r.size} | "
            f"{_fmt(r.mean)} | {_fmt(r.all_mean)} | {_fmt(r.vs_all.delta)} | {t} | {_fmt_p(r.vs_all)} | "
            f"{r.vs_all.n_pairs} |"
        )
    out.append("")
    out.append(
        f"Scores ×100, mean over seeds. Best = highest seed mean among the n paper folders of at most "
        f"{max_size} languages (ablations only with --ablations); Δ = mean paired difference best − all-65 "
        "over matching seeds; p = two-sided paired t-test (scipy.stats.ttest_rel), * p < 0.05, not "
        "corrected for picking the best of n. † the folder's list contradicts its name "
        "(realign-search paper-subsets)."
    )
    return "\n".join(out) + "\n"


def _fmt(value: float, digits: int = 2, scale: float = 100.0) -> str:
    return "–" if math.isnan(value) else f"{value * scale:.{digits}f}"


def _fmt_p(comp: Comparison) -> str:
    if math.isnan(comp.p):
        return "–"
    return f"{comp.p:.3f}{'*' if comp.p < 0.05 else ''}"


def to_markdown(tables: Sequence[StudyTable]) -> str:
    """Markdown: one table per (model, task); scores in points (x100), * = p < 0.05 (paired t-test)."""
    out: list[str] = []
    for table in tables:
        out.append(f"### {MODEL_LABELS.get(table.model, table.model)} · {table.task} · {table.metric}\n")
        out.append(
            f"all-65 (xt_afri): {_fmt(table.all_mean)} · baseline (no realignment): {_fmt(table.baseline_mean)}\n"
        )
        out.append("| size | rank | strategy | mean | sd | seeds | Δ all-65 | p | Δ baseline | p |")
        out.append("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in table.rows:
            out.append(
                f"| {r.size} | {r.rank} | {r.strategy} | {_fmt(r.mean)} | {_fmt(r.std)} | {len(r.seeds)} | "
                f"{_fmt(r.vs_all.delta)} | {_fmt_p(r.vs_all)} | {_fmt(r.vs_baseline.delta)} | "
                f"{_fmt_p(r.vs_baseline)} |"
            )
        if not table.rows:
            out.append("| – | – | no published strategy at these sizes | | | | | | | |")
        out.append("")
    out.append(
        "Scores ×100. Δ = mean paired difference over matching seeds; p = two-sided paired t-test "
        "(scipy.stats.ttest_rel); * p < 0.05."
    )
    return "\n".join(out) + "\n"


def to_records(tables: Sequence[StudyTable]) -> list[dict]:
    """JSON-ready rows (one per strategy and size), plus the reference means on each row."""
    records = []
    for table in tables:
        for row in table.rows:
            rec = asdict(row)
            rec["seeds"] = list(row.seeds)
            rec.update(all_mean=table.all_mean, baseline_mean=table.baseline_mean)
            records.append(rec)
    return records


def plot(tables: Sequence[StudyTable], path: Path) -> Path:
    """One panel per (model, task): each strategy's mean over sizes, all-65 and baseline as lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(3, len(tables)) or 1
    rows = math.ceil(len(tables) / cols) or 1
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.8 * rows), squeeze=False)
    for ax, table in zip(axes.flat, tables, strict=False):
        series: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for r in table.rows:
            series[r.strategy].append((r.size, r.mean * 100))
        for name, points in sorted(series.items()):
            xs, ys = zip(*sorted(points), strict=True)
            ax.plot(xs, ys, marker="o", label=name)
        if not math.isnan(table.all_mean):
            ax.axhline(table.all_mean * 100, color="black", linestyle="--", label="all 65")
        if not math.isnan(table.baseline_mean):
            ax.axhline(table.baseline_mean * 100, color="grey", linestyle=":", label="baseline")
        ax.set_xscale("log", base=2)
        sizes = sorted({r.size for r in table.rows})
        ax.set_xticks(sizes, [str(s) for s in sizes])
        ax.minorticks_off()
        ax.set_title(f"{MODEL_LABELS.get(table.model, table.model)} · {table.task} · {table.metric}")
        ax.set_xlabel("subset size")
        ax.set_ylabel("score ×100")
    for ax in list(axes.flat)[len(tables) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(6, max(1, len(labels))), fontsize="small")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
