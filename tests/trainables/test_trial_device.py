"""Device selection: thread count precedence and CPU fallback."""

from __future__ import annotations

import pytest
import torch

from spaces.errors import ConfigError
from trainables import device


def test_thread_count_precedence(monkeypatch) -> None:
    monkeypatch.delenv("REALIGN_SEARCH_THREADS", raising=False)
    monkeypatch.setattr(device, "_ray_allotted_cpus", lambda: None)
    monkeypatch.setattr(device, "available_cpus", lambda: 6)
    assert device.cpu_threads() == 6  # alone: every usable core
    monkeypatch.setattr(device, "_ray_allotted_cpus", lambda: 1)
    assert device.cpu_threads() == 1  # under Ray with 1 CPU per trial
    monkeypatch.setenv("REALIGN_SEARCH_THREADS", "3")
    assert device.cpu_threads() == 3  # the user's override
    assert device.cpu_threads(2) == 2  # an explicit request wins


def test_cpu_setup_applies_its_thread_count() -> None:
    before = torch.get_num_threads()
    try:
        setup = device.select_device("cpu", threads=1)
        assert setup.device.type == "cpu" and setup.autocast_dtype is None and not setup.pin_memory
        assert torch.get_num_threads() == 1 == setup.threads
    finally:
        torch.set_num_threads(before)


def test_no_gpu_means_cpu_or_a_clear_error(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device.select_device("auto", threads=1).device.type == "cpu"
    with pytest.raises(ConfigError, match="device"):
        device.select_device("cuda", threads=1)


def test_fused_adam_matches_reference_adam() -> None:
    torch.manual_seed(0)
    a = torch.nn.Parameter(torch.randn(5, 3))
    b = torch.nn.Parameter(a.detach().clone())
    fast, plain = device.adam([a], 1e-2), torch.optim.Adam([b], lr=1e-2)
    for _ in range(5):
        for p, opt in ((a, fast), (b, plain)):
            opt.zero_grad()
            (p**2).sum().backward()
            opt.step()
    assert torch.allclose(a, b, atol=1e-6)
