"""Regenerate ``results.json.gz`` (the shipped, compact copy of the paper's results) from the source CSVs.

Why a build step: the paper's folder holds ~12 MB of CSVs with step counts, losses and intermediate
evaluations; the product only needs, per run, who ran it (strategy folder, model, method, task, seed),
on which languages, and the final per-language scores. Users do not have the source folder, so the
compact file is what ships; this script documents (and re-does) every decision made while shrinking it:

- tasks: ``xnli`` -> nli, ``wikiann`` -> ner, ``xtreme_r.udpos`` -> pos. ``xquad`` has no
  ``final_eval_*`` columns (only intermediate ``eval_*``) and ``xtreme_r.udpos_old`` is superseded, so
  both are skipped, as are empty files and the ``mix_opus100_nllb200`` variant (an empty file).
- scores: only ``final_eval_<lang>_<metric>`` with the task's metric (accuracy for nli/pos, f1 for ner).
  ``avg``/``same`` columns are the paper's aggregates, not languages: dropped (the product recomputes
  aggregates with ``trainables.metrics.aggregate``).
- languages are keyed per (benchmark, canonical catalog code), e.g. ``xnli/swh_Latn`` and
  ``afrixnli/swh_Latn``: several benchmarks score the same language in one task (XNLI ``sw`` vs
  AfriXNLI ``swa``, WikiANN ``yo`` vs MasakhaNER ``yor``, UD ``wo`` vs MasakhaPOS ``wol``) and must
  not be merged silently.
- runs whose folder name promises a size the run did not have (``least_uriel_20``, ``least_uriel_40``
  and ``most_uriel_20`` hold runs on all 65 languages) are dropped: they are neither the strategy they
  are filed under nor the paper's all-65 run (their scores differ from ``xt_afri``).
- the baseline's ``realignment_langs`` column lists evaluation languages, not realignment ones (it does
  not realign): stored as an empty subset.
- ``benchmark_order`` (the precedence that picks ``score/<code>`` when two benchmarks of a task score
  one language): the African benchmark first — MasakhaNER 2.0 over WikiANN, MasakhaPOS over UD,
  AfriXNLI over XNLI — because the paper's tables report those languages on the African sets.

It also writes ``spaces/data/paper_subsets.json``: the realignment list of every strategy folder and
size the paper ran (one list per paper seed for the ``random_langs_with_seed_*`` / ``abla_random_*``
folders, which drew a list per seed), the (model, task) pairs that ran it, and the mislabelled folders.
``spaces.paper`` reads it, so ``realign-search select --strategy paper:<name>`` and the search's warm
starts use the paper's exact lists without ``spaces`` importing ``trainables``.

Run: ``python -m trainables.published.build [--source ../shared/published]``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
from pathlib import Path

from spaces.catalog import load_catalog
from spaces.vocab import short_model
from trainables.published.data import METHODS

DATA_FILE = Path(__file__).with_name("results.json.gz")
DEFAULT_SOURCE = Path(__file__).resolve().parents[3] / "shared" / "published"

PAPER_TASKS = {"xnli": "nli", "wikiann": "ner", "xtreme_r.udpos": "pos"}  # the paper's dataset -> our task
TASK_METRIC = {"nli": "accuracy", "ner": "f1", "pos": "accuracy"}
PARALLEL_DATA = "mix_opus100_nllb"
AGGREGATE_COLUMNS = ("avg", "same")

# Which benchmark a score column belongs to, per task, by the column's code.
NLI_BENCHMARKS = {
    "xnli": ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh"),
    "indonli": ("ind",),
    "myxnli": ("mya",),
    "americasnli": ("aym", "bzd", "cni", "gn", "hch", "nah", "oto", "quy", "shp", "tar"),
    "afrixnli": (
        "amh",
        "eng",
        "ewe",
        "fra",
        "hau",
        "ibo",
        "kin",
        "lin",
        "lug",
        "orm",
        "sna",
        "sot",
        "swa",
        "twi",
        "wol",
        "xho",
        "yor",
        "zul",
    ),
}
# NER and PoS: XTREME-R's WikiANN / UD use 2-letter codes, MasakhaNER 2.0 / MasakhaPOS 3-letter ones.
TWO_BENCHMARKS = {"ner": ("wikiann", "masakhaner"), "pos": ("udpos", "masakhapos")}
# Precedence: the first benchmark that scores a language gives its ``score/<code>``. The African sets come
# first (the paper's tables report MasakhaNER 2.0, MasakhaPOS and AfriXNLI for their languages).
BENCHMARK_ORDER = {
    "nli": ("afrixnli", "xnli", "indonli", "myxnli", "americasnli"),
    "ner": ("masakhaner", "wikiann"),
    "pos": ("masakhapos", "udpos"),
}
PAPER_SUBSETS_FILE = Path(__file__).resolve().parents[2] / "spaces" / "data" / "paper_subsets.json"


def benchmark_of(task: str, column_code: str) -> str:
    """The benchmark that a ``final_eval_<code>_*`` column of ``task`` reports."""
    if task == "nli":
        for name, codes in NLI_BENCHMARKS.items():
            if column_code in codes:
                return name
        raise ValueError(f"nli column code {column_code!r} belongs to no known NLI benchmark")
    xtreme, masakha = TWO_BENCHMARKS[task]
    return masakha if len(column_code) == 3 else xtreme


def folder_strategy(folder: str, n_languages: int) -> tuple[str, int]:
    """(strategy, size) of a result folder: ``most_uriel_en_10`` -> (most_uriel_en, 10).

    ``random_langs_with_seed_K`` is the ``random`` strategy; ``xt_afri`` is ``all``; ablations
    (``abla_*``) and group runs (``afri_only`` ...) keep their folder name and take the run's size.
    """
    if folder == "xt_afri":
        return "all", n_languages
    if folder == "baseline":
        return "baseline", 0
    match = re.fullmatch(r"(.+)_(\d+)", folder)
    if match and not folder.startswith("abla_"):
        name = "random" if match.group(1) == "random_langs_with_seed" else match.group(1)
        return name, int(match.group(2))
    return folder, n_languages


def parse_file(path: Path) -> tuple[str, str, str, list[dict]] | None:
    """(model, method, task, runs) of one CSV, or None for a file the product does not use."""
    parts = path.stem.split("__")
    if len(parts) != 4 or path.stat().st_size == 0:
        return None
    model, data, method, raw_task = parts
    if data != PARALLEL_DATA or raw_task not in PAPER_TASKS or method not in METHODS:
        return None
    task = PAPER_TASKS[raw_task]
    suffix = f"_{TASK_METRIC[task]}"
    catalog = load_catalog()
    runs = []
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            scores: dict[str, float] = {}
            for column, value in row.items():
                if not (column.startswith("final_eval_") and column.endswith(suffix)) or value in ("", None):
                    continue
                code = column[len("final_eval_") : -len(suffix)]
                if code in AGGREGATE_COLUMNS:
                    continue
                key = f"{benchmark_of(task, code)}/{catalog.get(code, column).code}"
                if key in scores:
                    raise ValueError(f"{path}: two columns map to {key}")
                scores[key] = float(value)
            langs = [c for c in row["realignment_langs"].split(",") if c] if method != "baseline" else []
            runs.append(
                {
                    "seed": int(row["seed"]),
                    "n": int(row["n_realignment_langs"]),
                    "languages": catalog.resolve(langs, "realignment_langs"),
                    "scores": scores,
                }
            )
    return model, method, task, runs


def build(source: Path) -> dict:
    """Read every result folder under ``source/results`` into the compact structure."""
    results = source / "results"
    if not results.is_dir():
        raise SystemExit(f"no published results under {source} (expected {results})")
    columns: dict[str, set[str]] = {task: set() for task in PAPER_TASKS.values()}
    records: list[dict] = []
    dropped: list[str] = []
    for folder in sorted(p.name for p in results.iterdir() if p.is_dir()):
        for path in sorted((results / folder).glob("*.csv")):
            parsed = parse_file(path)
            if parsed is None:
                continue
            model, method, task, runs = parsed
            for run in runs:
                strategy, size = folder_strategy(folder, run["n"])
                if method != "baseline" and (size != run["n"] or len(run["languages"]) != run["n"]):
                    dropped.append(f"{folder}/{path.name} seed {run['seed']}: {run['n']} languages")
                    continue
                columns[task].update(run["scores"])
                records.append(
                    {
                        "folder": folder,
                        "strategy": strategy,
                        "size": size,
                        "model": model,
                        "method": method,
                        "task": task,
                        "seed": run["seed"],
                        "languages": run["languages"],
                        "scores": run["scores"],
                    }
                )
    assert all(
        set(BENCHMARK_ORDER[task]) == {b for k in keys for b in [k.split("/")[0]]} for task, keys in columns.items()
    ), "BENCHMARK_ORDER must name every benchmark of its task"
    order = {task: {b: i for i, b in enumerate(BENCHMARK_ORDER[task])} for task in columns}
    sorted_columns = {
        task: sorted(keys, key=lambda k, t=task: (order[t][k.split("/")[0]], k)) for task, keys in columns.items()
    }
    rows = [
        {
            **{k: v for k, v in rec.items() if k != "scores"},
            "scores": [rec["scores"].get(key) for key in sorted_columns[rec["task"]]],
        }
        for rec in records
    ]
    return {
        "source": "Realignment language-subset paper, published per-seed results (MIT License, "
        "Copyright (c) 2024 Posos; see LICENSE beside this file)",
        "license": (source / "LICENSE").read_text(encoding="utf-8"),  # attribution travels with the data
        "benchmark_order": {task: list(BENCHMARK_ORDER[task]) for task in columns},
        "columns": sorted_columns,
        "runs": rows,
        "dropped": dropped,
    }


def paper_subsets(data: dict) -> dict:
    """The realignment lists the paper ran, per strategy folder (and per seed where a folder drew one list
    per seed), for ``spaces/data/paper_subsets.json``."""
    by_folder: dict[str, dict[tuple[str, ...], dict]] = {}
    for run in data["runs"]:
        if run["method"] == "baseline":
            continue
        lists = by_folder.setdefault(run["folder"], {})
        entry = lists.setdefault(
            tuple(run["languages"]), {"strategy": run["strategy"], "size": run["size"], "seeds": set(), "ran": set()}
        )
        entry["seeds"].add(run["seed"])
        entry["ran"].add(f"{short_model(run['model'])}/{run['task']}")
    out = []
    for folder, lists in sorted(by_folder.items()):
        per_seed = len(lists) > 1  # random draws: each paper seed realigned on its own list
        for languages, entry in sorted(lists.items(), key=lambda kv: min(kv[1]["seeds"])):
            if per_seed and len(entry["seeds"]) != 1:
                raise ValueError(f"{folder}: seeds {sorted(entry['seeds'])} share one of several lists")
            out.append(
                {
                    "folder": folder,
                    "strategy": entry["strategy"],
                    "size": entry["size"],
                    "seed": min(entry["seeds"]) if per_seed else None,
                    "languages": list(languages),
                    "ran": sorted(entry["ran"]),
                }
            )
    mislabelled = sorted({line.split("/", 1)[0] for line in data["dropped"]})
    return {
        "source": "the realignment lists of the paper's published results (MIT License, Copyright (c) 2024 "
        "Posos; see trainables/published/LICENSE); generated by python -m trainables.published.build",
        "lists": out,
        "mislabelled": {
            folder: "every run in it realigned on all 65 languages, not on the size its name promises"
            for folder in mislabelled
        },
    }


def _one_list_per_line(subsets: dict) -> str:
    """JSON with one paper list per line: small, and a rebuild's diff shows which lists changed."""
    head = {k: v for k, v in subsets.items() if k != "lists"}
    lines = ",\n".join("  " + json.dumps(entry, sort_keys=True) for entry in subsets["lists"])
    return json.dumps(head, indent=1, sort_keys=True)[:-2] + ',\n "lists": [\n' + lines + "\n ]\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the paper's published/ folder")
    parser.add_argument("--out", type=Path, default=DATA_FILE)
    parser.add_argument(
        "--paper-subsets",
        type=Path,
        default=PAPER_SUBSETS_FILE,
        help="where the paper's realignment lists go (read by spaces.paper)",
    )
    args = parser.parse_args(argv)
    data = build(args.source)
    payload = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    with gzip.GzipFile(args.out, "wb", compresslevel=9, mtime=0) as fh:  # mtime=0: reproducible bytes
        fh.write(payload)
    subsets = paper_subsets(data)
    args.paper_subsets.write_text(_one_list_per_line(subsets), encoding="utf-8")
    print(
        f"{len(data['runs'])} runs, {sum(map(len, data['columns'].values()))} score columns -> "
        f"{args.out} ({args.out.stat().st_size / 1e3:.0f} kB); dropped {len(data['dropped'])} mislabelled runs; "
        f"{len(subsets['lists'])} paper lists -> {args.paper_subsets}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
