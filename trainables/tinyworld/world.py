"""Building, caching and serving the tiny world through the World interface (docs/ARCHITECTURE.md).

Why a build-once cache: generating ~300k sentences and pretraining the encoder takes minutes, while a
Ray sweep opens the world in every trial. The build writes into a temporary directory and renames it into
place only when complete (a manifest is written last), under a file lock, so concurrent first uses wait
for one build and an interrupted build never leaves a half world that looks complete.

A world damaged after it was built (a truncated weights file, a garbled tokenizer or dataset) heals
(``trainables.cache_health``): opening a world checks its manifest, tokenizer and weights, and every
dataset read is guarded; a damaged world is reported, moved aside and rebuilt with the seed, sizes and
encoder its manifest records, under the same lock, once even when several trials find the damage.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import datasets
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerFast

from spaces.catalog import ENGLISH, load_catalog
from spaces.errors import ConfigError
from spaces.vocab import SPLITS, TASKS
from trainables.cache import cache_dir
from trainables.cache_health import check_model_dir, heal_entry, load_healing
from trainables.tinyworld.generator import Generator, Sizes, parallel_languages, pretraining_languages, task_splits
from trainables.tinyworld.languages import profile
from trainables.tinyworld.lexicon import name_pool
from trainables.tinyworld.scripts import transliterate

if TYPE_CHECKING:  # the model classes cost seconds to import; only a build needs them
    from trainables.tinyworld.pretrain import EncoderSpec

# Bump whenever generated data or the encoder would change: it is part of the cache key.
VERSION = 3
MANIFEST = "world.json"


def world_key(seed: int) -> str:
    return f"v{VERSION}-seed{seed}"


def world_alphabet(seed: int) -> set[str]:
    """Every character any tiny-world text can contain: lexicon words, names in every script, stops."""
    chars: set[str] = set()
    scripts: set[str] = set()
    for lang in load_catalog():
        prof = profile(lang.code, seed)
        scripts.add(prof.script)
        chars.update(prof.full_stop)
        for word in prof.lexicon.values():
            chars.update(transliterate(word, prof.script))
    names = name_pool(seed)
    for script in scripts:
        for name in names.first + names.last + names.places + names.orgs:
            chars.update(transliterate(name, script, proper=True))
    return chars


class TinyWorld:
    """A built tiny world on disk. Cheap to construct; datasets are memory-mapped on demand."""

    name = "tiny"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.inode = _inode(self.path)  # which build this is: a healed world is a new directory
        self.manifest = json.loads((self.path / MANIFEST).read_text("utf-8"))
        self.seed = int(self.manifest["seed"])
        self._tokenizer: PreTrainedTokenizerFast | None = None

    def verify(self) -> TinyWorld:
        """Read what every trial reads first (tokenizer, weights' headers); a damaged file fails here."""
        self._tokenizer = PreTrainedTokenizerFast.from_pretrained(str(self.path / "tokenizer"))
        check_model_dir(self.path / "model")
        return self

    def _dataset(self, *parts: str) -> datasets.Dataset:
        folder = self.path.joinpath("data", *parts)
        return load_healing(
            folder, lambda: datasets.load_from_disk(str(folder)), lambda err: heal_world(self.path, err, self.inode)
        )

    def tokenizer(self) -> PreTrainedTokenizerFast:
        if self._tokenizer is None:
            self._tokenizer = PreTrainedTokenizerFast.from_pretrained(str(self.path / "tokenizer"))
        return self._tokenizer

    def model_path(self) -> str:
        return str(self.path / "model")

    def parallel_languages(self) -> list[str]:
        return list(self.manifest["parallel_languages"])

    def task_languages(self, task: str) -> list[str]:
        _check_choice("task", task, TASKS)
        return list(self.manifest["task_languages"])

    def pretraining_languages(self) -> list[str]:
        return list(self.manifest["pretraining_languages"])

    def parallel(self, lang: str) -> datasets.Dataset:
        code = load_catalog().get(lang).code
        _check_choice(
            "language", code, self.parallel_languages(), "has no parallel data (only the realignment pool has)"
        )
        return self._dataset("parallel", code)

    def task(self, task: str, lang: str, split: str) -> datasets.Dataset:
        _check_choice("task", task, TASKS)
        _check_choice("split", split, SPLITS)
        code = load_catalog().get(lang).code
        _check_choice("language", code, self.task_languages(task), f"has no {task} data")
        if split not in task_splits(code):
            raise ConfigError(
                "split", f"{code} has no {split!r} split: only English has train/validation", task_splits(code)
            )
        return self._dataset(task, code, split)

    def monolingual(self, lang: str) -> datasets.Dataset:
        """Column ``text``: the world's monolingual sentences of ``lang`` (pretraining text, if seen)."""
        code = load_catalog().get(lang).code
        return self._dataset("monolingual", code)

    def __repr__(self) -> str:
        return f"TinyWorld(seed={self.seed}, path={str(self.path)!r})"


def _check_choice(field: str, value: str, allowed: list[str] | tuple[str, ...], problem: str = "") -> None:
    if value not in allowed:
        raise ConfigError(field, f"{value!r} {problem or 'is not allowed'}", allowed)


def build_world(
    seed: int, target: Path, sizes: Sizes = Sizes(), spec: EncoderSpec | None = None, progress: bool = True
) -> Path:
    """Generate every dataset, train the tokenizer, pretrain the encoder; write into ``target``."""
    from trainables.tinyworld.pretrain import EncoderSpec, pretrain, train_tokenizer

    spec = EncoderSpec() if spec is None else spec
    started = time.time()
    catalog = load_catalog()
    gen = Generator(seed, sizes)
    codes = catalog.codes()
    data = target / "data"
    was_enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    bar = tqdm(
        total=len(codes) + spec.steps, desc=f"tiny world (seed {seed})", unit="step", disable=not progress, leave=False
    )
    try:
        pretraining_text: list[str] = []
        pretrained = set(pretraining_languages())
        for code in codes:
            bar.set_postfix_str(f"data {code}")
            mono = gen.monolingual_dataset(code)
            mono.save_to_disk(str(data / "monolingual" / code))
            if code in pretrained:
                pretraining_text.extend(mono["text"])
            if catalog.get(code).realignable:
                gen.parallel_dataset(code).save_to_disk(str(data / "parallel" / code))
            for task in TASKS:
                for split in task_splits(code):
                    gen.task_dataset(task, code, split).save_to_disk(str(data / task / code / split))
            bar.update(1)
        bar.set_postfix_str("tokenizer")
        tokenizer = train_tokenizer(pretraining_text, world_alphabet(seed), spec.vocab_size)
        tokenizer.save_pretrained(str(target / "tokenizer"))

        def report(step: int, loss: float) -> None:
            bar.update(1)
            if step % 50 == 0:
                bar.set_postfix_str(f"masked-LM loss {loss:.2f}")

        model = pretrain(pretraining_text, tokenizer, spec, seed, report)
        model.save_pretrained(str(target / "model"))
    finally:
        bar.close()
        if was_enabled:
            datasets.enable_progress_bars()
    manifest = {
        "version": VERSION,
        "seed": seed,
        "sizes": asdict(sizes),
        "encoder": spec.to_dict(),
        "pretraining_languages": sorted(pretrained, key=codes.index),
        "parallel_languages": parallel_languages(),
        "task_languages": codes,
        "english": ENGLISH,
        "build_seconds": round(time.time() - started, 1),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2), "utf-8")
    return target


def world_path(seed: int = 0) -> Path:
    return cache_dir("tinyworld") / world_key(seed)


def ensure_world(
    seed: int = 0, rebuild: bool = False, progress: bool = True, sizes: Sizes = Sizes(), spec: EncoderSpec | None = None
) -> Path:
    """The built world's directory, building it (once, under a lock) if it is missing."""
    final = world_path(seed)
    if (final / MANIFEST).exists() and not rebuild:
        return final
    with _world_lock(final):  # a concurrent builder finishes first; then we re-check
        if (final / MANIFEST).exists() and not rebuild:
            return final
        _build_in_place(seed, final, sizes, spec, progress)
    _open.cache_clear()
    return final


@contextmanager
def _world_lock(final: Path) -> Iterator[None]:
    with open(final.parent / f".{final.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _build_in_place(seed: int, final: Path, sizes: Sizes, spec: EncoderSpec | None, progress: bool) -> None:
    """Build into a temporary sibling and rename it to ``final`` (call under ``_world_lock``)."""
    tmp = final.parent / f".{final.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        build_world(seed, tmp, sizes=sizes, spec=spec, progress=progress)
        if final.exists():
            shutil.rmtree(final)
        os.rename(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None


def _build_settings(path: Path) -> tuple[int, Sizes, EncoderSpec | None]:
    """Seed, sizes and encoder of the world at ``path``, from its manifest (defaults when unreadable)."""
    from trainables.tinyworld.pretrain import EncoderSpec

    try:
        manifest = json.loads((path / MANIFEST).read_text("utf-8"))
        sizes = dict(manifest["sizes"])
        sizes["monolingual"] = tuple(tuple(pair) for pair in sizes["monolingual"])
        return int(manifest["seed"]), Sizes(**sizes), EncoderSpec(**manifest["encoder"])
    except (OSError, ValueError, KeyError, TypeError):
        return int(path.name.rsplit("seed", 1)[-1]), Sizes(), None


def heal_world(path: Path, err: BaseException, opened: int | None) -> None:
    """Move the damaged world at ``path`` aside and rebuild it as its manifest describes, unless another
    process has rebuilt it since this one opened it (``opened``: the directory's inode then)."""
    seed, sizes, spec = _build_settings(path)
    with _world_lock(path):
        if (path / MANIFEST).exists() and _inode(path) != opened:
            return
        heal_entry(path, err, lambda: _build_in_place(seed, path, sizes, spec, progress=True))
    _open.cache_clear()


@lru_cache(maxsize=8)
def _open(path: str) -> TinyWorld:
    folder = Path(path)
    opened = _inode(folder)
    return load_healing(folder, lambda: TinyWorld(folder).verify(), lambda err: heal_world(folder, err, opened))


def load_world(seed: int = 0, build_if_missing: bool = True, progress: bool = True, **_: object) -> TinyWorld:
    """The tiny world for ``seed``; built on first use unless ``build_if_missing`` is false.

    Extra keyword options (e.g. ``model``, passed by ``trainables.worlds.get_world``) are ignored: the
    tiny world has exactly one encoder.
    """
    if not isinstance(seed, int) or seed < 0:
        raise ConfigError("world.seed", f"{seed!r} is not a non-negative integer")
    path = world_path(seed)
    if not (path / MANIFEST).exists():
        if not build_if_missing:
            raise ConfigError(
                "world",
                f"the tiny world for seed {seed} is not built at {path}; run `realign-search world build`",
                None,
            )
        ensure_world(seed, progress=progress)
    return _open(str(path))
