"""``realign-search export``: a trial's realigned encoder as a Hugging Face model folder.

What a front member's numbers were measured on is its trial's final checkpoint (``trainables.trial``:
``trial_weights.pt`` holds the encoder and the task head, and for a finished trial no optimizer state).
Export loads the encoder's architecture and tokenizer from the trial's world (exactly what the trial
started from), puts the checkpoint's encoder weights into it (every tensor; only a pooler the trial did not
use may keep its pretrained weights) and writes, loadable with ``AutoModel.from_pretrained(DIR)`` /
``AutoTokenizer.from_pretrained(DIR)``:

* ``model.safetensors`` + ``config.json``: the encoder (after realignment and English fine-tuning, i.e. the
  model whose per-language scores the sweep reports), weights only;
* the tokenizer files;
* ``task_head.safetensors``: the trial's task head (labels in the model card), for zero-shot use as scored;
* ``README.md``: the model card (``search.model_card``).

A multi-seed trial's checkpoint is its last seed's model; the card says so, and its scores are the means.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from search.report import Report, TrialRecord
from spaces.config import SearchConfig
from spaces.errors import ConfigError

ENCODER_PREFIX = "encoder."
HEAD_PREFIX = "head."


@dataclass(frozen=True)
class Exported:
    out: Path
    trial: TrialRecord
    checkpoint: Path


def choose_trial(report: Report, trial_id: str | None, size: int | None) -> TrialRecord:
    """``--trial ID`` (a finished trial) or ``--size K`` (the front member with K languages; the best by
    the first objective if several)."""
    if (trial_id is None) == (size is None):
        raise ConfigError("--trial", "give either --trial ID or --size K", [t.trial_id for t in report.front])
    if trial_id is not None:
        found = [t for t in report.trials if t.trial_id == trial_id]
        if not found:
            raise ConfigError("--trial", f"no trial {trial_id!r} in this sweep", [t.trial_id for t in report.trials])
        if found[0].status != "ok":
            raise ConfigError(
                "--trial",
                f"trial {trial_id} is {found[0].status}, not finished: it has no final model",
                [t.trial_id for t in report.finished],
            )
        return found[0]
    members = [t for t in report.front if int(t.metrics.get("n_languages", len(t.languages))) == size]
    if not members:
        sizes = sorted({int(t.metrics.get("n_languages", len(t.languages))) for t in report.front})
        raise ConfigError("--size", f"no member of the Pareto front realigned on {size} languages", sizes)
    primary = report.objectives[0]
    sign = 1.0 if primary.mode == "max" else -1.0
    return max(members, key=lambda t: sign * t.value(primary.metric))


def final_checkpoint(run_dir: str, trial: TrialRecord, cfg: SearchConfig) -> Path:
    """The trial's last checkpoint folder holding weights, or a refusal that says why there is none."""
    from trainables.trial import STATE_FILE, WEIGHTS_FILE

    folders = sorted(Path(run_dir).glob(f"trial_{trial.trial_id}*/checkpoint_*"))
    with_weights = [f for f in folders if (f / WEIGHTS_FILE).is_file() and (f / STATE_FILE).is_file()]
    if with_weights:
        return with_weights[-1]
    if cfg.experiment.trainable != "realign":
        raise ConfigError(
            "RUN_DIR",
            f"trials of the {cfg.experiment.trainable!r} trainable train no model (they read published results); "
            "nothing to export",
        )
    raise ConfigError(
        "--trial",
        f"trial {trial.trial_id} kept no model: the sweep ran with search.keep_models = "
        f'"{cfg.search.keep_models}", which deletes the weights of '
        + {"front": "trials off the Pareto front", "none": "every trial", "all": "no trial"}[cfg.search.keep_models]
        + ' (set search.keep_models = "all" to keep every finished trial\'s)',
        _kept_trials(run_dir),
    )


def _kept_trials(run_dir: str) -> list[str]:
    from trainables.trial import WEIGHTS_FILE

    return sorted(
        {p.parent.parent.name.removeprefix("trial_") for p in Path(run_dir).glob(f"trial_*/*/{WEIGHTS_FILE}")}
    )


def load_checkpoint(checkpoint: Path) -> tuple[dict, dict]:
    """(the ``TrialConfig`` dict and progress of ``trial_state.json``, the state dicts of ``trial_weights.pt``)."""
    import torch

    from trainables.trial import STATE_FILE, WEIGHTS_FILE

    meta = json.loads((checkpoint / STATE_FILE).read_text(encoding="utf-8"))
    state = torch.load(checkpoint / WEIGHTS_FILE, map_location="cpu", weights_only=True)
    return meta, state


def split_state(model_state: dict) -> tuple[dict, dict]:
    """``TaskModel``'s state dict -> (the encoder's, with its own key names; the head's)."""
    encoder = {k[len(ENCODER_PREFIX) :]: v for k, v in model_state.items() if k.startswith(ENCODER_PREFIX)}
    head = {k[len(HEAD_PREFIX) :]: v for k, v in model_state.items() if k.startswith(HEAD_PREFIX)}
    return encoder, head


def encoder_with(model_path: str, weights: dict):
    """The world's encoder as ``AutoModel`` loads it (with its pooler), holding the trial's ``weights``.

    A tagging trial's encoder had no pooler (``trainables.finetune.load_encoder``); the pretrained pooler
    stays in, untouched by the trial, so that ``AutoModel.from_pretrained`` finds every weight. Any other
    mismatch means the checkpoint is not of this architecture and is refused."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        encoder = AutoModel.from_pretrained(model_path, local_files_only=True)
    finally:
        hf_logging.set_verbosity(verbosity)
    missing, unexpected = encoder.load_state_dict(weights, strict=False)
    if unexpected or any(not key.startswith("pooler.") for key in missing):
        raise ConfigError(
            "--trial",
            f"the checkpoint does not fit {model_path}: "
            f"missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}",
        )
    return encoder


def export_trial(run_dir: str, out: str | Path, *, trial_id: str | None = None, size: int | None = None) -> Exported:
    """Write the chosen trial's encoder, tokenizer, task head and model card into ``out``."""
    from safetensors.torch import save_file

    from search.model_card import model_card
    from search.report import load_report
    from search.run_files import check_run_dir, is_uri, load_saved_config, normalise_run_dir
    from spaces.trial_config import TrialConfig
    from trainables.worlds import get_world

    run_dir = normalise_run_dir(run_dir)
    if is_uri(run_dir):
        raise ConfigError("RUN_DIR", f"{run_dir!r} is remote; copy the run folder locally to export from it")
    check_run_dir(run_dir)
    out = Path(out).expanduser().resolve()
    if out.exists() and any(out.iterdir()):
        raise ConfigError("--out", f"{str(out)!r} is not empty; give a new or empty folder")
    cfg = load_saved_config(run_dir)
    report = load_report(run_dir, cfg)
    trial = choose_trial(report, trial_id, size)
    checkpoint = final_checkpoint(run_dir, trial, cfg)
    meta, state = load_checkpoint(checkpoint)
    config = TrialConfig.from_dict(meta["trial"])
    world = get_world(config.world, model=config.model)
    weights, head = split_state(state["model"])
    encoder = encoder_with(world.model_path(), weights)
    out.mkdir(parents=True, exist_ok=True)
    encoder.save_pretrained(out)
    world.tokenizer().save_pretrained(out)
    if head:
        save_file({k: v.contiguous() for k, v in head.items()}, str(out / "task_head.safetensors"))
    (out / "README.md").write_text(
        model_card(cfg, config, trial, report, run_dir=run_dir, checkpoint=checkpoint), encoding="utf-8"
    )
    return Exported(out, trial, checkpoint)
