"""Forward + backward time of trainlab's BatchNorm against torch.nn.BatchNorm1d, training mode.

For each input shape, one timed iteration is ``y = bn(x); y.backward(dy)`` (running statistics updated, input,
γ and β gradients computed). Custom and torch are interleaved round by round; the median of the rounds is kept.

    python bench/batch_norm.py [--device cpu|cuda] [--iters 300] [--rounds 15]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

from trainlab.nn.batch_norm import BatchNorm

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_cli, beside this script
from bench_cli import count, device_choice, parser_for  # noqa: E402
from bench_machine import machine_line  # noqa: E402

SHAPES = [(128, 100), (1024, 100)]


def time_fwd_bwd(module: nn.Module, x: torch.Tensor, dy: torch.Tensor, iters: int) -> float:
    if x.is_cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(iters):
        module(x).backward(dy)
    if x.is_cuda:
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / iters


def main() -> None:
    parser = parser_for(__doc__)
    parser.add_argument("--device", default="cpu", type=device_choice, help="cpu or cuda")
    parser.add_argument("--iters", type=count, default=300, help="timed iterations per round")
    parser.add_argument("--rounds", type=count, default=15, help="interleaved rounds (median)")
    args = parser.parse_args()
    print(f"# BatchNorm forward+backward, {machine_line(args.device)}")
    print("| input (N, C) | custom µs | torch µs | custom / torch |")
    print("|---|---|---|---|")
    for n, c in SHAPES:
        x = torch.randn(n, c, device=args.device, requires_grad=True)
        dy = torch.randn(n, c, device=args.device)
        ours, theirs = BatchNorm(c).to(args.device), nn.BatchNorm1d(c).to(args.device)
        for module in (ours, theirs):
            time_fwd_bwd(module, x, dy, 30)
        ours_t, theirs_t = [], []
        for _ in range(args.rounds):
            ours_t.append(time_fwd_bwd(ours, x, dy, args.iters))
            theirs_t.append(time_fwd_bwd(theirs, x, dy, args.iters))
        a, b = statistics.median(ours_t) * 1e6, statistics.median(theirs_t) * 1e6
        print(f"| ({n}, {c}) | {a:.1f} | {b:.1f} | {a / b:.2f} |", flush=True)


if __name__ == "__main__":
    main()
