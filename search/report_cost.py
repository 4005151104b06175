"""The report's view of cost: which trials broke a per-trial cap, and the front against what it cost.

A budget-constrained study asks what each point of the front costs, whatever the objectives are, so
the report always adds the trials' costs (``trainables.cost``) to its tables and draws ``cost.png``:
the primary score against GPU-hours (or wall seconds when no trial had a GPU allotted), with the front,
the infeasible trials and the cap. A trial over a cap (``search.max_gpu_hours``, ``search.max_wall_s``:
``search.costs``) is ``infeasible``: listed with the cap it broke, never on the front, the best per
size or the hypervolume, as Optuna's constraints keep it out of ``study.best_trials``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from search.costs import infeasible
from spaces.vocab import COSTS, TRIAL_COSTS, Objective

if TYPE_CHECKING:
    from search.report import Report, TrialRecord

INFEASIBLE = "infeasible"
SHOWN_COSTS = ("wall_s", "gpu_hours")  # the table's cost columns (gpu_s is gpu_hours x 3600)


def mark_infeasible(trials: Sequence[TrialRecord], limits: tuple[tuple[str, float], ...]) -> None:
    """Finished trials over a cap become ``infeasible``, their ``error`` the caps they broke."""
    for trial in trials:
        broken = infeasible(trial.metrics, limits) if trial.status == "ok" else []
        if broken:
            trial.status = INFEASIBLE
            trial.error = "; ".join(broken)


def cost_columns(objectives: Sequence[Objective]) -> list[str]:
    """The cost columns a table adds: those no objective already shows."""
    shown = {o.metric for o in objectives}
    return [name for name in SHOWN_COSTS if name not in shown]


def cost_axis(trials: Sequence[TrialRecord]) -> str:
    """``gpu_hours`` when some trial had GPUs allotted (a positive GPU time), else ``wall_s``."""
    return "gpu_hours" if any(t.value("gpu_hours") > 0 for t in trials) else "wall_s"


def score_objective(objectives: Sequence[Objective]) -> Objective:
    """The objective drawn against cost: the first that is not itself a cost."""
    return next((o for o in objectives if o.metric not in COSTS), objectives[0])


def has_costs(trials: Sequence[TrialRecord]) -> bool:
    return any(not math.isnan(t.value(name)) for t in trials for name in TRIAL_COSTS)


def infeasible_lines(report: Report) -> list[str]:
    """The markdown section listing the infeasible trials (none when the space sets no cap)."""
    rows = [t for t in report.trials if t.status == INFEASIBLE]
    if not rows:
        return []
    lines = ["## Infeasible trials (over a per-trial cost cap)", ""]
    lines += ["| trial | languages | cap broken |", "|---|---|---|"]
    lines += [f"| {t.trial_id} | {', '.join(t.languages) or '(none)'} | {t.error} |" for t in rows]
    return [*lines, ""]


def plot_cost_front(report: Report, path: Path, limits: tuple[tuple[str, float], ...] = ()) -> None:
    """The primary score against cost: every finished trial, the front, the infeasible trials, the cap."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    y = score_objective(report.objectives)
    x = cost_axis(report.trials)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    groups = (
        ("trials", report.finished, dict(s=22, color="0.65")),
        ("Pareto front", report.front, dict(s=46, color="tab:red")),
        ("infeasible", [t for t in report.trials if t.status == INFEASIBLE], dict(s=40, color="black", marker="x")),
    )
    for label, trials, style in groups:
        shown = [t for t in trials if not math.isnan(t.value(x)) and not math.isnan(t.value(y.metric))]
        if shown:
            ax.scatter([t.value(x) for t in shown], [t.value(y.metric) for t in shown], label=label, **style)
    for name, limit in limits:
        if name == x:
            ax.axvline(limit, color="tab:orange", ls="--", lw=1, label=f"max_{name} = {limit:g}")
    ax.set_xlabel(f"{x} per trial")
    ax.set_ylabel(f"{y.metric} ({y.mode})")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="best")
    ax.set_title("The front against cost")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
