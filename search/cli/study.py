"""``realign-search study``: selection studies on the paper's published runs, the paper's claim, and the
proxy's fidelity. All answer from the shipped results in seconds: no GPU, no Ray, no source CSVs."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from search.cli.common import command, print_json
from spaces.errors import ConfigError
from spaces.formats import json_safe


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "study",
        run,
        help="rank the paper's language-selection strategies per subset size (published results)",
        description="Rank the paper's selection strategies per subset size on one metric, with paired t-tests "
        "over seeds against the all-65 run and the baseline; or (--claim) compare the best small "
        "subset with all 65; or (--proxy-cv) report the proxy fidelity's leave-one-strategy-out "
        "error.",
    )
    parser.add_argument(
        "--model", help="bert-base-multilingual-cased | xlm-roberta-base (or mbert | xlmr); default: both"
    )
    parser.add_argument("--task", help="pos | ner | nli; default: every task the metric applies to")
    parser.add_argument("--sizes", default="5,10,20,40", help="comma-separated subset sizes (default 5,10,20,40)")
    parser.add_argument(
        "--metric",
        default="unseen_lrl",
        help="a target group fixed for every subset (unseen_lrl, seen_lrl, lrl, hrl, all, heldout; "
        "see spaces/targets.py) or a benchmark mean (masakhaner, masakhapos, afrixnli, "
        "americasnli, xnli, wikiann, udpos, indonli, myxnli)",
    )
    parser.add_argument("--ablations", action="store_true", help="also rank the paper's abla_* runs (size 10)")
    parser.add_argument(
        "--claim",
        action="store_true",
        help="the paper's claim: per model and task, its best subset of at most --max-size "
        "languages against all 65, paired t-test over seeds",
    )
    parser.add_argument("--max-size", type=int, default=20, help="largest subset --claim considers (default 20)")
    parser.add_argument("--out", help="directory for study.md, study.json and study.png")
    parser.add_argument("--json", action="store_true", help="print JSON records instead of markdown")
    parser.add_argument(
        "--proxy-cv",
        action="store_true",
        help="print the proxy's leave-one-strategy-out MAE and Spearman table instead",
    )


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError("--sizes", f"{text!r} is not a comma-separated list of integers, e.g. 5,10,20,40") from None
    if not sizes or min(sizes) <= 0:
        raise ConfigError("--sizes", "give positive subset sizes, e.g. 5,10,20,40")
    return sizes


def run(args: argparse.Namespace) -> int:
    if args.proxy_cv:
        from trainables.proxy import cross_validate_all, cv_markdown

        results = cross_validate_all(model=args.model, task=args.task)
        if args.json:
            print_json([r.to_dict() for r in results])
        else:
            print(cv_markdown(results))
        return 0

    if args.claim:
        from trainables.published.study import claim_markdown, run_claim

        rows = run_claim(
            model=args.model, task=args.task, metric=args.metric, max_size=args.max_size, ablations=args.ablations
        )
        if args.json:
            print_json([asdict(r) for r in rows])
        else:
            print(claim_markdown(rows))
        return 0

    from trainables.published.study import plot, run_study, to_markdown, to_records

    tables = run_study(
        model=args.model, task=args.task, metric=args.metric, sizes=_sizes(args.sizes), ablations=args.ablations
    )
    markdown = to_markdown(tables)
    records = json_safe(to_records(tables))
    if args.out is not None:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "study.md").write_text(markdown, encoding="utf-8")
        (out / "study.json").write_text(json.dumps(records, indent=2), encoding="utf-8")
        png = plot(tables, out / "study.png")
        print(f"wrote {out / 'study.md'}, {out / 'study.json'}, {png}", file=sys.stderr)
    print(json.dumps(records, indent=2) if args.json else markdown)
    return 0
