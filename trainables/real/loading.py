"""Reading a registry source into the World schemas.

There is one code path for the hub and for a local mirror: only the root that the source's ``files``
pattern hangs from differs (``remote`` or ``<data_dir>/<local>``), so fixture tests exercise exactly what
a GPU run does. Labels are remapped by *name* (from the file's ClassLabel when it has one, else from the
registry's declared order), so a source whose label order differs from ``trainables.labels`` — or that
carries extra classes such as MasakhaNER's DATE — cannot silently scramble the tags.

Every source goes through a ``datasets`` builder except NLLB's TSV (``format = "tsv"``): it is read line
by line because a mined corpus of millions of lines has a few broken ones, and both datasets' csv builder
(which stops the stream) and pandas' ``on_bad_lines="skip"`` (which hides them) are wrong answers; here
a broken line is skipped, counted, and reported once per file.
"""

from __future__ import annotations

import glob
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from spaces.errors import ConfigError
from spaces.vocab import TOKEN_TASKS
from trainables.labels import LABELS
from trainables.real.registry import Source
from trainables.schema import task_features


class MalformedLinesWarning(UserWarning):
    """Lines of a source file that were skipped because they do not have the source's layout."""


def _fill(template: Any, values: Mapping[str, str]) -> Any:
    """Format placeholders in a string, or in every string of a list."""
    if isinstance(template, str):
        return template.format(**values)
    if isinstance(template, list):
        return [_fill(item, values) for item in template]
    return template


def data_files(source: Source, lang: str, split: str, data_dir: str | Path | None) -> str:
    """Where a language's split lives: a hub/URL path, or the same relative path under ``data_dir``."""
    _, values = source.config_for(lang)
    relative = source.files.format(**values, split=source.split_name(split))
    if data_dir is None:
        return f"{source.remote}/{relative}"
    path = Path(data_dir) / source.local / relative
    if not glob.glob(str(path)):
        raise ConfigError(
            "data_dir",
            f"no {source.dataset} file for {lang!r} ({split}) under {data_dir}: expected {path} — "
            f"mirror the hub layout there (python -m trainables.real.mirror) or leave data_dir unset "
            f"to read the hub",
        )
    return str(path)


def read_split(
    source: Source,
    lang: str,
    split: str,
    *,
    data_dir: str | Path | None,
    cache_dir: str | Path | None,
    streaming: bool = False,
) -> datasets.Dataset:
    """The raw split as the source ships it (its own columns and label ids)."""
    if source.format == "tsv":
        raise ValueError(f"source {source.name}: a tsv source is read with parallel_pairs, not read_split")
    _, values = source.config_for(lang)
    options = {key: _fill(value, values) for key, value in source.read.items()}
    files = data_files(source, lang, split, data_dir)
    return datasets.load_dataset(
        source.format,
        data_files={split: files},
        split=split,
        streaming=streaming,
        cache_dir=None if cache_dir is None else str(cache_dir),
        **options,
    )


def raw_lines(path: str) -> Iterator[bytes]:
    """The lines of a local or remote file, decompressed by extension, as bytes (no decoding yet)."""
    import fsspec

    with fsspec.open(path, "rb", compression="infer") as handle:
        yield from handle


@dataclass
class Malformed:
    """Malformed lines met while reading one file: how many, and the first one's number."""

    count: int = 0
    first: int = 0

    def add(self, number: int) -> None:
        self.count += 1
        self.first = self.first or number

    def report(self, source: Source, path: str, expected: str) -> None:
        """One warning for the whole file (a per-line warning would flood a multi-GB corpus)."""
        if self.count:
            warnings.warn(
                f"{source.dataset}: skipped {self.count} malformed line(s) of {path} (first: line "
                f"{self.first}); each line must be UTF-8 with {expected}",
                MalformedLinesWarning,
                stacklevel=2,
            )


def tsv_records(path: str, fields: Sequence[str], malformed: Malformed) -> Iterator[dict[str, str]]:
    """Rows of a tab-separated file without header or quoting; a line that is not UTF-8 or does not
    have exactly ``len(fields)`` fields is skipped and counted in ``malformed``."""
    for number, raw in enumerate(raw_lines(path), start=1):
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            malformed.add(number)
            continue
        values = line.split("\t")
        if len(values) != len(fields):
            malformed.add(number)
            continue
        yield dict(zip(fields, values, strict=True))


def _get(row: Mapping[str, Any], dotted: str) -> Any:
    value: Any = row
    for part in dotted.split("."):
        value = value[part]
    return value


def label_names(source: Source, feature: Any) -> tuple[str, ...] | None:
    """The source's label names in id order: the file's ClassLabel if present, else the registry's."""
    inner = getattr(feature, "feature", feature)  # Sequence/List(ClassLabel) -> ClassLabel
    if isinstance(inner, datasets.ClassLabel):
        return tuple(inner.names)
    return source.labels or None


def label_lookup(source_names: Sequence[str], target: Sequence[str], label_map: Mapping[str, str]) -> dict[str, int]:
    """Source label name -> target id; every source name must land in the target vocabulary."""
    lookup: dict[str, int] = {}
    for name in source_names:
        mapped = label_map.get(name, name)
        if mapped not in target:
            raise ValueError(f"label {name!r} has no counterpart in {list(target)}; add it to label_map")
        lookup[name] = list(target).index(mapped)
    return lookup


def _to_target(value: Any, names: Sequence[str] | None, lookup: Mapping[str, int]) -> int:
    """One source label (an id or a name) as a target id; -1 for unlabelled rows (e.g. NLI's -1)."""
    if isinstance(value, str) and not value.lstrip("-").isdigit():
        if value not in lookup:
            raise ValueError(f"label {value!r} has no counterpart in the target labels; add it to label_map")
        return lookup[value]
    index = int(value)
    if index < 0:
        return -1
    if names is None:
        raise ValueError("integer labels need the source's label names (registry `labels`)")
    return lookup[names[index]]


def normalise_task(raw: datasets.Dataset, source: Source, task: str) -> datasets.Dataset:
    """A task split in the World schema: tokens/tags or premise/hypothesis/label, target label ids."""
    cols = source.columns
    label_col = cols["tags"] if task in TOKEN_TASKS else cols["label"]
    names = label_names(source, raw.features[label_col])
    target = LABELS[task]
    lookup = label_lookup(names or [*target, *source.label_map], target, source.label_map)
    if task in TOKEN_TASKS:

        def convert(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
            return {
                "tokens": [list(map(str, toks)) for toks in batch[cols["tokens"]]],
                "tags": [[_to_target(t, names, lookup) for t in tags] for tags in batch[cols["tags"]]],
            }
    else:

        def convert(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
            return {
                "premise": [str(p) for p in batch[cols["premise"]]],
                "hypothesis": [str(h) for h in batch[cols["hypothesis"]]],
                "label": [_to_target(v, names, lookup) for v in batch[cols["label"]]],
            }

    if task not in TOKEN_TASKS:
        raw = raw.filter(lambda v: _to_target(v, names, lookup) >= 0, input_columns=[cols["label"]])
    return raw.map(convert, batched=True, remove_columns=raw.column_names, features=task_features(task))


def parallel_pairs(
    source: Source, lang: str, *, data_dir: str | Path | None, cache_dir: str | Path | None, limit: int | None
) -> list[dict[str, str]]:
    """English-``lang`` pairs of a parallel source (``src`` English), at most ``limit``, streamed."""
    if source.format != "tsv":
        rows = read_split(source, lang, "train", data_dir=data_dir, cache_dir=cache_dir, streaming=True)
        return list(parallel_rows(rows, source, lang, limit))
    _, values = source.config_for(lang)
    path = data_files(source, lang, "train", data_dir)
    fields = _fill(list(source.fields), values)
    malformed = Malformed()
    pairs = list(parallel_rows(tsv_records(path, fields, malformed), source, lang, limit))
    malformed.report(source, path, f"{len(fields)} tab-separated fields")
    return pairs


def parallel_rows(rows: Any, source: Source, lang: str, limit: int | None):
    """Yield ``{"src", "tgt"}`` pairs (English, translation) from raw rows, skipping empty sides; stop
    as soon as ``limit`` pairs are out, so not one more row of a stream is read."""
    _, values = source.config_for(lang)
    src_path = _fill(source.columns["src"], values)
    tgt_path = _fill(source.columns["tgt"], values)
    count = 0
    if limit is not None and limit <= 0:
        return
    for row in rows:
        src, tgt = _get(row, src_path), _get(row, tgt_path)
        if not isinstance(src, str) or not isinstance(tgt, str) or not src.strip() or not tgt.strip():
            continue
        count += 1
        yield {"src": src, "tgt": tgt}
        if limit is not None and count >= limit:
            return
