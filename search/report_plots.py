"""The report's figures: ``front.png`` (the objectives, warm starts and the all-pool run marked, ±1 sd
error bars where trials ran several seeds) and ``heatmap.png`` (target languages x front members).

Kept apart from ``search.report`` so that matplotlib (the optional ``plots`` extra) is only imported when a
figure is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from search.report import Report, TrialRecord
from spaces.formats import fmt_number


def plot_front(report: Report, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    y_obj = report.objectives[0]
    x_metric = report.objectives[1].metric if len(report.objectives) > 1 else "n_languages"
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    done = [t for t in report.finished if not math.isnan(t.value(y_obj.metric))]
    ax.scatter(
        [t.value(x_metric) for t in done],
        [t.value(y_obj.metric) for t in done],
        s=22,
        color="0.65",
        label="trials",
        zorder=2,
    )
    front = sorted((t for t in report.front), key=lambda t: t.value(x_metric))
    if front:
        ax.step(
            [t.value(x_metric) for t in front],
            [t.value(y_obj.metric) for t in front],
            where="post",
            color="tab:red",
            lw=1.2,
            zorder=3,
        )
        ax.scatter(
            [t.value(x_metric) for t in front],
            [t.value(y_obj.metric) for t in front],
            s=46,
            color="tab:red",
            label="Pareto front",
            zorder=4,
        )
    _error_bars(ax, done, x_metric, y_obj.metric)
    heur = [t for t in done if t.heuristic and not t.all_pool]
    if heur:
        ax.scatter(
            [t.value(x_metric) for t in heur],
            [t.value(y_obj.metric) for t in heur],
            s=70,
            facecolors="none",
            edgecolors="tab:blue",
            marker="D",
            label="warm starts",
            zorder=5,
        )
        for t in heur:
            ax.annotate(
                t.heuristic,
                (t.value(x_metric), t.value(y_obj.metric)),
                fontsize=6,
                xytext=(4, -9),
                textcoords="offset points",
                color="tab:blue",
            )
    pool = [t for t in done if t.all_pool]
    if pool:
        ax.scatter(
            [t.value(x_metric) for t in pool],
            [t.value(y_obj.metric) for t in pool],
            s=140,
            marker="*",
            color="tab:green",
            label="all-pool run",
            zorder=6,
        )
    if x_metric in ("n_languages", "n_pairs"):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(x_metric)
    ax.set_ylabel(f"{y_obj.metric} ({y_obj.mode})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    ax.set_title("Score vs number of realignment languages")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def _error_bars(ax: Any, trials: Sequence[TrialRecord], x_metric: str, y_metric: str) -> None:
    """± one seed sd on every point that ran several seeds: the front is ranked on these means."""
    spread = [t for t in trials if not math.isnan(t.value(f"{y_metric}_sd"))]
    if spread:
        ax.errorbar(
            [t.value(x_metric) for t in spread],
            [t.value(y_metric) for t in spread],
            yerr=[t.value(f"{y_metric}_sd") for t in spread],
            fmt="none",
            ecolor="0.3",
            elinewidth=0.8,
            capsize=2.5,
            label="± seed sd",
            zorder=3,
        )


def plot_heatmap(report: Report, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    members = report.front
    targets = sorted({code for t in members for code in t.scores})
    fig_w = max(5.0, 2.0 + 0.6 * len(members))
    fig_h = max(3.0, 1.0 + 0.22 * len(targets))
    fig, ax = plt.subplots(figsize=(fig_w, fig_h), dpi=110)
    if members and targets:
        grid = np.array([[t.scores.get(code, np.nan) for t in members] for code in targets], dtype=float)
        image = ax.imshow(grid, aspect="auto", cmap="viridis")
        fig.colorbar(image, ax=ax, label="score")
        # A dot where the target was itself realigned on (in the subset): its score is not a transfer result.
        inside = [(j, i) for i, code in enumerate(targets) for j, t in enumerate(members) if code in t.languages]
        if inside:
            ax.scatter(*zip(*inside, strict=True), s=6, color="white", edgecolors="black", linewidths=0.3)
        ax.set_yticks(range(len(targets)), targets, fontsize=7)
        ax.set_xticks(
            range(len(members)),
            [f"k={fmt_number(t.metrics.get('n_languages', len(t.languages)))}\n{t.trial_id[-5:]}" for t in members],
            fontsize=7,
        )
    else:
        ax.text(0.5, 0.5, "no per-language scores on the front", ha="center", va="center")
        ax.set_axis_off()
    ax.set_title("Per-language scores of the Pareto front\n(dot: target was realigned on)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
