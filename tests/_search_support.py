"""A minimal search space and a closed-form trainable, shared by the search tests (no tests here).

The tests run the real driver (Ray Tune + Optuna, the real ``spaces.config`` space, resume, reports) with
a trainable whose score is a fixed function of the subset, so any front can be checked by hand and a
sweep costs seconds. It lives in an importable module because Ray workers and driver subprocesses import it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

# Cyrillic-script realignment languages: a 4-language pool, 16 subsets under the mask encoding.
POOL = ("bg", "ru", "uk", "kaz_Cyrl")
GAIN = {"bg": 0.30, "ru": 0.20, "uk": 0.04, "kaz_Cyrl": 0.12}
COST_PER_LANGUAGE = 0.05
TARGETS = ("sw", "yo")  # reported per-language scores (the heatmap rows)

MINIMAL_TOML = """
[experiment]
name = "mini"
trainable = "realign"  # the tests inject a closed-form trainable instead
world = "tiny"

[subset]
encoding = "mask"
pool = "script=Cyrl"
strategies = ["most_uriel_en"]
min_languages = 1
max_languages = 4

[realign]
steps = 10
lr = { low = 1e-4, high = 1e-3, log = true }

[search]
sampler = "tpe"
num_samples = 3
max_concurrent = 2
warm_start = true
warm_start_sizes = [1]
max_failures = 0
seed = 0
reeval_seeds = 0  # tests that re-evaluate say so (tests/search/test_reeval.py)
"""


def write_config(directory: Path, **search: Any) -> Path:
    """The minimal TOML with ``[search]`` keys replaced (e.g. ``num_samples=6``)."""
    text = MINIMAL_TOML
    for key, value in search.items():
        lines = [ln for ln in text.splitlines() if not ln.startswith(f"{key} =")]
        at = lines.index("[search]") + 1
        lines.insert(at, f"{key} = {json.dumps(value)}")
        text = "\n".join(lines) + "\n"
    path = directory / "mini.toml"
    path.write_text(text, encoding="utf-8")
    return path


def subset_score(languages: list[str]) -> float:
    return round(sum(GAIN[c] for c in languages) - COST_PER_LANGUAGE * len(languages), 6)


def fake_trainable(
    trial: dict[str, Any],
    *,
    sleep_s: float = 0.0,
    fail_lang: str | None = None,
    log: str | None = None,
    checkpoint_bytes: int = 0,
    disk_full: str | None = None,
) -> None:
    """Reports an intermediate, then the final closed-form score (bind options with functools.partial).

    ``fail_lang``: raise when that language is in the subset; ``log``: append ``start``/``end`` lines
    with the trial id, so tests can tell which trials ran, and when. ``checkpoint_bytes``: each report
    carries a checkpoint holding that many bytes, and a restarted trial continues after the report its
    checkpoint records (logged as ``resumed_from``; found as ``trainables.checkpoints`` finds it).
    ``disk_full``: while that file exists, once two trials have ended, a trial's second report fails
    the way Ray's checkpoint copy fails on a full disk.
    """
    import errno
    import os
    import tempfile

    from ray import tune

    languages = list(trial["languages"])
    trial_id = tune.get_context().get_trial_id()

    def note(event: str, **extra: Any) -> None:
        if log:
            with open(log, "a", encoding="utf-8") as out:
                out.write(
                    json.dumps(
                        {"event": event, "trial": trial_id, "languages": languages, "time": time.time(), **extra}
                    )
                    + "\n"
                )

    from trainables.checkpoints import checkpoint_candidates

    done = 0
    for candidate in checkpoint_candidates(tune.get_checkpoint()):  # as the realign trainable resumes
        try:
            with candidate.as_directory() as directory:
                done = json.loads(Path(directory, "state.json").read_text())["reports"]
            break
        except (OSError, ValueError, KeyError):
            continue
    note("start", resumed_from=done)
    if fail_lang in languages:
        raise RuntimeError(f"NaN loss while realigning on {fail_lang}")
    score = subset_score(languages)
    scores = {f"score/{c}": round(score + i / 10, 6) for i, c in enumerate(TARGETS)}
    base = {"n_languages": len(languages), "n_pairs": 100 * len(languages), **scores}
    for index, (phase, value) in enumerate((("realigned", score / 2), ("final", score))):
        if index < min(done, 1):  # resumed after its final report: that one goes out again
            continue
        if (
            index == 1
            and disk_full
            and os.path.exists(disk_full)
            and sum(e["event"] == "end" for e in read_log(Path(log))) >= 2
        ):
            raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")
        if not checkpoint_bytes:
            tune.report({**base, "unseen_lrl": value, "phase": phase})
        else:
            with tempfile.TemporaryDirectory() as scratch:
                Path(scratch, "state.json").write_text(json.dumps({"reports": index + 1}))
                Path(scratch, "weights.bin").write_bytes(b"w" * checkpoint_bytes)
                tune.report(
                    {**base, "unseen_lrl": value, "phase": phase}, checkpoint=tune.Checkpoint.from_directory(scratch)
                )
        if index == 0:
            time.sleep(sleep_s)
    note("end")


WALL_S_PER_LANGUAGE = 10.0  # epoch_trainable's reported wall seconds per realignment language


def epoch_trainable(trial: dict[str, Any], *, epochs: int = 3) -> None:
    """Reports after each of ``epochs`` fine-tuning epochs (``phase`` "epoch", then "final" on the last),
    each time the subset's closed-form score, as a trained trial reports for ASHA's rungs; its cost is
    ``WALL_S_PER_LANGUAGE`` wall seconds per language on no GPU, so a ``max_wall_s`` cap has a known effect."""
    from ray import tune

    from trainables.cost import cost_metrics

    languages = list(trial["languages"])
    score = subset_score(languages)
    cost = cost_metrics(WALL_S_PER_LANGUAGE * len(languages), 0.0)
    base = {"n_languages": len(languages), "n_pairs": 100 * len(languages), "unseen_lrl": score, **cost}
    for epoch in range(1, epochs + 1):
        tune.report({**base, "epoch": epoch, "phase": "final" if epoch == epochs else "epoch"})


def base_model_state(path: Path) -> Path:
    """The tiny world's untrained ``TaskModel`` (POS) state dict, saved once to ``path`` for ``model_trainable``."""
    import torch

    from trainables.finetune import TaskModel, load_encoder
    from trainables.worlds import get_world

    model = TaskModel(load_encoder(get_world("tiny", model="tiny").model_path(), "pos"), "pos")
    torch.save(model.state_dict(), path)
    return path


def model_trainable(trial: dict[str, Any], *, base: str) -> None:
    """A trial that "trains" the tiny POS model in closed form: every weight of ``base`` (``base_model_state``)
    plus the subset's score, saved as the realign trainable's final checkpoint (``trial_state.json`` +
    ``trial_weights.pt``, no optimizer state), with the closed-form score of the fake trainable."""
    import tempfile

    import torch
    from ray import tune

    from trainables.trial import STATE_FILE, WEIGHTS_FILE

    languages = list(trial["languages"])
    score = subset_score(languages)
    model = {key: value + score if value.is_floating_point() else value for key, value in torch.load(base).items()}
    metrics = {
        "n_languages": len(languages),
        "n_pairs": 100 * len(languages),
        "unseen_lrl": score,
        "phase": "final",
        **{f"score/{c}": round(score + i / 10, 6) for i, c in enumerate(TARGETS)},
    }
    with tempfile.TemporaryDirectory() as scratch:
        state = {"model": model, "projection": None, "optimizer": None, "schedule": None}
        torch.save(state, Path(scratch, WEIGHTS_FILE))
        Path(scratch, STATE_FILE).write_text(json.dumps({"trial": trial, "progress": {"phase": "final"}}))
        tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(scratch))


def seed_noise(languages: list[str], seed: int) -> float:
    """A seed's deterministic luck: +0.3 or -0.3 by the parity of seed + size (so means are hand-computable)."""
    return 0.3 if (seed + len(languages)) % 2 == 0 else -0.3


def noisy_trainable(trial: dict[str, Any], *, log: str | None = None) -> None:
    """The closed-form score plus ``seed_noise`` per seed; several seeds are combined as a multi-seed trial
    is (``trainables.multiseed.combine``). Logs ``start`` lines with the seeds it runs."""
    from ray import tune

    from spaces.trial_config import TrialConfig
    from trainables.multiseed import combine

    config = TrialConfig.from_dict(trial)
    languages = list(config.languages)
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps({"event": "start", "languages": languages, "seeds": list(config.seed_list)}) + "\n")
    per_seed = {}
    for seed in config.seed_list:
        score = round(subset_score(languages) + seed_noise(languages, seed), 6)
        per_seed[seed] = {
            "unseen_lrl": score,
            "score/sw": score,
            "n_languages": len(languages),
            "n_pairs": 100 * len(languages),
            "phase": "final",
            "epoch": 1,
        }
    tune.report(combine(config, per_seed) if len(per_seed) > 1 else per_seed[config.seed])


def read_log(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def _ship_by_value() -> None:
    """Ray workers do not see pytest's sys.path entry for tests/: pickle this module's functions by value."""
    import sys

    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])


_ship_by_value()
