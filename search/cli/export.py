"""``realign-search export RUN_DIR [--trial ID | --size K] --out DIR``: a trial's realigned encoder as a
Hugging Face model folder (``search.export``)."""

from __future__ import annotations

import argparse

from search.cli.common import command


def register(subparsers: argparse._SubParsersAction) -> None:
    export = command(
        subparsers,
        "export",
        run,
        help="write a trial's realigned encoder + tokenizer as a Hugging Face model folder, with a model card",
        description="Write the encoder of one finished trial (safetensors, no optimizer state), its tokenizer, "
        "its task head and a model card README.md into DIR, loadable with AutoModel.from_pretrained(DIR) and "
        "AutoTokenizer.from_pretrained(DIR). The trial must have kept its model (search.keep_models).",
    )
    export.add_argument("run_dir", metavar="RUN_DIR")
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--trial", metavar="ID", help="the trial id (as in the report)")
    which.add_argument("--size", type=int, metavar="K", help="the Pareto-front member that realigned on K languages")
    export.add_argument("--out", required=True, metavar="DIR", help="new or empty output folder")


def run(args: argparse.Namespace) -> int:
    from search.export import export_trial
    from search.run_files import normalise_run_dir

    args.run_dir = normalise_run_dir(args.run_dir)
    done = export_trial(args.run_dir, args.out, trial_id=args.trial, size=args.size)
    langs = ",".join(done.trial.languages) or "-"
    print(f"exported trial {done.trial.trial_id} ({len(done.trial.languages)} languages: {langs}) -> {done.out}")
    return 0
