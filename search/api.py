"""A sweep from Python (a notebook): ``sweep(space, ...) -> SweepResult``.

```python
from search.api import sweep

result = sweep("my_space.toml", overrides={"search.num_samples": 8, "realign.lr": 1e-4})
result.front      # pandas DataFrame: the Pareto front, one row per member
result.trials     # pandas DataFrame: every trial (status, objectives, languages, parameters, score/<code>)
result.files.markdown, result.run_dir
```

It is ``realign-search run`` without the shell: the same validation before anything starts (a
``ConfigError`` naming the field), the same run folder (``resume``, ``report``, ``export`` work on it, and
its ``console.log``), the same report. ``space`` is a TOML path, a dict shaped like the TOML document, or
None for the embedded default; ``overrides`` maps dotted keys to values, as ``run --set`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spaces.config import SearchConfig

if TYPE_CHECKING:
    import pandas as pd

    from search.report import Report, ReportFiles


@dataclass
class SweepResult:
    """What a sweep found: the analysed ``report``, its files, and the run folder; DataFrames on demand."""

    run_dir: str
    config: SearchConfig
    report: Report
    files: ReportFiles
    results: Any = None  # the engine's own results (Ray's ResultGrid)

    @property
    def trials(self) -> pd.DataFrame:
        """One row per trial, in the order they were created."""
        return trials_frame(self.report)

    @property
    def front(self) -> pd.DataFrame:
        """The Pareto front's rows of ``trials``, smallest subset first."""
        frame = self.trials
        if frame.empty:
            return frame
        return frame.set_index("trial_id").loc[[t.trial_id for t in self.report.front]].reset_index()


def trials_frame(report: Report) -> pd.DataFrame:
    import pandas as pd

    front = {t.trial_id for t in report.front}
    rows = []
    for t in report.trials:
        rows.append(
            {
                "trial_id": t.trial_id,
                "status": t.status,
                "on_front": t.trial_id in front,
                **{o.metric: t.metrics.get(o.metric) for o in report.objectives},
                "n_languages": t.metrics.get("n_languages", len(t.languages)),
                "languages": list(t.languages),
                "warm_start": t.heuristic,
                "time_s": t.time_s,
                "error": t.error,
                **dict(t.params),
                **{f"score/{code}": value for code, value in sorted(t.scores.items())},
            }
        )
    return pd.DataFrame(rows)


def load_space(space: str | Path | Mapping[str, Any] | None, overrides: Mapping[str, Any] | None) -> SearchConfig:
    """A validated config from a TOML path, a TOML-shaped dict or None (the default), with ``overrides``."""
    import tomllib

    from spaces.config import default_toml, load_search_config, parse_search_config
    from spaces.config.overrides import with_values

    values = [(key.split("."), value) for key, value in (overrides or {}).items()]
    if isinstance(space, Mapping):
        return parse_search_config(with_values(space, values), source="<dict>")
    if not values:
        return load_search_config(space)
    if space is None:
        data, source = tomllib.loads(default_toml()), "spaces/data/default.toml (embedded)"
    else:
        cfg = load_search_config(space)  # its own refusals first (a missing file, malformed TOML)
        data, source = tomllib.loads(Path(space).read_text("utf-8")), cfg.source
    return parse_search_config(with_values(data, values), source=source)


def sweep(
    space: str | Path | Mapping[str, Any] | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    storage_path: str | None = None,
    name: str | None = None,
    address: str | None = None,
    trainable: Callable[[dict], Any] | None = None,
    num_cpus: int | None = None,
    progress: bool = True,
) -> SweepResult:
    """Run a sweep and return what it found (see the module docstring). ``storage_path`` / ``name`` /
    ``address`` as ``run``'s flags; ``trainable`` replaces the configured one (tests, experiments)."""
    from search.console_log import console_log
    from search.driver import plan_run, run_sweep
    from search.report import report_run

    if storage_path is not None:  # recorded in the saved config, as `run --storage-path` does
        overrides = {**(overrides or {}), "search.storage_path": storage_path}
    cfg = load_space(space, overrides)
    target = plan_run(cfg, name=name, address=address, trainable=trainable)
    with console_log(target.run_dir, command="api.sweep"):
        results = run_sweep(
            cfg,
            target,
            overrides={"api": dict(overrides or {})},
            trainable=trainable,
            num_cpus=num_cpus,
            verbose=1 if progress else 0,
            progress=progress,
        )
        report, files = report_run(target.run_dir, cfg=cfg)
    return SweepResult(target.run_dir, cfg, report, files, results)
