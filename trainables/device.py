"""Where a trial computes: CUDA with bf16 autocast and pinned host memory, else CPU with a sane thread count.

On CPU the thread count matters more than anything else: Ray runs several trials side by side, and
each PyTorch process defaults to one thread per core, so two trials on two cores would fight over four
threads. A trial therefore uses exactly the CPUs Ray allotted to it (one thread when that is 1), and
all usable cores when it runs on its own.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class DeviceSetup:
    device: torch.device
    autocast_dtype: torch.dtype | None  # bf16 on CUDA; None = full precision
    pin_memory: bool
    threads: int

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def autocast(self) -> contextlib.AbstractContextManager:
        """bf16 autocast on CUDA (no loss scaling needed, unlike fp16); a no-op on CPU."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype)

    def to_device(self, tensor: torch.Tensor) -> torch.Tensor:
        if self.pin_memory:
            return tensor.pin_memory().to(self.device, non_blocking=True)
        return tensor.to(self.device)


def _ray_allotted_cpus() -> int | None:
    """CPUs Ray reserved for the current task/actor, or None outside a Ray worker."""
    try:
        import ray
    except ImportError:  # pragma: no cover - ray is a dependency, but keep the module importable
        return None
    if not ray.is_initialized():
        return None
    try:
        cpus = ray.get_runtime_context().get_assigned_resources().get("CPU")
    except Exception:  # the driver has no assigned resources
        return None
    return max(1, int(round(cpus))) if cpus else None


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        return os.cpu_count() or 1


def cpu_threads(requested: int | None = None) -> int:
    """Explicit request > ``$REALIGN_SEARCH_THREADS`` > Ray's allotment > every usable core."""
    requested = requested or int(os.environ.get("REALIGN_SEARCH_THREADS") or 0)
    if requested:
        return max(1, requested)
    return _ray_allotted_cpus() or available_cpus()


def select_device(prefer: str = "auto", threads: int | None = None) -> DeviceSetup:
    """Pick the device for a trial and configure PyTorch threads accordingly.

    ``prefer``: ``auto`` (CUDA if present), ``cuda`` or ``cpu``. ``REALIGN_SEARCH_DEVICE`` overrides
    ``auto`` so a user can keep a GPU machine's trial on CPU without editing configs.
    """
    prefer = os.environ.get("REALIGN_SEARCH_DEVICE", prefer) if prefer == "auto" else prefer
    n = cpu_threads(threads)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    if prefer in ("auto", "cuda") and torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        bf16 = torch.cuda.is_bf16_supported()
        return DeviceSetup(torch.device("cuda"), torch.bfloat16 if bf16 else None, True, n)
    if prefer == "cuda":
        from spaces.errors import ConfigError

        raise ConfigError("device", "CUDA was requested but no GPU is visible", ["auto", "cpu"])
    return DeviceSetup(torch.device("cpu"), None, False, n)


def adam(params, lr: float) -> torch.optim.Adam:
    """Plain Adam (no weight decay), in its fused kernel: ~7x faster steps than the default on CPU."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):  # a device/dtype without the fused kernel
        return torch.optim.Adam(params, lr=lr, foreach=True)
