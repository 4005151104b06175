"""Make a local mirror of the real stack for machines without hub access (typical GPU boxes).

Run on a machine with network, copy the directory over, then point RealWorld at it
(``data_dir=`` or ``$REALIGN_SEARCH_DATA_DIR``; models via ``$REALIGN_SEARCH_MODEL_DIR``). The mirror has
each source's hub layout under ``<data_dir>/<local>`` (sources.toml), so RealWorld reads it with the same
code as the hub. Only the files the product reads are fetched (hub repos through huggingface_hub with
allow_patterns, other URLs with fsspec): English's train/validation/test, every benchmark's test set of
every covered language (a language two benchmarks cover gets both, so the trial can report both), and
one parallel corpus per language. NLLB's multi-GB TSVs are cut to their first ``--max-pairs`` lines,
which is about all RealWorld would stream anyway.

    python -m trainables.real.mirror DATA_DIR [--tasks parallel pos ner nli] [--languages CODE ...]
        [--max-pairs N] [--models MODEL_DIR] [--dry-run]
"""

from __future__ import annotations

import argparse
import gzip
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from spaces.catalog import ENGLISH, load_catalog
from spaces.errors import ConfigError
from spaces.vocab import REAL_MODELS, TASKS
from trainables.real.loading import raw_lines
from trainables.real.registry import Registry, Source, load_registry
from trainables.real.world import DEFAULT_MAX_PAIRS

ALL_TASKS = ("parallel", *TASKS)


@dataclass(frozen=True)
class MirrorFile:
    """One file pattern to fetch: ``remote/relative`` goes to ``<data_dir>/local/relative``."""

    source: Source
    lang: str
    split: str
    relative: str

    @property
    def remote(self) -> str:
        return f"{self.source.remote}/{self.relative}"

    def local(self, data_dir: Path) -> Path:
        return data_dir / self.source.local / self.relative


def plan(
    tasks: Sequence[str] = ALL_TASKS, languages: Iterable[str] | None = None, registry: Registry | None = None
) -> list[MirrorFile]:
    """Every file RealWorld would read for ``tasks`` and ``languages`` (default: all they cover): one
    parallel source per language, but every benchmark of a task that has the language."""
    registry = registry or load_registry()
    wanted = None if languages is None else set(load_catalog().resolve(languages, "--languages"))
    files: list[MirrorFile] = []
    for task in tasks:
        if task not in ALL_TASKS:
            raise ConfigError("--tasks", f"unknown task {task!r}", ALL_TASKS)
        served: set[str] = set()
        for source in registry.task_sources(task):
            for lang in source.canonical_languages():
                if task == "parallel" and lang == ENGLISH:
                    continue
                if wanted is not None and lang not in wanted | {ENGLISH}:
                    continue
                if (task == "parallel" or lang == ENGLISH) and lang in served:
                    continue
                served.add(lang)
                splits = (
                    ["train"]
                    if task == "parallel"
                    else (["train", "validation", "test"] if lang == ENGLISH else ["test"])
                )
                _, values = source.config_for(lang)
                for split in splits:
                    relative = source.files.format(**values, split=source.split_name(split))
                    files.append(MirrorFile(source, lang, split, relative))
    return files


def copy_head(url: str, dest: Path, max_lines: int | None) -> int:
    """Copy the first ``max_lines`` lines of a gzipped text file (URL or path) into ``dest`` (gzipped)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    count = 0
    with gzip.open(partial, "wb") as out:
        for line in raw_lines(url):
            if max_lines is not None and count >= max_lines:
                break
            out.write(line)
            count += 1
    partial.replace(dest)
    return count


def copy_file(url: str, dest: Path) -> None:
    """Copy one file (URL or path) byte for byte."""
    import fsspec

    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    with fsspec.open(url, "rb") as src, partial.open("wb") as out:
        out.write(src.read())
    partial.replace(dest)


def _hub_repo(remote: str) -> tuple[str, str]:
    """``hf://datasets/<owner>/<name>@<revision>`` -> (repo id, revision)."""
    body = remote.removeprefix("hf://datasets/")
    repo, _, revision = body.partition("@")
    return repo, unquote(revision or "main")


def fetch(files: Sequence[MirrorFile], data_dir: Path, max_pairs: int | None = DEFAULT_MAX_PAIRS) -> None:
    """Download ``files`` into ``data_dir`` (hub repos with allow_patterns; other URLs line by line)."""
    from huggingface_hub import snapshot_download

    by_source: dict[str, list[MirrorFile]] = defaultdict(list)
    for item in files:
        by_source[item.source.name].append(item)
    for items in by_source.values():
        source = items[0].source
        if source.remote.startswith("hf://"):
            repo, revision = _hub_repo(source.remote)
            snapshot_download(
                repo,
                repo_type="dataset",
                revision=revision,
                local_dir=data_dir / source.local,
                allow_patterns=sorted({item.relative for item in items}),
            )
        else:
            for item in items:
                if item.relative.endswith(".gz"):  # NLLB's huge TSVs: only the head RealWorld streams
                    count = copy_head(item.remote, item.local(data_dir), max_pairs)
                    print(f"{item.source.dataset} {item.relative}: {count} lines", file=sys.stderr)
                else:
                    copy_file(item.remote, item.local(data_dir))


def save_models(model_dir: Path) -> None:
    """Tokenizer and weights of both encoders under ``model_dir/<hub id>`` ($REALIGN_SEARCH_MODEL_DIR)."""
    from transformers import AutoModel, AutoTokenizer

    for model in REAL_MODELS:
        AutoTokenizer.from_pretrained(model).save_pretrained(model_dir / model)
        AutoModel.from_pretrained(model).save_pretrained(model_dir / model)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainables.real.mirror", description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", type=Path, help="where to write the mirror (RealWorld's data_dir)")
    parser.add_argument("--tasks", nargs="+", default=list(ALL_TASKS), help=f"subset of {' '.join(ALL_TASKS)}")
    parser.add_argument("--languages", nargs="+", help="catalog codes (default: every covered language)")
    parser.add_argument("--max-pairs", type=int, default=DEFAULT_MAX_PAIRS, help="lines kept per NLLB pair")
    parser.add_argument(
        "--models", type=Path, help="also save mBERT and XLM-R here (use it as $REALIGN_SEARCH_MODEL_DIR)"
    )
    parser.add_argument("--dry-run", action="store_true", help="print what would be fetched, fetch nothing")
    args = parser.parse_args(argv)
    try:
        files = plan(args.tasks, args.languages)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for item in files:
        print(f"{item.remote} -> {item.local(args.data_dir)}")
    if not args.dry_run:
        fetch(files, args.data_dir, args.max_pairs)
        if args.models is not None:
            save_models(args.models)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
