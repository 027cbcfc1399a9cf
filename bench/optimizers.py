"""Step time of trainlab's optimizers against the fastest torch.optim variant of the same rule.

The parameters are those of the book's 5-layer MLP (784-100-100-100-100-10, 119,910 values in 10 tensors). Only
``optimizer.step()`` is timed, with fixed gradients in place; custom and torch steps are interleaved round by round
so that both see the same machine state. torch's variant is ``fused=True`` where torch has a fused kernel for the
device, else ``foreach=True``.

    python bench/optimizers.py [--device cpu|cuda] [--steps 200] [--rounds 15] [--compiled]

Prints one markdown row per optimizer: median µs per step for each and the ratio custom / torch.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

from trainlab.models.mlp import MLP
from trainlab.optim import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSProp

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_cli, beside this script
from bench_cli import count, device_choice, parser_for  # noqa: E402
from bench_machine import machine_line  # noqa: E402

PAIRS = {  # name: (custom factory, torch factory taking the fused/foreach keyword)
    "SGD": (lambda p, **c: SGD(p, lr=0.01, **c), lambda p, **k: torch.optim.SGD(p, lr=0.01, **k)),
    "Momentum": (
        lambda p, **c: Momentum(p, lr=0.01, momentum=0.9, **c),
        lambda p, **k: torch.optim.SGD(p, lr=0.01, momentum=0.9, **k),
    ),
    "Nesterov": (
        lambda p, **c: Nesterov(p, lr=0.01, momentum=0.9, **c),
        lambda p, **k: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True, **k),
    ),
    "AdaGrad": (lambda p, **c: AdaGrad(p, lr=0.01, **c), lambda p, **k: torch.optim.Adagrad(p, lr=0.01, eps=1e-7, **k)),
    "RMSProp": (
        lambda p, **c: RMSProp(p, lr=0.01, **c),
        lambda p, **k: torch.optim.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-7, **k),
    ),
    "Adam": (lambda p, **c: Adam(p, lr=0.001, **c), lambda p, **k: torch.optim.Adam(p, lr=0.001, eps=1e-7, **k)),
}


def book_mlp_params(device: str) -> list[torch.nn.Parameter]:
    params = list(MLP().to(device).parameters())
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    return params


def fastest_torch(factory, device: str):
    """fused=True when torch supports it for this rule and device, else foreach=True."""
    try:
        optimizer = factory(book_mlp_params(device), fused=True)
        optimizer.step()
        return optimizer, "fused"
    except (RuntimeError, TypeError, ValueError):
        return factory(book_mlp_params(device), foreach=True), "foreach"


def time_steps(optimizer, steps: int, device: str) -> float:
    """Seconds per step over ``steps`` steps."""
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.step()
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = parser_for(__doc__)
    parser.add_argument("--device", default="cpu", type=device_choice, help="cpu or cuda")
    parser.add_argument("--steps", type=count, default=200, help="timed steps per round")
    parser.add_argument("--rounds", type=count, default=15, help="interleaved rounds (median)")
    parser.add_argument("--compiled", action="store_true",
                        help="also time compile=True (torch.compile of the per-tensor rule; compiles each first)")
    args = parser.parse_args()
    device = args.device
    print(f"# optimizer step, book 5-layer MLP params, {machine_line(device)}")
    header = "| optimizer | torch variant | custom µs/step | torch µs/step | custom / torch |"
    if args.compiled:
        header += " compiled µs/step | compiled / torch | compile s |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for opt_name, (custom_factory, torch_factory) in PAIRS.items():
        custom = custom_factory(book_mlp_params(device))
        reference, variant = fastest_torch(torch_factory, device)
        contenders = [custom, reference]
        if args.compiled:
            compiled = custom_factory(book_mlp_params(device), compile=True)
            start = time.perf_counter()
            compiled.step()  # the compilation
            compile_seconds = time.perf_counter() - start
            contenders.append(compiled)
        for optimizer in contenders:  # warm-up: state allocation, kernel caches, the recompilation for new scalars
            time_steps(optimizer, 20, device)
        times = [[] for _ in contenders]
        for _ in range(args.rounds):
            for optimizer, seconds in zip(contenders, times, strict=True):
                seconds.append(time_steps(optimizer, args.steps, device))
        c, t, *rest = (statistics.median(seconds) * 1e6 for seconds in times)
        row = f"| {opt_name} | {variant} | {c:.1f} | {t:.1f} | {c / t:.2f} |"
        if args.compiled:
            row += f" {rest[0]:.1f} | {rest[0] / t:.2f} | {compile_seconds:.1f} |"
        print(row, flush=True)


if __name__ == "__main__":
    main()
