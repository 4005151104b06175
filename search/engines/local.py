"""The in-process engine: the sweep's Optuna study asks, the trainable's ``result(config)`` answers, in a
plain loop.

Why: the replay and the proxy answer in about a millisecond, and through Ray each trial costs a worker
round trip, a trial folder and a saved experiment state: seconds. Here a trial costs the sampler's ask,
the trainable and one appended line. Ray stays the engine for anything that trains (``search.engine =
"auto"``).

It runs the same searcher as the Ray engine: the same ``SearchSpace`` define-by-run function, the same
sampler (``search.samplers``), the same warm starts first, the same reuse of evaluated configurations
(``search.reuse``). The run folder holds the same run files (``search_config.json`` ...) and, instead of
Ray's state, ``trials.jsonl``: one line per asked Optuna trial, written when it ends (``ok``, ``failed``,
or ``reused`` with ``reused_from``), with its parameters and their distributions, so resume rebuilds the
study from it (``optuna.trial.create_trial``) and goes on; a line cut short by a crash is ignored and
that trial runs again. ``report`` reads the file as it reads Ray's trial table.

``trainable``, where a caller passes one (tests, benchmarks), is a ``result(config) -> metrics`` function
here, the counterpart of the units' ``result``; by default the unit of ``experiment.trainable``.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from search.costs import cost_limits
from search.plan import RunTarget
from search.reuse import MAX_REPEATS, REUSED_FROM, ConfigLedger, config_key, objective_values, resolved_key
from spaces.config import SearchConfig, SearchSpace
from spaces.formats import json_safe

TRIALS_FILE = "trials.jsonl"
LINE_PER_TRIAL_UP_TO = 200  # a longer sweep prints every 100th trial: a line per millisecond trial is noise


@dataclass
class LocalResult:
    """One trial as ``run``/``resume`` return it (``error`` None when it finished), like Ray's ``Result``."""

    trial_id: str
    config: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def run(
    cfg: SearchConfig,
    target: RunTarget,
    space: SearchSpace,
    *,
    save: Callable[[], None],
    trainable: Callable[[dict], Any] | None = None,
    num_cpus: int | None = None,
    verbose: int = 1,
    progress: bool = True,
) -> list[LocalResult]:
    """Create the run folder, ``save()`` the run files, run every trial in this process."""
    Path(target.run_dir).mkdir(parents=True, exist_ok=True)  # plan_run refused a URI and a used folder
    save()
    return sweep(cfg, target.run_dir, space, study_name=target.name, result_fn=trainable, progress=progress)


def resume(
    run_dir: str,
    cfg: SearchConfig,
    space: SearchSpace,
    *,
    address: str | None = None,
    restart_errored: bool = False,
    trainable: Callable[[dict], Any] | None = None,
    num_cpus: int | None = None,
    num_samples: int | None = None,
) -> list[LocalResult]:
    """Rebuild the study from ``trials.jsonl`` and run the trials still missing (``restart_errored``: the
    failed ones too, from scratch). ``num_samples`` (an extended sweep) is already ``cfg``'s total."""
    study_name = Path(run_dir).name
    return sweep(cfg, run_dir, space, study_name=study_name, result_fn=trainable, restart_errored=restart_errored)


# ------------------------------------------------------------------------------------------ the loop
def sweep(
    cfg: SearchConfig,
    run_dir: str,
    space: SearchSpace,
    *,
    study_name: str,
    result_fn: Callable[[dict], dict] | None = None,
    restart_errored: bool = False,
    progress: bool = False,
) -> list[LocalResult]:
    """Ask, evaluate, tell and record until ``search.num_samples`` trials ran (reused proposals aside)."""
    import optuna

    from search.samplers import make_sampler

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if result_fn is None:
        from trainables.registry import get_unit

        result_fn = get_unit(cfg.experiment.trainable).result
    s = cfg.search
    limits = cost_limits(cfg)
    metrics = s.metrics
    study = optuna.create_study(
        directions=_directions(cfg), sampler=make_sampler(cfg), study_name=study_name, storage=_storage(cfg, study_name)
    )
    records = read_records(run_dir)
    drop_torn_tail(run_dir)
    ledger = ConfigLedger()
    latest: dict[str, LocalResult] = {}
    retry: list[str] = []  # trial ids of failed trials to run again (restart_errored), in order
    for record in records:
        _replay(study, record, metrics)
        if record["status"] == "reused":
            continue
        if record["status"] == "failed" and restart_errored:
            study.enqueue_trial(record["params"], skip_if_exists=False)
            retry.append(record["trial_id"])
        ledger.start(record["trial_id"], config_key(space, record["config"]))
        ledger.finish(record["trial_id"], _told(record, metrics))
        latest[record["trial_id"]] = _as_result(record)
    for trial_id in retry:
        latest.pop(trial_id)
    points = space.warm_start_points() if s.warm_start else []
    for point in points[len(records) :]:  # every asked trial left a line, the warm starts first
        study.enqueue_trial(point, skip_if_exists=False)
    started, repeats = time.monotonic(), 0
    with open(Path(run_dir, TRIALS_FILE), "a", encoding="utf-8") as out:
        while len(latest) < s.num_samples or retry:
            if s.time_budget_s and time.monotonic() - started > s.time_budget_s:
                break
            ot_trial = study.ask()
            constants = space(ot_trial)
            flat = {**ot_trial.params, **constants}
            resolved, problem = _resolve(space, flat)
            key = resolved_key(resolved) if resolved is not None else None
            record = {
                "number": ot_trial.number,
                "params": ot_trial.params,
                "distributions": {
                    k: optuna.distributions.distribution_to_json(d) for k, d in ot_trial.distributions.items()
                },
                "config": flat,
            }
            if not retry and key in ledger.values and repeats < MAX_REPEATS:
                repeats += 1
                ledger.reused += 1
                values = ledger.values[key]
                ot_trial.set_user_attr(REUSED_FROM, ledger.owner[key])
                study.tell(ot_trial, values if len(metrics) > 1 else values[0])
                record |= {"trial_id": f"reused_{ot_trial.number:05d}", "status": "reused", "metrics": {}}
                _append(out, {**record, "reused_from": ledger.owner[key], "values": values})
                continue
            repeats = 0
            trial_id = retry.pop(0) if retry else f"local_{ot_trial.number:05d}"
            ledger.start(trial_id, key)
            record |= {"trial_id": trial_id, **_evaluate(result_fn, resolved, problem)}
            values = _told(record, metrics)
            _annotate(ot_trial, record, space, limits)
            if values is None:
                study.tell(ot_trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(ot_trial, values if len(metrics) > 1 else values[0])
            ledger.finish(trial_id, values)
            _append(out, record)
            latest[trial_id] = _as_result(record)
            if progress and (s.num_samples <= LINE_PER_TRIAL_UP_TO or len(latest) % 100 == 0):
                print(_progress_line(record, len(latest), s.num_samples, cfg, space), flush=True)
    return list(latest.values())


def _annotate(ot_trial: Any, record: dict[str, Any], space: SearchSpace, limits: tuple) -> None:
    """What the Ray engine's searcher records before it tells a trial: languages, scores, costs, caps."""
    from search.engines.outcomes import record_costs
    from search.engines.study_attributes import trial_attributes

    result = {**record["metrics"], "config": record["config"]}
    for key, value in trial_attributes(result, space).items():
        ot_trial.set_user_attr(key, value)
    record_costs(ot_trial, record["metrics"], limits)


def _progress_line(record: dict[str, Any], done: int, total: int, cfg: SearchConfig, space: SearchSpace) -> str:
    """The Ray engine's per-trial line (``search.progress``), or its FAILED line with the reason."""
    from search.progress import languages_text, took, trial_line

    count = f"[{done:>3}/{total}]"
    if record["status"] != "ok":
        return f"{count} trial {record['trial_id']} FAILED {record['error']}"
    metrics = record["metrics"]
    line = trial_line(count, record["trial_id"], metrics, cfg.search.objectives)
    return f"{line} {languages_text(space, record['config'])}{took(metrics)}"


def _told(record: dict[str, Any], metrics: list[str]) -> list[float] | None:
    """What the study was told for ``record``: its objective values, None for a failure."""
    if record["status"] == "reused":
        return record.get("values")
    return objective_values(record["metrics"], metrics) if record["status"] == "ok" else None


def _storage(cfg: SearchConfig, study_name: str) -> Any:
    """``search.optuna_storage`` (None: in memory), its old copy of this study dropped: ``trials.jsonl``
    is the record, and the study is rebuilt from it on every start."""
    if not cfg.search.optuna_storage:
        return None
    import optuna

    storage = optuna.storages.RDBStorage(cfg.search.optuna_storage)
    with contextlib.suppress(KeyError):  # not there yet
        optuna.delete_study(study_name=study_name, storage=storage)
    return storage


def _directions(cfg: SearchConfig) -> list[str]:
    return ["maximize" if o.mode == "max" else "minimize" for o in cfg.search.objectives]


def _resolve(space: SearchSpace, flat: dict[str, Any]) -> tuple[dict[str, Any] | None, Exception | None]:
    """The trial's ``TrialConfig`` dict, or why the sampled point has none (then the trial fails with it)."""
    try:
        return space.resolve(flat), None
    except Exception as err:  # noqa: BLE001 - a broken constraint fails this trial, as under Ray
        return None, err


def _evaluate(
    result_fn: Callable[[dict], dict], resolved: dict[str, Any] | None, problem: Exception | None
) -> dict[str, Any]:
    """The trial's status, metrics, error and time; any exception is the trial's error, as under Ray."""
    start = time.perf_counter()
    try:
        if problem is not None:
            raise problem
        metrics = dict(result_fn(resolved))
    except Exception as err:  # noqa: BLE001 - one trial's failure must not stop the sweep
        elapsed = time.perf_counter() - start
        return {"status": "failed", "metrics": {}, "error": f"{type(err).__name__}: {err}", "time_s": elapsed}
    elapsed = time.perf_counter() - start
    return {"status": "ok", "metrics": {**metrics, "time_total_s": elapsed}, "error": None, "time_s": elapsed}


def _replay(study: Any, record: dict[str, Any], metrics: list[str]) -> None:
    """Tell a fresh study what ``record`` told the original one."""
    import optuna

    values = _told(record, metrics)
    distributions = {k: optuna.distributions.json_to_distribution(d) for k, d in record["distributions"].items()}
    state = optuna.trial.TrialState.COMPLETE if values is not None else optuna.trial.TrialState.FAIL
    study.add_trial(
        optuna.trial.create_trial(
            params=record["params"],
            distributions=distributions,
            values=values,
            state=state,
        )
    )


def _as_result(record: dict[str, Any]) -> LocalResult:
    return LocalResult(record["trial_id"], dict(record["config"]), dict(record["metrics"]), record.get("error"))


def _append(out: Any, record: dict[str, Any]) -> None:
    out.write(json.dumps(json_safe(record), separators=(",", ":")) + "\n")
    out.flush()


# ------------------------------------------------------------------------------------------ the file
def read_records(run_dir: str) -> list[dict[str, Any]]:
    """The complete lines of ``trials.jsonl``, in order (a line a crash cut short is left out)."""
    path = Path(run_dir, TRIALS_FILE)
    if not path.is_file():
        return []
    return list(_complete_lines(path.read_text(encoding="utf-8")))


def _complete_lines(text: str) -> Iterator[dict[str, Any]]:
    for line in text.splitlines(keepends=True):
        if not line.endswith("\n"):
            return
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            return


def drop_torn_tail(run_dir: str) -> None:
    """Cut a last line a crash left unfinished, so the next line starts on its own."""
    path = Path(run_dir, TRIALS_FILE)
    if not path.is_file():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as out:
            out.truncate(data.rfind(b"\n") + 1)


def is_local_run(run_dir: str) -> bool:
    return Path(run_dir, TRIALS_FILE).is_file()
