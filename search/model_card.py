"""The model card (``README.md``) of an exported trial: what it is, what it was trained on, how it scored.

Hugging Face shows a model folder's ``README.md`` as its card; the YAML front matter holds the fields the
Hub indexes (languages, library, tags). Everything here is read from the run folder: the trial's
``TrialConfig`` (from its checkpoint), its final metrics and the sweep it came from.
"""

from __future__ import annotations

import math
from pathlib import Path

from search.report import Report, TrialRecord
from spaces.config import SearchConfig
from spaces.formats import fmt_number
from spaces.trial_config import TrialConfig

# The paper whose realignment protocol the trials follow (the reference code's README, first commit).
PAPER = (
    "Quang Phuoc Nguyen, David Anugraha, Felix Gaschi, Jun Bin Cheng, En-Shiun Annie Lee. "
    "*Rethinking what Matters: Effective and Robust Multilingual Realignment for Low-Resource Languages.* "
    "IJCNLP-AACL 2025. https://aclanthology.org/2025.ijcnlp-long.102/"
)
METRIC = {"pos": "accuracy", "ner": "entity-span F1", "nli": "accuracy"}  # trainables.evaluate


def _front_matter(trial: TrialConfig) -> list[str]:
    from spaces.catalog import load_catalog

    catalog = load_catalog()
    # the Hub's language field wants ISO codes: English and the realignment languages
    isos = dict.fromkeys(["eng", *(catalog.get(code).iso3 for code in trial.languages)])
    return [
        "---",
        "library_name: transformers",
        "language:",
        *(f"- {iso}" for iso in isos),
        "tags:",
        "- multilingual-realignment",
        "- realign-search",
        "---",
    ]


def _table(rows: list[tuple[str, str]], header: tuple[str, str]) -> list[str]:
    return [f"| {header[0]} | {header[1]} |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)]


def model_card(
    cfg: SearchConfig, trial: TrialConfig, record: TrialRecord, report: Report, *, run_dir: str, checkpoint: Path
) -> str:
    from spaces.catalog import load_catalog
    from trainables.labels import LABELS

    catalog = load_catalog()
    on_front = any(t.trial_id == record.trial_id for t in report.front)
    languages = ", ".join(f"{code} ({catalog.get(code).name})" for code in trial.languages) or "none (baseline)"
    objectives = [(f"{o.metric} ({o.mode})", fmt_number(record.metrics.get(o.metric))) for o in report.objectives]
    scores = [
        (f"{code} ({catalog.get(code).name})", "n/a" if math.isnan(value) else f"{value:.4f}")
        for code, value in sorted(record.scores.items())
    ]
    hparams = [(f"realign.{k}", repr(v)) for k, v in trial.to_dict()["realign"].items()]
    hparams += [(f"finetune.{k}", repr(v)) for k, v in trial.to_dict()["finetune"].items()]
    seeds = list(cfg.experiment.seeds) or [trial.seed]  # a multi-seed trial's checkpoint is one seed's run
    lines = [
        *_front_matter(trial),
        "",
        f"# {cfg.experiment.name}: trial {record.trial_id} ({trial.model}, realigned on {len(trial.languages)} "
        f"language{'' if len(trial.languages) == 1 else 's'})",
        "",
        f"The encoder of trial `{record.trial_id}` of a realign-search sweep: `{trial.model}` realigned "
        f"({trial.realign.mode}) with a contrastive sentence-level objective on English paired with the "
        f"languages below, then fine-tuned on English {trial.task.upper()}; scored zero-shot on each target "
        f"language. {'It is on the sweep' + chr(39) + 's Pareto front.' if on_front else 'It is not on the front.'}",
        "",
        "```python",
        "from transformers import AutoModel, AutoTokenizer",
        'model = AutoModel.from_pretrained("THIS_FOLDER")',
        'tokenizer = AutoTokenizer.from_pretrained("THIS_FOLDER")',
        "```",
        "",
        "`task_head.safetensors` holds the task head the scores below were measured with (a linear layer on "
        f"the encoder's output; labels in order: {', '.join(LABELS[trial.task])}).",
        "",
        "## Realignment languages",
        "",
        languages,
        "",
        "## Objectives",
        "",
        *_table(objectives, ("objective", "value")),
        "",
        f"## Per-language scores (zero-shot, {METRIC[trial.task]})",
        "",
        *(_table(scores, ("language", "score")) if scores else ["(none reported)"]),
        "",
        "## Hyperparameters",
        "",
        *_table(hparams, ("parameter", "value")),
        "",
        "## Provenance",
        "",
        f"- run folder: `{run_dir}`; checkpoint `{checkpoint.relative_to(run_dir)}`",
        f"- world `{trial.world}`, task `{trial.task}`, seed(s) {seeds}"
        + (f" (weights of seed {trial.seed}; scores are the mean over seeds)" if len(seeds) > 1 else ""),
        f"- sweep: {cfg.search.sampler} sampler, objectives {', '.join(map(str, cfg.search.objectives))}, "
        f"{len(report.trials)} trials",
        "",
        "## Citation",
        "",
        "The realignment method and protocol are those of:",
        "",
        PAPER,
        "",
    ]
    return "\n".join(lines)
