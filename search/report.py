"""What a sweep found, from its run directory alone: the Pareto front and everything around it.

Reads Ray's experiment state (``ExperimentAnalysis``; no Ray cluster needed, local or URI storage) and the
search config the driver saved, then writes into ``RUN_DIR/report/`` (or ``--out``):

- ``report.md``      the front (size, languages, objectives, sampled hyperparameters), the best
                     configuration per size, the hypervolume, failed trials with their reason;
- ``front.png``      first objective vs second (score vs number of languages): every trial, the front as
                     a staircase, the warm-start points (the paper's lists, our heuristics) and the all-pool
                     run marked;
- ``heatmap.png``    per-language scores, target languages x front members;
- ``report.json``    all of it, machine-readable.

Hypervolume reference point (recorded in the JSON): for a maximised objective the smaller of 0 and the
worst value seen, for a minimised one the worst value seen + 1 — the "+1" keeps a front member at the
largest size from contributing zero area.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from search.atomic import atomic_output, atomic_write
from search.pareto import hypervolume_2d, pareto_front
from search.report_cost import cost_columns, has_costs, infeasible_lines, mark_infeasible, plot_cost_front
from search.report_sources import trial_rows
from spaces.config import SearchConfig, flatten_params
from spaces.formats import fmt_number, json_safe
from spaces.vocab import Objective

REPORT_DIR = "report"


@dataclass
class TrialRecord:
    """One trial as the report sees it; ``status``: ``ok`` (finished), ``stopped`` (early, by ASHA),
    ``infeasible`` (finished over a cost cap: ``search.report_cost``), ``failed`` or ``unfinished``.
    Only ``ok`` trials are compared (front, best per size, hypervolume)."""

    trial_id: str
    status: str
    languages: list[str]
    metrics: dict[str, float]
    scores: dict[str, float]
    params: dict[str, Any]
    error: str | None = None
    time_s: float | None = None
    heuristic: str | None = None  # label of the warm-start point it evaluated, if any
    all_pool: bool = False

    def value(self, metric: str) -> float:
        value = self.metrics.get(metric)
        return math.nan if value is None else float(value)


@dataclass
class Report:
    objectives: list[Objective]
    trials: list[TrialRecord]
    front: list[TrialRecord] = field(default_factory=list)
    best_per_size: dict[int, TrialRecord] = field(default_factory=dict)
    hypervolume: float | None = None
    reference: list[float] | None = None

    @property
    def failed(self) -> list[TrialRecord]:
        return [t for t in self.trials if t.status == "failed"]

    @property
    def finished(self) -> list[TrialRecord]:
        return [t for t in self.trials if t.status == "ok"]


# ---------------------------------------------------------------------------------------------- reading
def _heuristic_label(
    flat: Mapping[str, Any], points: Sequence[Mapping[str, Any]], names: Mapping[tuple[str, ...], str]
) -> str | None:
    for point in points:
        if point and all(_same(flat.get(k), v) for k, v in point.items()):
            named = names.get(tuple(flat.get("languages") or ()))
            if named:
                return named
            strategy = point.get("subset/strategy")
            size = point.get("subset/size")
            if strategy:
                return f"{strategy}@{size}" if size is not None else str(strategy)
            if flat.get("realign/mode") == "none":
                return "baseline (no realignment)"
            return "warm start"
    return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return a == b


def collect_trials(
    run_dir: str,
    *,
    warm_points: Sequence[Mapping[str, Any]] = (),
    heuristic_names: Mapping[tuple[str, ...], str] | None = None,
    pool_size: int | None = None,
    sampled_params: Sequence[str] | None = None,
) -> list[TrialRecord]:
    """Every trial of the experiment in ``run_dir``, in the order Ray created them."""
    records = []
    for trial_id, status, config, result, error in trial_rows(run_dir):
        flat = flatten_params(config)
        languages = list(flat.pop("languages", None) or config.get("languages") or [])
        if status == "ok" and result.get("phase", "final") != "final":
            status = "stopped"  # ended by the scheduler (ASHA): an intermediate score, not comparable
        metrics = {
            k: v
            for k, v in result.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not k.startswith("score/")
        }
        scores = {
            k.split("/", 1)[1]: float(v)
            for k, v in result.items()
            if k.startswith("score/") and isinstance(v, (int, float))
        }
        params = {
            k: v
            for k, v in flat.items()
            if (sampled_params is None and not k.startswith("lang/"))
            or (sampled_params is not None and (k in sampled_params or k.startswith("subset/")))
        }
        records.append(
            TrialRecord(
                trial_id=trial_id,
                status=status,
                languages=languages,
                metrics=metrics,
                scores=scores,
                params=params,
                error=error,
                time_s=result.get("time_total_s"),
                heuristic=_heuristic_label({**flat, "languages": languages}, warm_points, heuristic_names or {}),
                all_pool=pool_size is not None and len(languages) == pool_size,
            )
        )
    return records


# -------------------------------------------------------------------------------------------- analysing
def reference_point(objectives: Sequence[Objective], trials: Sequence[TrialRecord]) -> list[float]:
    ref = []
    for o in objectives:
        values = [t.value(o.metric) for t in trials if not math.isnan(t.value(o.metric))]
        if o.mode == "max":
            ref.append(min([0.0, *values]))
        else:
            ref.append(max(values, default=0.0) + 1.0)
    return ref


def analyse(
    trials: list[TrialRecord], objectives: Sequence[Objective], reference: Sequence[float] | None = None
) -> Report:
    """Front, best per size (by the first objective) and, for two objectives, the hypervolume."""
    objectives = list(objectives)
    finished = [t for t in trials if t.status == "ok"]
    modes = [o.mode for o in objectives]
    points = [[t.value(o.metric) for o in objectives] for t in finished]
    front = [finished[i] for i in pareto_front(points, modes)]
    front.sort(key=lambda t: (t.value("n_languages"), -t.value(objectives[0].metric)))
    primary = objectives[0]
    best: dict[int, TrialRecord] = {}
    for t in finished:
        size = t.metrics.get("n_languages", len(t.languages))
        if math.isnan(t.value(primary.metric)):
            continue
        size = int(size)
        if size not in best or _better(t.value(primary.metric), best[size].value(primary.metric), primary.mode):
            best[size] = t
    report = Report(objectives, trials, front, dict(sorted(best.items())))
    if len(objectives) == 2 and finished:
        report.reference = list(reference) if reference is not None else reference_point(objectives, finished)
        report.hypervolume = hypervolume_2d(points, modes, report.reference)
    return report


def _better(a: float, b: float, mode: str) -> bool:
    return a > b if mode == "max" else a < b


# ---------------------------------------------------------------------------------------------- writing
def _langs(languages: Sequence[str], limit: int = 20) -> str:
    shown = ", ".join(languages[:limit])
    return shown + (f" (+{len(languages) - limit})" if len(languages) > limit else "") if languages else "(none)"


def _table(rows: list[list[str]], header: list[str]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return out


def _trial_row(t: TrialRecord, objectives: Sequence[Objective], costs: Sequence[str] = ()) -> list[str]:
    hparams = ", ".join(f"{k}={fmt_number(v)}" for k, v in sorted(t.params.items())) or "-"
    marks = "all pool" if t.all_pool else (t.heuristic or "")
    return [
        fmt_number(t.metrics.get("n_languages", len(t.languages))),
        _langs(t.languages),
        *[_mean_sd(t, o.metric) for o in objectives if o.metric != "n_languages"],
        *[fmt_number(t.value(name)) for name in costs],
        hparams,
        t.trial_id + (f" ({marks})" if marks else ""),
    ]


def _mean_sd(t: TrialRecord, metric: str) -> str:
    """``mean ± sd (n seeds)`` where the trial ran several seeds (``search.reeval``, ``experiment.seeds``)."""
    sd = t.value(f"{metric}_sd")
    if math.isnan(sd):
        return fmt_number(t.value(metric))
    return f"{fmt_number(t.value(metric))} ± {fmt_number(sd)} ({fmt_number(t.metrics.get('n_seeds'))} seeds)"


def markdown(report: Report, title: str, with_plots: bool = True) -> str:
    objs = report.objectives
    metrics = [o.metric for o in objs if o.metric != "n_languages"]
    costs = cost_columns(objs) if has_costs(report.trials) else []
    header = ["size", "languages", *metrics, *costs, "hyperparameters", "trial"]
    lines = [f"# {title}", ""]
    statuses = ("ok", "stopped", "infeasible", "failed", "unfinished")
    counts = {s: sum(t.status == s for t in report.trials) for s in statuses}
    lines += [
        f"Trials: {len(report.trials)} ({counts['ok']} finished, {counts['stopped']} stopped early, "
        + (f"{counts['infeasible']} infeasible, " if counts["infeasible"] else "")
        + f"{counts['failed']} failed, {counts['unfinished']} unfinished). Objectives: "
        + ", ".join(f"{o.metric} ({o.mode})" for o in objs)
        + ".",
        "",
    ]
    if report.hypervolume is not None:
        lines += [
            f"Hypervolume: {report.hypervolume:.6g} (reference point "
            + ", ".join(f"{o.metric}={fmt_number(r)}" for o, r in zip(objs, report.reference, strict=True))
            + ").",
            "",
        ]
    lines += ["## Pareto front", "", *_table([_trial_row(t, objs, costs) for t in report.front], header), ""]
    if with_plots:
        lines += ["![score vs number of languages](front.png)", "", "![per-language scores](heatmap.png)", ""]
        lines += ["![the front against cost](cost.png)", ""] if has_costs(report.trials) else []
    lines += [
        f"## Best configuration per size (by {objs[0].metric})",
        "",
        *_table([_trial_row(t, objs, costs) for t in report.best_per_size.values()], header),
        "",
    ]
    lines += infeasible_lines(report)
    lines += ["## Failed trials", ""]
    if report.failed:
        lines += _table(
            [[t.trial_id, _langs(t.languages), t.error or "unknown error"] for t in report.failed],
            ["trial", "languages", "reason"],
        )
    else:
        lines += ["None."]
    return "\n".join(lines) + "\n"


def to_json(report: Report) -> dict[str, Any]:
    return {
        "objectives": [asdict(o) for o in report.objectives],
        "hypervolume": report.hypervolume,
        "reference": report.reference,
        "front": [t.trial_id for t in report.front],
        "best_per_size": {str(k): t.trial_id for k, t in report.best_per_size.items()},
        "failed": [{"trial_id": t.trial_id, "languages": t.languages, "reason": t.error} for t in report.failed],
        "infeasible": [{"trial_id": t.trial_id, "broken": t.error} for t in report.trials if t.status == "infeasible"],
        "trials": [json_safe(asdict(t)) for t in report.trials],
    }


@dataclass(frozen=True)
class ReportFiles:
    """Paths written; the PNGs are None when matplotlib (extra ``plots``) is not installed."""

    markdown: Path
    json: Path
    front_png: Path | None
    heatmap_png: Path | None
    cost_png: Path | None = None  # the front against cost, when trials reported costs


def write_report(report: Report, out_dir: Path, title: str, limits: tuple[tuple[str, float], ...] = ()) -> ReportFiles:
    files = _write_report(report, out_dir, title)
    if files.front_png is None or not has_costs(report.trials):
        return files
    with atomic_output(out_dir / "cost.png") as tmp:
        plot_cost_front(report, tmp, limits)
    return ReportFiles(files.markdown, files.json, files.front_png, files.heatmap_png, out_dir / "cost.png")


def _write_report(report: Report, out_dir: Path, title: str) -> ReportFiles:
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        import matplotlib  # noqa: F401  (the PNGs are optional: extra `plots`)

        pngs: tuple[Path | None, Path | None] = (out_dir / "front.png", out_dir / "heatmap.png")
    except ImportError:
        pngs = (None, None)
    files = ReportFiles(out_dir / "report.md", out_dir / "report.json", *pngs)
    # Each file is replaced whole or not at all: a full disk leaves the previous report readable.
    atomic_write(files.markdown, markdown(report, title, with_plots=files.front_png is not None))
    atomic_write(files.json, json.dumps(to_json(report), indent=2))
    if files.front_png is not None and files.heatmap_png is not None:
        from search.report_plots import plot_front, plot_heatmap

        for plot, path in ((plot_front, files.front_png), (plot_heatmap, files.heatmap_png)):
            with atomic_output(path) as tmp:
                plot(report, tmp)
    return files


def heuristic_names(cfg: SearchConfig) -> dict[tuple[str, ...], str]:
    """The warm-start label (``most_uriel_en@5``, ``paper:most_uriel_en@10``) of each subset a warm-start
    point realigns on, also under the mask encoding (whose points carry only ``lang/`` flags)."""
    from spaces.config import warm_start_subsets

    return {languages: label for label, languages in reversed(warm_start_subsets(cfg)) if label != "baseline"}


def load_report(run_dir: str, cfg: SearchConfig) -> Report:
    """The analysed sweep in ``run_dir`` (a checked run folder), without writing anything: the search's
    trials, merged with their re-evaluations (``search.reeval``: the front is on seed means), and those
    over a cost cap (``search.costs.cost_limits``) marked infeasible, so they never reach the front."""
    from search.costs import cost_limits
    from search.reeval import merge_run

    trials = collect_run(run_dir, cfg)
    merge_run(run_dir, cfg, trials)
    mark_infeasible(trials, cost_limits(cfg))
    return analyse(trials, cfg.search.objectives)


def report_run(
    run_dir: str, out_dir: str | Path | None = None, *, cfg: SearchConfig | None = None
) -> tuple[Report, ReportFiles]:
    """Read the sweep in ``run_dir`` and write its report (default ``RUN_DIR/report``; a URI run needs --out)."""
    from search.costs import cost_limits
    from search.run_files import check_run_dir, is_uri, load_saved_config, normalise_run_dir
    from spaces.errors import ConfigError

    run_dir = normalise_run_dir(run_dir)
    check_run_dir(run_dir)
    if out_dir is None and is_uri(run_dir):
        raise ConfigError("--out", f"{run_dir!r} is remote; give a local --out directory for the report")
    cfg = cfg if cfg is not None else load_saved_config(run_dir)
    report = load_report(run_dir, cfg)
    out = Path(out_dir) if out_dir is not None else Path(run_dir, REPORT_DIR)
    title = f"Sweep report: {run_dir.rstrip('/').rsplit('/', 1)[-1]}"
    return report, write_report(report, out, title, cost_limits(cfg))


def collect_run(run_dir: str, cfg: SearchConfig) -> list[TrialRecord]:
    """The search's trials as the report labels them (warm starts, the all-pool run, sampled parameters)."""
    from spaces.config import warm_start_points

    return collect_trials(
        run_dir,
        warm_points=warm_start_points(cfg),
        heuristic_names=heuristic_names(cfg),
        pool_size=len(cfg.subset.available),
        sampled_params=[spec.name for spec in cfg.sampled()],
    )
