"""One trial, in-process: realign on a language subset, fine-tune on English, evaluate zero-shot.

This is the plain-Python core that the Ray trainable (``trainables.units.realign``), the ``trial`` CLI
command and the benchmarks all call. It reports after realignment (phase ``realigned``) and after each
fine-tuning epoch (``epoch``; the last one is ``final``) with a checkpoint, and continues from such a
checkpoint instead of restarting. The final checkpoint holds the model alone (no optimiser state), and a
trial resumed from it sends its final report once more.

Determinism without saved RNG streams: every random draw is made from a generator seeded by
(trial seed, phase, step or epoch), so a resumed trial draws exactly what the uninterrupted one would
have, and a checkpoint only needs weights, optimiser state and counters.

At phase ``realigned`` no task head has been trained yet, so the task scores and aggregates are NaN
(present, so Ray's strict metric check and ASHA accept the result; ASHA ignores NaN when it computes a
rung's cut-off). Early stopping should therefore count fine-tuning epochs (``epoch``), not reports.
"""

from __future__ import annotations

import json
import math
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from spaces.catalog import ENGLISH, load_catalog
from spaces.errors import ConfigError, as_disk_full
from spaces.trial_config import TrialConfig
from spaces.vocab import AGGREGATES
from trainables.data import Encoded, bucketed_batches, collate, collate_parallel, encode_cached
from trainables.device import DeviceSetup, select_device
from trainables.evaluate import evaluate_languages
from trainables.finetune import TaskModel, finetune_optimizer, load_encoder
from trainables.metrics import aggregate
from trainables.realign import Realigner, realign_optimizer

Report = Callable[[dict, "Path | None"], None]
STATE_FILE, WEIGHTS_FILE = "trial_state.json", "trial_weights.pt"
LOSS_WINDOW = 20  # realign_loss = mean over this many last steps
PHASE_SEED = {"realign": 1, "finetune": 2, "joint": 3, "dropout": 4}


@dataclass
class Progress:
    """Counters a checkpoint stores; together with the weights they define where a trial stands."""

    phase: str = "start"  # start | realigned | epoch | final
    realign_step: int = 0
    epoch: int = 0  # fine-tuning epochs completed
    finetune_step: int = 0
    recent_losses: list[float] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)  # last reported metrics

    def record_loss(self, loss: float) -> None:
        self.recent_losses = [*self.recent_losses[-(LOSS_WINDOW - 1) :], loss]

    @property
    def realign_loss(self) -> float:
        return float(np.mean(self.recent_losses)) if self.recent_losses else math.nan


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


@dataclass
class TrialData:
    """Everything tokenised a trial needs (loaded from the shared on-disk cache)."""

    parallel: dict[str, Encoded]
    train: Encoded
    tests: dict[str, Encoded]
    # worlds that name their benchmarks (the real one): target -> benchmarks scoring it, the one of
    # ``tests`` first; ``bench/<benchmark>/<code>`` -> the test set of each other one
    benchmarks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    bench_tests: dict[str, Encoded] = field(default_factory=dict)

    @property
    def n_pairs(self) -> int:
        return sum(len(p) for p in self.parallel.values())


def _subset(trial: TrialConfig) -> tuple[str, ...]:
    """The languages realignment actually uses (none for the fine-tuning-only baseline)."""
    return () if trial.realign.mode == "none" else tuple(trial.languages)


def load_trial_data(trial: TrialConfig, world) -> TrialData:
    tok = world.tokenizer()
    r, f = trial.realign, trial.finetune
    available = set(world.parallel_languages())
    parallel = {}
    for lang in _subset(trial):
        if lang not in available:
            raise ConfigError(
                "languages", f"world {trial.world!r} has no parallel data for {lang!r}", sorted(available)
            )
        pairs = encode_cached("parallel", tok, world.parallel(lang), r.max_length).head(r.pairs_per_language)
        if len(pairs) == 0:
            raise ConfigError("languages", f"no parallel pairs for {lang!r}")
        parallel[lang] = pairs
    train = encode_cached(trial.task, tok, world.task(trial.task, "en", "train"), f.max_length)
    targets = list(trial.targets) or list(world.task_languages(trial.task))
    known = set(world.task_languages(trial.task))
    for lang in targets:
        if lang not in known:
            raise ConfigError("targets", f"no {trial.task} test set for {lang!r}", sorted(known))
    tests = {
        lang: encode_cached(trial.task, tok, world.task(trial.task, lang, "test"), f.eval_max_length)
        for lang in targets
    }
    benchmarks = target_benchmarks(world, trial.task, targets)
    bench_tests = {}
    for lang, names in benchmarks.items():
        for name in names[1:]:
            other = world.task(trial.task, lang, "test", benchmark=name)
            bench_tests[f"bench/{name}/{lang}"] = encode_cached(trial.task, tok, other, f.max_length)
    return TrialData(parallel, train.head(f.train_size), tests, benchmarks, bench_tests)


def target_benchmarks(world, task: str, targets: list[str]) -> dict[str, tuple[str, ...]]:
    """Which benchmarks score each target, the scoring one first, for a world that names them
    (``task_benchmarks``: the real one); the tiny world has one unnamed set per language."""
    listing = getattr(world, "task_benchmarks", None)
    return {} if listing is None else {lang: tuple(listing(task, lang)) for lang in targets}


def benchmark_metrics(scores: dict[str, float], benchmarks: dict[str, tuple[str, ...]]) -> dict[str, float]:
    """``bench/<benchmark>/<code>`` for every benchmark that scores a target (the first one's is
    ``score/<code>``) and ``bench/<benchmark>``, its mean over non-English targets: the published
    replay's keys, so a search can rank real trials on a benchmark too. NaN where unscored."""
    out: dict[str, float] = {}
    per_benchmark: dict[str, list[float]] = {}
    for lang, names in benchmarks.items():
        for rank, name in enumerate(names):
            key = f"bench/{name}/{lang}"
            out[key] = scores.get(lang if rank == 0 else key, math.nan)
            if lang != ENGLISH and not math.isnan(out[key]):
                per_benchmark.setdefault(name, []).append(out[key])
    for name in dict.fromkeys(name for names in benchmarks.values() for name in names):
        values = per_benchmark.get(name, [])
        out[f"bench/{name}"] = sum(values) / len(values) if values else math.nan
    return out


class TrialRun:
    """The state of one running trial: model, heads, data, counters. ``run_trial`` drives it."""

    def __init__(self, trial: TrialConfig, world, setup: DeviceSetup) -> None:
        if trial.finetune.epochs < 1:
            raise ConfigError(
                "finetune.epochs", f"{trial.finetune.epochs} epochs leave nothing to evaluate", ["an integer >= 1"]
            )
        self.trial, self.world, self.setup = trial, world, setup
        tok = world.tokenizer()
        self.pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0
        self.data = load_trial_data(trial, world)
        torch.manual_seed(trial.seed)  # head initialisation
        encoder = load_encoder(world.model_path(), trial.task)
        self.model = TaskModel(encoder, trial.task).to(setup.device)
        r = trial.realign
        self.realigner = (
            Realigner(
                encoder,
                tok.all_special_ids,
                proj_dim=r.proj_dim,
                temperature=r.temperature,
                layer=r.layer,
                pooling=r.pooling,
                length_groups=1 if setup.is_cuda else 2,
            ).to(setup.device)
            if r.mode != "none"
            else None
        )
        self.progress = Progress()
        self.finetune_opt = self.schedule = None
        self.steps_run = {"realign": 0, "finetune": 0}  # executed by this process (not restored)

    # ------------------------------------------------------------------------------- realignment
    def _language_weights(self) -> tuple[list[str], np.ndarray]:
        langs = list(self.data.parallel)
        if self.trial.realign.sampling == "proportional":
            sizes = np.array([len(self.data.parallel[lang]) for lang in langs], dtype=float)
            return langs, sizes / sizes.sum()
        return langs, np.full(len(langs), 1.0 / len(langs))

    def realign_pairs(self, step: int) -> list[tuple[str, int]]:
        """The (language, pair index) of each pair of realignment step ``step``, drawn from a generator
        seeded by (seed, step) alone, so a resumed trial draws exactly what an uninterrupted one would.

        ``mixed`` (the paper): each of the B pairs draws its language from the language weights, then
        each language contributes that many distinct pairs, so a batch mixes languages and its
        negatives cross languages. This is what the paper's ``interleave_datasets(datasets,
        probabilities=[1/k] * k, seed=seed)`` yields (``multilingual_eval/datasets/realignment_task.py:
        get_multilingual_realignment_dataset``): ``datasets`` draws the source of every example
        independently with those probabilities, and since each language's stream repeats forever
        (``get_pharaoh_dataset(..., repeat=True)``) the default ``first_exhausted`` stop never comes.
        ``per_language``: one language per step, then B distinct pairs of it.
        """
        langs, weights = self._language_weights()
        rng = _rng(self.trial.seed, PHASE_SEED["realign"], step)
        size = self.trial.realign.batch_size
        if self.trial.realign.batching == "per_language":
            lang = langs[rng.choice(len(langs), p=weights)]
            n = len(self.data.parallel[lang])
            return [(lang, int(i)) for i in rng.choice(n, size=min(size, n), replace=False)]
        counts = np.bincount(rng.choice(len(langs), size=size, p=weights), minlength=len(langs))
        chosen = []
        for lang, count in zip(langs, counts, strict=True):
            if count:
                n = len(self.data.parallel[lang])
                chosen += [(lang, int(i)) for i in rng.choice(n, size=min(int(count), n), replace=False)]
        return chosen

    def realign_batch(self, step: int) -> dict[str, torch.Tensor]:
        """``realign_pairs(step)`` as one padded batch: N sources, then their N translations."""
        return collate_parallel(
            [(self.data.parallel[lang], i) for lang, i in self.realign_pairs(step)], None, self.pad_id
        )

    def realign_loss(self, step: int) -> torch.Tensor:
        """The loss of realignment step ``step`` on ``realign_batch(step)``."""
        batch = {k: self.setup.to_device(v) for k, v in self.realign_batch(step).items()}
        with self.setup.autocast():
            return self.realigner(batch["input_ids"], batch["attention_mask"], batch.get("word_start"))

    def realign_before(self) -> None:
        """``before`` mode: S steps of Adam at a constant learning rate on encoder + projection head."""
        r = self.trial.realign
        self.realigner.train()
        optimizer = realign_optimizer(self.realigner.parameters(), r.lr)
        torch.manual_seed(self.trial.seed * 1000 + PHASE_SEED["dropout"])
        for step in range(self.progress.realign_step, r.steps):
            loss = self.realign_loss(step)
            _require_finite(
                loss, f"realignment loss at step {step}", f"realign.lr={r.lr:g}, realign.temperature={r.temperature:g}"
            )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            self.progress.record_loss(float(loss.detach()))
            self.progress.realign_step = step + 1
            self.steps_run["realign"] += 1
        self.progress.phase = "realigned"

    # ------------------------------------------------------------------------------- fine-tuning
    def batches_per_epoch(self) -> int:
        return math.ceil(len(self.data.train) / self.trial.finetune.batch_size)

    def make_finetune_optimizer(self) -> None:
        """A fresh Adam + linear schedule; in joint mode it also trains the projection head."""
        f = self.trial.finetune
        params = list(self.model.parameters())
        if self.trial.realign.mode == "joint":
            params += list(self.realigner.head.parameters())
        self.finetune_opt, self.schedule = finetune_optimizer(
            params, f.lr, f.epochs * self.batches_per_epoch(), f.warmup
        )

    def finetune_epoch(self, epoch: int) -> None:
        f, joint = self.trial.finetune, self.trial.realign.mode == "joint"
        self.model.train()
        if self.realigner is not None:
            self.realigner.train()
        torch.manual_seed(self.trial.seed * 1000 + 10 * (epoch + 1) + PHASE_SEED["dropout"])
        lengths = self.data.train.lengths("input_ids")
        for rows in bucketed_batches(lengths, f.batch_size, _rng(self.trial.seed, PHASE_SEED["finetune"], epoch)):
            batch = {k: self.setup.to_device(v) for k, v in collate(self.data.train, rows, self.pad_id).items()}
            with self.setup.autocast():
                loss = self.model.loss(batch)
            if joint:
                realign = self.realign_loss(self.progress.realign_step)
                loss = loss + self.trial.realign.joint_coef * realign
                self.progress.record_loss(float(realign.detach()))
                self.progress.realign_step += 1
                self.steps_run["realign"] += 1
            _require_finite(
                loss,
                f"fine-tuning loss at epoch {epoch}, step {self.progress.finetune_step}",
                f"finetune.lr={f.lr:g}" + (f", realign.joint_coef={self.trial.realign.joint_coef:g}" if joint else ""),
            )
            self.finetune_opt.zero_grad(set_to_none=True)
            loss.backward()
            self.finetune_opt.step()
            self.schedule.step()
            self.progress.finetune_step += 1
            self.steps_run["finetune"] += 1
        self.progress.epoch = epoch + 1
        self.progress.phase = "final" if epoch + 1 == f.epochs else "epoch"

    # ------------------------------------------------------------------------------- results
    def metrics(self, scores: dict[str, float] | None) -> dict:
        subset = _subset(self.trial)
        out: dict = {}
        if scores is None:  # after realignment: no task head yet
            out |= {f"score/{lang}": math.nan for lang in self.data.tests}
            out |= {name: math.nan for name in AGGREGATES}
        else:
            languages = {lang: value for lang, value in scores.items() if lang in self.data.tests}
            out |= {f"score/{lang}": value for lang, value in languages.items()}
            out |= aggregate(languages, subset, self.trial.model, self.trial.sweep_pool)
        out |= benchmark_metrics(scores or {}, self.data.benchmarks)
        out |= {
            "n_languages": len(subset),
            "n_pairs": self.data.n_pairs,
            "phase": self.progress.phase,
            "epoch": self.progress.epoch,
            "realign_loss": self.progress.realign_loss,
            "realign_steps": self.progress.realign_step,
            "finetune_steps": self.progress.finetune_step,
        }
        return out

    def evaluate(self) -> dict[str, float]:
        # CPU: small batches stay in cache (4k tokens measured fastest); GPU: fill the device
        max_tokens = 32768 if self.setup.is_cuda else 4096
        return evaluate_languages(
            self.model, self.data.tests | self.data.bench_tests, self.setup, self.pad_id, max_tokens
        )

    # ------------------------------------------------------------------------------- checkpoints
    def save(self, directory: Path, optimizer: bool = True) -> None:
        """Weights, counters and (``optimizer``) the optimiser state that resuming a running trial needs.

        A finished trial's checkpoint leaves the optimiser state out: nothing resumes from it, and on
        the real stack Adam's two moments are twice the size of the weights."""
        directory.mkdir(parents=True, exist_ok=True)
        keep_optimizer = optimizer and self.finetune_opt is not None
        state = {
            "model": self.model.state_dict(),
            "projection": self.realigner.head.state_dict() if self.realigner else None,
            "optimizer": self.finetune_opt.state_dict() if keep_optimizer else None,
            "schedule": self.schedule.state_dict() if keep_optimizer else None,
        }
        meta = {"trial": self.trial.to_dict(), "progress": asdict(self.progress)}
        try:
            torch.save(state, directory / WEIGHTS_FILE)
            (directory / STATE_FILE).write_text(json.dumps(meta, default=float))
        except (OSError, RuntimeError) as err:  # torch reports a full disk as "unexpected pos"
            full = as_disk_full(err, directory, wrote=_tensor_bytes(state))
            if full is None:
                raise
            raise full from err

    def restore(self, directory: Path) -> None:
        """Continue from the checkpoint in ``directory``; UnreadableCheckpoint when it cannot be read."""
        try:
            meta = json.loads((Path(directory) / STATE_FILE).read_text())
            checkpointed = TrialConfig.from_dict(meta["trial"])
            state = torch.load(Path(directory) / WEIGHTS_FILE, map_location=self.setup.device, weights_only=True)
        except (OSError, ValueError, KeyError, TypeError, EOFError, RuntimeError, pickle.UnpicklingError) as err:
            raise UnreadableCheckpoint(f"{directory}: {type(err).__name__}: {err}") from err
        if checkpointed != self.trial:
            raise ConfigError("resume_from", f"{directory} is a checkpoint of a different trial")
        self.model.load_state_dict(state["model"])
        if self.realigner is not None and state["projection"] is not None:
            self.realigner.head.load_state_dict(state["projection"])
        self.progress = Progress(**meta["progress"])
        if state["optimizer"] is not None:
            self.make_finetune_optimizer()
            self.finetune_opt.load_state_dict(state["optimizer"])
            self.schedule.load_state_dict(state["schedule"])


def run_trial(
    trial: TrialConfig,
    report: Report | None = None,
    resume_from: Path | None = None,
    world=None,
    checkpoints: bool = True,
) -> dict:
    """Run one trial to the end and return its final metrics (see module docstring for reports); a
    trial with several ``seeds`` runs once per seed (``trainables.multiseed.run_seeds``).

    ``report(metrics, checkpoint_dir)`` receives a directory that exists only during the call (copy
    it to keep it). With no ``report``, or ``checkpoints=False`` (progress display only), no
    checkpoint is written and ``checkpoint_dir`` is None: on the real stack one is gigabytes.
    """
    trial.check()
    if len(trial.seed_list) > 1:  # several seeds: one run each, the mean reported (trainables.multiseed)
        from trainables.multiseed import run_seeds

        return run_seeds(trial, report, resume_from=resume_from, world=world, checkpoints=checkpoints)
    started = time.perf_counter()
    catalog = load_catalog()
    trial = _canonical(trial, catalog)
    if world is None:
        world = shared_world(trial.world, trial.model)
    setup = select_device()
    run = TrialRun(trial, world, setup)
    if resume_from is not None:
        run.restore(Path(resume_from))
    timings = {"time/setup": time.perf_counter() - started, "time/realign": 0.0, "time/finetune": 0.0, "time/eval": 0.0}

    def send(metrics: dict) -> dict:
        if report is not None and not checkpoints:
            report(dict(metrics), None)
        elif report is not None:
            scratch = Path(tempfile.mkdtemp(prefix="realign-ckpt-"))
            try:
                run.save(scratch, optimizer=run.progress.phase != "final")
                report(dict(metrics), scratch)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        return metrics

    def emit(scores: dict[str, float] | None) -> dict:
        run.progress.metrics = run.metrics(scores) | {k: round(v, 3) for k, v in timings.items()}
        return send(run.progress.metrics)

    if run.progress.phase == "final":
        # Resumed from the final checkpoint: the run that wrote it may have ended before its completion
        # was recorded (kill -9, a full disk), so the final result goes out once more. Ray and Optuna
        # take it as that trial's completion; a completion they had already recorded is not counted twice.
        return send(run.progress.metrics)

    metrics = run.progress.metrics
    if trial.realign.mode == "before" and run.progress.phase == "start":
        tick = time.perf_counter()
        run.realign_before()
        timings["time/realign"] += time.perf_counter() - tick
        metrics = emit(None)
    if run.finetune_opt is None:
        run.make_finetune_optimizer()
    for epoch in range(run.progress.epoch, trial.finetune.epochs):
        tick = time.perf_counter()
        run.finetune_epoch(epoch)
        timings["time/finetune"] += time.perf_counter() - tick
        if report is None and epoch + 1 < trial.finetune.epochs:
            continue  # nobody sees intermediate scores: skip the evaluation (the largest CPU item)
        tick = time.perf_counter()
        scores = run.evaluate()
        timings["time/eval"] += time.perf_counter() - tick
        metrics = emit(scores)
    return metrics


@lru_cache(maxsize=4)
def shared_world(name: str, model: str):
    """One World per (world, model) per process: Ray reuses trial actors, so trial 2 skips the loading."""
    from trainables.worlds import get_world

    return get_world(name, model)


def _canonical(trial: TrialConfig, catalog) -> TrialConfig:
    """Languages and targets as canonical catalog codes, whatever alias the config used."""
    from dataclasses import replace

    return replace(
        trial,
        languages=tuple(catalog.resolve(trial.languages, "languages")),
        targets=tuple(catalog.resolve(trial.targets, "targets")),
    )


class UnreadableCheckpoint(Exception):
    """A checkpoint folder that is missing a file or holds a truncated or garbled one."""


def _tensor_bytes(state: object) -> int:
    """Bytes of every tensor in a (nested) state dict: about what ``torch.save`` writes."""
    if isinstance(state, torch.Tensor):
        return state.numel() * state.element_size()
    if isinstance(state, dict):
        return sum(_tensor_bytes(v) for v in state.values())
    if isinstance(state, (list, tuple)):
        return sum(_tensor_bytes(v) for v in state)
    return 0


class TrialDiverged(FloatingPointError):
    """A loss became NaN/inf: the trial fails with this reason instead of training on garbage."""


def _require_finite(loss: torch.Tensor, where: str, hparams: str) -> None:
    """Stop at the first non-finite loss, naming where and the hyperparameters that usually cause it.

    Raising (rather than reporting NaN scores) lets Ray mark the trial failed with this message, which the
    sweep's console line and report show; the sweep goes on with other trials.
    """
    if not bool(torch.isfinite(loss.detach())):
        raise TrialDiverged(
            f"{where} is {float(loss.detach())} ({hparams}): the trial diverged; "
            "try a lower learning rate or a higher temperature"
        )
