"""Realignment step throughput (parallel pairs per second): our loop vs the paper's straightforward loop.

Ours is ``trainables.trial.TrialRun.realign_before`` exactly as a trial runs it: batches padded only to
their longest sentence, and on CUDA bf16 autocast and pinned host memory (``trainables.device``).
The reference loop, written here, is how the paper ran: every sentence pre-tokenised and padded to
``max_length`` (96), fp32, batches moved with a plain ``.to(device)``. Both train a copy of the SAME
encoder + projection head (``trainables.realign.Realigner``, so the loss is identical) with Adam at
batch 16 on the same languages' pairs, timed alternately in one process after a warm-up.

Default: the tiny world's encoder on CPU. ``--device cuda --arch mbert`` swaps in a randomly
initialised encoder of mBERT's architecture (``trainables.real.models.random_init_dir``, no hub) and
runs on the GPU; the data are still the tiny world's sentences (token ids are valid in mBERT's larger
vocabulary), so sentence lengths -- and with them the padding saved -- are the tiny world's, shorter
than OPUS-100's.
"""

from __future__ import annotations

import copy
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch

from benchmarks import _common

DEFAULT_LANGUAGES = "de,hi,ja,swh_Latn,yor_Latn,amh_Ethi"
MBERT_VOCAB = 119547  # mBERT's vocabulary size: the embedding matrix (and Adam's work) at full size


class EncoderSwap:
    """A World that serves another world's data with a different encoder directory (``--arch mbert``)."""

    def __init__(self, world, model_path: str) -> None:
        self._world, self._model_path = world, model_path
        self.name = getattr(world, "name", "tiny")

    def model_path(self) -> str:
        return self._model_path

    def __getattr__(self, attr: str):
        return getattr(self._world, attr)


@dataclass
class Counted:
    """Sentences and padded token positions the encoder is fed (a hook on it; no loop is copied)."""

    sentences: int = 0
    positions: int = 0

    @classmethod
    def attach(cls, encoder: torch.nn.Module) -> Counted:
        counted = cls()

        def hook(_module, args, kwargs) -> None:
            ids = kwargs.get("input_ids", args[0] if args else None)
            counted.sentences += int(ids.shape[0])
            counted.positions += int(ids.numel())

        encoder.register_forward_pre_hook(hook, with_kwargs=True)
        return counted

    @property
    def padded_length(self) -> float:
        return self.positions / max(self.sentences, 1)


def paper_realigner(ours):
    """A copy of ``ours`` (same weights, same loss) that encodes each batch in one call, as the paper did."""
    from trainables.realign import Realigner

    reference = Realigner(
        copy.deepcopy(ours.encoder),
        ours.special_ids,
        proj_dim=ours.head.net[-1].out_features,
        temperature=ours.temperature,
        layer=ours.layer,
    )
    reference.head.load_state_dict(ours.head.state_dict())
    return reference


class ReferenceLoop:
    """The paper's realignment loop: inputs padded to ``max_length``, fp32, no pinning, Adam.

    Sentences are tokenised once up front (as a ``datasets.map(padding="max_length")`` would), so the
    timed part is the same work as ours minus the optimisations: sampling, moving, forward, backward, step.
    """

    def __init__(
        self,
        realigner: torch.nn.Module,
        tokenizer,
        world,
        languages: Sequence[str],
        *,
        batch_size: int,
        max_length: int,
        lr: float,
        device: torch.device,
        seed: int = 0,
    ) -> None:
        self.realigner, self.device = realigner.to(device), device
        self.batch_size, self.lr = batch_size, lr
        self.rng = np.random.default_rng(seed)
        self.pairs = []
        for lang in languages:
            ds = world.parallel(lang)
            sides = [
                tokenizer(
                    ds[side][:], padding="max_length", truncation=True, max_length=max_length, return_tensors="pt"
                )
                for side in ("src", "tgt")
            ]
            self.pairs.append(sides)

    def run(self, steps: int) -> None:
        self.realigner.train()
        optimizer = torch.optim.Adam(self.realigner.parameters(), lr=self.lr)
        for _ in range(steps):
            src, tgt = self.pairs[self.rng.integers(len(self.pairs))]
            rows = torch.from_numpy(self.rng.choice(len(src["input_ids"]), self.batch_size, replace=False))
            ids = torch.cat([src["input_ids"][rows], tgt["input_ids"][rows]]).to(self.device)
            mask = torch.cat([src["attention_mask"][rows], tgt["attention_mask"][rows]]).to(self.device)
            loss = self.realigner(ids, mask)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if self.device.type == "cuda":
            torch.cuda.synchronize()


def mbert_world(world, root: Path):
    """``world``'s data with a randomly initialised encoder of mBERT's architecture (full vocabulary)."""
    from trainables.real.models import random_init_dir

    path = random_init_dir("mbert", world.tokenizer(), root, seed=0, overrides={"vocab_size": MBERT_VOCAB})
    return EncoderSwap(world, str(path))


def measure(
    world,
    languages: Sequence[str],
    *,
    device: str,
    threads: int | None,
    steps: int,
    repeats: int,
    warmup: int,
    lr: float = 2e-5,
    batch_size: int = 16,
    max_length: int = 96,
) -> dict:
    """Pairs/s of both loops (medians over ``repeats`` alternating blocks of ``steps`` steps)."""
    from spaces.trial_config import FinetuneParams, RealignParams, TrialConfig
    from trainables.device import select_device
    from trainables.trial import Progress, TrialRun

    setup = select_device(device, threads=threads)
    trial = TrialConfig(
        languages=tuple(languages),
        world="tiny",
        task="pos",
        targets=("en",),
        realign=RealignParams(steps=steps, batch_size=batch_size, max_length=max_length, lr=lr),
        finetune=FinetuneParams(train_size=32),
    )
    ours = TrialRun(trial, world, setup)
    reference = ReferenceLoop(
        paper_realigner(ours.realigner),
        world.tokenizer(),
        world,
        languages,
        batch_size=batch_size,
        max_length=max_length,
        lr=lr,
        device=setup.device,
    )
    ours_fed, reference_fed = Counted.attach(ours.realigner.encoder), Counted.attach(reference.realigner.encoder)

    def run_ours() -> None:
        ours.progress = Progress()  # restart the step counter: a fresh block of `steps` steps
        ours.realign_before()
        if setup.is_cuda:
            torch.cuda.synchronize()

    times = _common.interleaved(
        {"ours": run_ours, "reference": lambda: reference.run(steps)}, repeats=repeats, warmup=warmup
    )
    pairs = steps * batch_size
    rate = {name: pairs / _common.median(seconds) for name, seconds in times.items()}
    return {
        "device": str(setup.device),
        "threads": setup.threads,
        "autocast": str(setup.autocast_dtype).replace("torch.", "") if setup.autocast_dtype else "fp32",
        "pin_memory": setup.pin_memory,
        "params_m": sum(p.numel() for p in ours.realigner.parameters()) / 1e6,
        "pairs_per_s": rate,
        "times": times,
        "padded_length": {"ours": ours_fed.padded_length, "reference": reference_fed.padded_length},
        "length_groups": getattr(ours.realigner, "length_groups", 1),
        "content_tokens": float(
            np.mean(
                [
                    len(p.row(side, i))
                    for p in ours.data.parallel.values()
                    for side in ("src", "tgt")
                    for i in range(len(p))
                ]
            )
        ),
        "speedup": rate["ours"] / rate["reference"],
    }


def table(result: dict, steps: int, repeats: int, batch_size: int = 16) -> str:
    groups = result["length_groups"]
    ours_cfg = (
        "pad to longest in batch"
        + (f", encoded in {groups} length-sorted slices" if groups > 1 else "")
        + f", {result['autocast']}, fused Adam"
        + (", pinned memory" if result["pin_memory"] else "")
    )
    rows = [
        [
            "ours (`TrialRun.realign_before`)",
            ours_cfg,
            _common.fmt(result["padded_length"]["ours"], 1),
            _common.fmt(result["pairs_per_s"]["ours"], 1),
            _common.fmt(result["speedup"]) + "x",
        ],
        [
            "reference (paper's loop)",
            "pad to max_length 96, fp32, Adam",
            _common.fmt(result["padded_length"]["reference"], 1),
            _common.fmt(result["pairs_per_s"]["reference"], 1),
            "1.00x",
        ],
    ]
    out = _common.markdown_table(
        ["loop", "inputs", "padded tokens per sentence", "pairs/s (median)", "ratio"],
        rows,
        align=["l", "l", "r", "r", "r"],
    )
    return (
        out + f"\n\n{result['device']}, {result['threads']} thread(s), encoder + head "
        f"{result['params_m']:.2f}M parameters, batch {batch_size} pairs, {repeats} alternating blocks "
        f"of {steps} steps after warm-up; mean sentence length {result['content_tokens']:.1f} subword "
        "tokens (with [CLS]/[SEP])."
    )


def main(argv: Sequence[str] | None = None, world=None) -> int:
    p = _common.parser(__doc__.split("\n")[0])
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument(
        "--arch",
        choices=("tiny", "mbert"),
        default="tiny",
        help="tiny: the tiny world's encoder; mbert: random init of mBERT's architecture",
    )
    p.add_argument("--languages", default=DEFAULT_LANGUAGES, help="comma-separated realignment languages")
    p.add_argument("--steps", type=int, default=None, help="steps per timed block")
    p.add_argument("--repeats", type=int, default=None, help="timed blocks per loop")
    p.add_argument(
        "--threads", type=int, default=1, help="CPU threads (default 1: what a Ray trial with cpus_per_trial=1 gets)"
    )
    args = p.parse_args(argv)
    steps = args.steps or (2 if args.quick else 20)
    repeats = args.repeats or (1 if args.quick else 5)
    if world is None:
        from trainables.tinyworld import load_world

        world = load_world(0)
    _common.print_header("Realignment throughput: ours vs the paper's loop", __file__, argv)
    with tempfile.TemporaryDirectory(prefix="realign-bench-") as tmp:
        if args.arch == "mbert":
            world = mbert_world(world, Path(tmp))
        result = measure(
            world,
            args.languages.split(","),
            device=args.device,
            threads=args.threads,
            steps=steps,
            repeats=repeats,
            warmup=1,
        )
    print(table(result, steps, repeats))
    return 0


if __name__ == "__main__":
    from spaces.errors import ConfigError

    try:
        raise SystemExit(main())
    except ConfigError as err:  # e.g. --device cuda on a machine without a GPU
        print(f"realign_throughput: {err}", file=sys.stderr)
        raise SystemExit(2) from None
