"""``realign-search compare RUN_DIR``: a run's per-language scores beside the paper's published ones.

A GPU user who ran a paper preset (``spaces/data/examples/paper_*.toml``) checks the reproduction with
one command. For every finished trial whose subset the paper measured for the run's model and task
(``trainables.published.replay``: matched by the set of languages; ``realign.mode = "none"`` is the
paper's baseline), it prints each language the run and the paper both scored: ours, the paper's seed
mean, and the difference in points (x100), then the mean absolute difference and the aggregates
recomputed on those common languages (so both sides average the same languages). Trials whose subset
the paper never measured are listed as skipped; a run with no comparable trial is refused (exit 2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from spaces.errors import ConfigError
from spaces.formats import json_safe

if TYPE_CHECKING:
    from search.report import TrialRecord


@dataclass
class TrialComparison:
    trial_id: str
    label: str  # the list / heuristic name when the run knows it, else the subset size
    languages: list[str]
    method: str
    paper_folders: list[str]
    paper_seeds: list[int]
    n_seeds: int | None  # seeds behind our scores (multi-seed trials), None = one
    rows: list[tuple[str, float, float, float]]  # (code, ours, paper, ours - paper in points)
    aggregates: dict[str, tuple[float, float]]  # name -> (ours, paper), over the common languages

    @property
    def mean_abs_diff(self) -> float:
        diffs = [abs(d) for *_, d in self.rows if math.isfinite(d)]
        return sum(diffs) / len(diffs) if diffs else math.nan


@dataclass
class Comparison:
    model: str
    task: str
    trials: list[TrialComparison] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (trial id, why)

    def to_json(self) -> dict[str, Any]:
        out = {"model": self.model, "task": self.task, "skipped": [list(s) for s in self.skipped], "trials": []}
        for t in self.trials:
            item = asdict(t)
            item["rows"] = [dict(zip(("language", "ours", "paper", "diff_points"), row, strict=True)) for row in t.rows]
            item["aggregates"] = {k: {"ours": a, "paper": b} for k, (a, b) in t.aggregates.items()}
            item["mean_abs_diff_points"] = t.mean_abs_diff
            out["trials"].append(item)
        return json_safe(out)


def compare_trials(model: str, task: str, trials: Sequence[TrialRecord], sweep_pool: Sequence[str] = ()) -> Comparison:
    """Compare finished ``search.report.TrialRecord``s with the paper; ConfigError if none is comparable.

    ``sweep_pool`` is what the run's trials could realign on (its ``heldout`` group); empty = all 65."""
    from trainables.metrics import aggregate
    from trainables.published.data import OURS, check_model, check_task
    from trainables.published.replay import replay

    model, task = check_model(model), check_task(task)  # refuses the tiny world: the paper never ran it
    result = Comparison(model, task)
    finished = [t for t in trials if t.status == "ok"]
    if not finished:
        raise ConfigError("RUN_DIR", f"no finished trial to compare ({len(trials)} trials, none finished)")
    reasons = []
    for trial in finished:
        mode = trial.params.get("realign/mode", "before")
        if mode == "joint":
            result.skipped.append((trial.trial_id, "joint realignment: the paper published only 'before'"))
            continue
        method = "baseline" if mode == "none" else OURS
        try:
            paper = replay(model, task, [] if method == "baseline" else trial.languages, method=method)
        except ConfigError as err:
            result.skipped.append((trial.trial_id, err.problem))
            reasons.append(err.problem)
            continue
        paper_scores = {k.split("/", 1)[1]: v for k, v in paper.mean.items() if k.startswith("score/")}
        common = sorted(set(trial.scores) & set(paper_scores))
        rows = [
            (code, trial.scores[code], paper_scores[code], 100 * (trial.scores[code] - paper_scores[code]))
            for code in common
        ]
        ours_agg = aggregate({c: trial.scores[c] for c in common}, paper.languages, model, sweep_pool)
        paper_agg = aggregate({c: paper_scores[c] for c in common}, paper.languages, model, sweep_pool)
        n_seeds = trial.metrics.get("n_seeds")
        result.trials.append(
            TrialComparison(
                trial_id=trial.trial_id,
                label=trial.heuristic or f"{len(paper.languages)} languages",
                languages=list(paper.languages),
                method=method,
                paper_folders=list(paper.folders),
                paper_seeds=sorted(paper.seeds),
                n_seeds=int(n_seeds) if n_seeds is not None else None,
                rows=rows,
                aggregates={k: (ours_agg[k], paper_agg[k]) for k in ours_agg},
            )
        )
    if not result.trials:
        why = reasons[0] if reasons else "no trial used a method the paper published"
        raise ConfigError(
            "RUN_DIR",
            f"none of the {len(finished)} finished trials used a subset the paper "
            f"measured for {model} on {task}, so there is nothing to compare; e.g. {why}",
        )
    return result


def compare_run(run_dir: str, trial_ids: Sequence[str] = ()) -> Comparison:
    """``compare_trials`` on the finished trials of the sweep in ``run_dir`` (optionally only ``trial_ids``)."""
    from search.report import collect_trials, heuristic_names
    from search.run_files import check_run_dir, load_saved_config, normalise_run_dir
    from spaces.config import warm_start_points

    run_dir = normalise_run_dir(run_dir)
    check_run_dir(run_dir)
    cfg = load_saved_config(run_dir)
    if cfg.experiment.trainable == "realign" and cfg.experiment.world != "real":
        raise ConfigError(
            "RUN_DIR",
            f"{run_dir!r} ran the {cfg.experiment.world!r} world; the paper published "
            "results only for mBERT and XLM-R on the real benchmarks",
        )
    trials = collect_trials(run_dir, warm_points=warm_start_points(cfg), heuristic_names=heuristic_names(cfg))
    if trial_ids:
        unknown = sorted(set(trial_ids) - {t.trial_id for t in trials})
        if unknown:
            raise ConfigError("--trial", f"no trial {unknown[0]!r} in {run_dir}", [t.trial_id for t in trials])
        trials = [t for t in trials if t.trial_id in set(trial_ids)]
    return compare_trials(cfg.experiment.model, cfg.experiment.task, trials, cfg.subset.available)


def format_comparison(result: Comparison) -> str:
    lines = [
        f"{result.model}, {result.task}: {len(result.trials)} trial(s) compared with the paper's "
        "published seed means (difference = ours - paper, in points)"
    ]
    for t in result.trials:
        seeds = f"{t.n_seeds} seeds" if t.n_seeds else "1 seed"
        lines += [
            "",
            f"trial {t.trial_id}: {t.label} ({len(t.languages)} languages, {t.method}; ours {seeds}, "
            f"paper {'/'.join(map(str, t.paper_seeds))} in {', '.join(t.paper_folders)})",
            f"  {'language':<10} {'ours':>8} {'paper':>8} {'diff':>8}",
        ]
        lines += [f"  {code:<10} {ours:>8.4f} {paper:>8.4f} {diff:>+8.2f}" for code, ours, paper, diff in t.rows]
        lines.append(f"  mean |diff| over {len(t.rows)} languages: {t.mean_abs_diff:.2f} points")
        lines += [
            f"  {name:<10} {ours:>8.4f} {paper:>8.4f} {100 * (ours - paper):>+8.2f}"
            for name, (ours, paper) in t.aggregates.items()
            if math.isfinite(ours) and math.isfinite(paper)
        ]
    if result.skipped:
        lines += ["", f"skipped {len(result.skipped)} trial(s):"]
        lines += [f"  {tid}: {why}" for tid, why in result.skipped]
    return "\n".join(lines)
