"""Training-step rate of trainlab's full stack against a minimal hand-written PyTorch loop.

The stack is exactly what ``python train.py`` runs: :func:`trainlab.train.train` on the composed config (its
datamodule, the MLPClassifier LightningModule, the custom Adam, the default callbacks and TensorBoard logging),
plus one timing callback. The hand-written loop has the same model (784-100-100-100-100-10), the same data tensors
(held on the device, batches cut by indexing a permutation), the same optimizer class and batch size, and nothing
else. Both run in this process, interleaved round by round after a warm-up round; the rate counts only the
intervals between consecutive training steps inside an epoch (epoch-end validation and checkpoints excluded for
both). Median over rounds.

    python bench/step_rate.py [--device cpu|cuda] [--batch-sizes 128 1024] [--steps 300] [--rounds 5]
                              [--override KEY=VALUE ...]      # e.g. compile.enabled=true compile.mode=reduce-overhead
                              [--variant "KEY=VALUE ..." ...] # more stack configurations, interleaved with it

Each ``--variant`` is a further stack configuration (Hydra overrides separated by spaces, on top of
``--override``), timed in the same rounds as the plain stack and the hand-written loop: the way to measure what a
setting costs when the machine's speed drifts by more than the effect between separate runs.

With ``--device cuda`` it also times a hand-written step captured in a CUDA graph (torch.optim.Adam with
capturable=True, as the custom optimizers keep their step count on the host).
"""

from __future__ import annotations

import contextlib
import logging
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import lightning as L
import torch
import torch.nn.functional as F
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, open_dict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_cli, beside this script

from bench_cli import count, device_choice, parser_for  # noqa: E402
from bench_machine import machine_line  # noqa: E402

from trainlab.config_validation import validate_config  # noqa: E402
from trainlab.data.mnist_datamodule import MNISTDataModule  # noqa: E402
from trainlab.errors import ConfigError  # noqa: E402
from trainlab.hydra_errors import one_line_message  # noqa: E402
from trainlab.models.mlp import MLP  # noqa: E402
from trainlab.optim import Adam  # noqa: E402
from trainlab.train import train  # noqa: E402


class StepIntervals(L.Callback):
    """Wall time between consecutive training-step ends inside an epoch (added through the config)."""

    latest: StepIntervals | None = None

    def __init__(self) -> None:
        self.intervals: list[float] = []
        self._last: float | None = None
        StepIntervals.latest = self

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._last = None

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.strategy.root_device.type == "cuda":
            torch.cuda.synchronize()
        now = time.perf_counter()
        if self._last is not None:
            self.intervals.append(now - self._last)
        self._last = now


def stack_config(batch_size: int, steps: int, device: str, data_dir: Path, extra: tuple = ()) -> DictConfig:
    """The stack's config: train.yaml with the benchmark's overrides, then ``extra`` (``--override``, ``--variant``)."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose("train", overrides=[
            "data.source=bundled", f"paths.data_dir={data_dir}", f"data.batch_size={batch_size}", "optimizer=adam",
            f"trainer.max_steps={steps}", "trainer.max_epochs=-1", "seed=0", "test=false",
            f"trainer={'gpu' if device == 'cuda' else 'cpu'}", "optimized_metric=null", *extra,
        ])


def overrides_problem(overrides: tuple, device: str) -> str | None:
    """What trainlab would refuse in a stack configuration's overrides (one line), before anything is timed."""
    try:
        cfg = stack_config(128, 1, device, ROOT / "data", overrides)
        with open_dict(cfg):
            cfg.paths.output_dir = str(ROOT / "outputs" / "step_rate_check")  # read by no check, only resolved
        validate_config(cfg, machine=False)
    except HydraException as error:
        return one_line_message(error)
    except ConfigError as error:
        return str(error)
    return None


def stack_rate(batch_size: int, steps: int, device: str, data_dir: Path, out: Path, extra: tuple = ()) -> float:
    """Steps/s of train(cfg) over ``steps`` optimizer steps."""
    cfg = stack_config(batch_size, steps, device, data_dir, extra)
    with open_dict(cfg):
        cfg.paths.output_dir = str(out)
        cfg.callbacks.step_timer = {"_target_": f"{__name__}.StepIntervals"}
    with contextlib.redirect_stdout(sys.stderr):  # the progress bar draws on stderr; stdout is the table
        train(cfg)
    timer = StepIntervals.latest
    return len(timer.intervals) / sum(timer.intervals)


def handwritten_rate(batch_size: int, steps: int, device: str, data_dir: Path) -> float:
    """Steps/s of the minimal loop: same model, data tensors, optimizer class, batch size."""
    dm = MNISTDataModule(source="bundled", data_dir=str(data_dir), batch_size=batch_size)
    dm.setup()
    x, y = dm.data_train.x.to(device), dm.data_train.y.to(device)
    torch.manual_seed(0)
    model = MLP().to(device)
    optimizer = Adam(model.parameters(), lr=0.001)
    intervals, done, n = [], 0, x.shape[0]
    generator = torch.Generator().manual_seed(0)
    while done < steps:
        order = torch.randperm(n, generator=generator).to(device)
        last = None
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            loss = F.cross_entropy(model(x[rows]), y[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if device == "cuda":
                torch.cuda.synchronize()
            now = time.perf_counter()
            if last is not None:
                intervals.append(now - last)
            last = now
            done += 1
            if done >= steps:
                break
    return len(intervals) / sum(intervals)


def cuda_graph_rate(batch_size: int, steps: int, data_dir: Path) -> float:
    """Steps/s of a hand-written step (forward, backward, Adam) captured once in a CUDA graph and replayed."""
    dm = MNISTDataModule(source="bundled", data_dir=str(data_dir), batch_size=batch_size)
    dm.setup()
    x, y = dm.data_train.x.cuda(), dm.data_train.y.cuda()
    model = MLP().cuda()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, capturable=True, foreach=True)
    static_x, static_y = x[:batch_size].clone(), y[:batch_size].clone()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):  # warm-up on a side stream, as capture requires
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(static_x), static_y).backward()
            optimizer.step()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    optimizer.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        F.cross_entropy(model(static_x), static_y).backward()
        optimizer.step()
    order = torch.randperm(x.shape[0], device="cuda")
    batches = x.shape[0] // batch_size
    torch.cuda.synchronize()
    start = time.perf_counter()
    for step in range(steps):
        rows = order[(step % batches) * batch_size:(step % batches + 1) * batch_size]
        static_x.copy_(x[rows])
        static_y.copy_(y[rows])
        graph.replay()
    torch.cuda.synchronize()
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = parser_for(__doc__)
    parser.add_argument("--device", default="cpu", type=device_choice, help="cpu or cuda")
    parser.add_argument("--batch-sizes", type=count, nargs="+", default=[128, 1024], help="one row each")
    parser.add_argument("--steps", type=count, default=300, help="training steps per measurement")
    parser.add_argument("--rounds", type=count, default=5, help="interleaved rounds after a warm-up (median)")
    parser.add_argument("--override", nargs="*", default=[], help="extra Hydra overrides for the stack")
    parser.add_argument("--variant", action="append", default=[], metavar="OVERRIDES",
                        help="a further stack configuration, overrides separated by spaces (repeatable)")
    args = parser.parse_args()
    configs = {"stack": tuple(args.override)}
    configs.update({variant: (*args.override, *variant.split()) for variant in args.variant})
    for config, overrides in configs.items():
        problem = overrides_problem(overrides, args.device)
        if problem:
            parser.error(f"{'--override' if config == 'stack' else f'--variant {config!r}'}: {problem}")
    logging.disable(logging.WARNING)  # the table alone on stdout, once the configurations are known to be good
    warnings.filterwarnings("ignore")
    print(f"# step rate, {machine_line(args.device)}")
    header = "| batch | stack config | stack steps/s | hand-written steps/s | stack / hand |"
    header += " CUDA-graph steps/s | stack / graph |" if args.device == "cuda" else ""
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        for batch_size in args.batch_sizes:
            stack, hand = {config: [] for config in configs}, []
            for round_index in range(args.rounds + 1):  # round 0 is the warm-up
                for config_index, (config, overrides) in enumerate(configs.items()):
                    run_dir = Path(tmp) / f"run_{batch_size}_{round_index}_{config_index}"
                    rate = stack_rate(batch_size, args.steps, args.device, data_dir, run_dir, overrides)
                    if round_index:
                        stack[config].append(rate)
                rate = handwritten_rate(batch_size, args.steps, args.device, data_dir)
                if round_index:
                    hand.append(rate)
            h = statistics.median(hand)
            g = cuda_graph_rate(batch_size, args.steps * 5, data_dir) if args.device == "cuda" else None
            for config in configs:
                s = statistics.median(stack[config])
                label = "default" if config == "stack" else f"`{config}`"
                row = f"| {batch_size} | {label} | {s:.0f} | {h:.0f} | {s / h:.2f} |"
                if g is not None:
                    row += f" {g:.0f} | {s / g:.2f} |"
                print(row, flush=True)


if __name__ == "__main__":
    main()
