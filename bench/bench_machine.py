"""The machine a benchmark ran on, as the first line of its output says it.

Its processor (or GPU), CPUs, torch version and threads, and the rate of one ``size``³ float32 matrix product on the
benchmark's device, measured as the benchmark starts. A figure copied into BENCHMARKS.md so carries the speed of the
hour it was taken in: the project's 2-vCPU development VMs ran that product at 42 to 283 GFLOP/s over the sessions
(one kind of VM at 42 to 229), and every figure moved with it. The benchmarks printed ``platform.processor()``
(empty on most Linux machines, so ``cpu``) or nothing at all.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path

import torch

PRODUCT_SIZE = 1024
CPUINFO = Path("/proc/cpuinfo")


def processor_name() -> str:
    """The CPU's model name (Linux: ``/proc/cpuinfo``), else what ``platform`` knows, else ``cpu``."""
    try:
        for line in CPUINFO.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "cpu"


def product_rate(device: str, size: int = PRODUCT_SIZE, repeats: int = 7) -> float:
    """GFLOP/s of a (size × size) by (size × size) float32 ``torch.mm`` on ``device``: 2·size³ operations over the
    median of ``repeats`` timed products, after one untimed."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    seconds = []
    for _ in range(repeats + 1):
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        torch.mm(a, b)
        if device == "cuda":
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - start)
    return 2 * size**3 / statistics.median(seconds[1:]) / 1e9


def machine_line(device: str) -> str:
    """``device=cpu (<processor>, N CPUs), torch <version>, T threads, a 1024³ float32 product at R GFLOP/s``."""
    name = torch.cuda.get_device_name() if device == "cuda" else f"{processor_name()}, {os.cpu_count()} CPUs"
    return (f"device={device} ({name}), torch {torch.__version__}, {torch.get_num_threads()} threads, a "
            f"{PRODUCT_SIZE}³ float32 product at {product_rate(device):.0f} GFLOP/s")
