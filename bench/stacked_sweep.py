"""Stacked sweeps against running the members one by one, measured as a user meets them.

Two parts, both in one run of this script (the machine's speed drifts between runs; the ratios are what count):

1. **Whole experiments**, end to end: ``python train.py experiment=<E> hydra/launcher=basic`` and the same with
   ``hydra/launcher=stacked``, each a fresh process timed from start to exit (imports, data, every job, summaries),
   alternating basic and stacked per experiment. Experiment I is ``hparams_search=random``.
2. **Member-steps per second** of one stack of K members (:func:`trainlab.stacked.train_stack.train_stack`, the
   whole Lightning stack, epoch ends and validation included) against a hand-written single-model loop (the same
   MLP, data tensors and SGD, batches cut by indexing, nothing else), for K in ``--members``, in ``--rounds``
   interleaved rounds (medians). Both sides run with the heap settings of :mod:`trainlab.heap_reuse` (set once for
   the process, as ``train.py`` sets them), so the ratio measures stacking, not the allocator.

    python bench/stacked_sweep.py                                  # B D F I, then K = 1 4 16 64
    python bench/stacked_sweep.py --experiments D F --members 16   # a subset
    python bench/stacked_sweep.py --experiments I --members --experiment-rounds 3   # medians of 3 alternating runs
    python bench/stacked_sweep.py --device cuda                    # part 2 on a GPU (part 1 follows trainer=)
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import open_dict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))  # bench_cli

from bench_cli import count, device_choice, parser_for  # noqa: E402
from bench_machine import machine_line  # noqa: E402

from trainlab.data.mnist_datamodule import MNISTDataModule  # noqa: E402
from trainlab.heap_reuse import reuse_freed_heap_memory  # noqa: E402
from trainlab.models.mlp import MLP  # noqa: E402
from trainlab.optim import SGD  # noqa: E402
from trainlab.stacked.train_stack import StackJob, train_stack  # noqa: E402

EXPERIMENTS = {"B": ["experiment=compare_optimizers"], "D": ["experiment=compare_init"],
               "F": ["experiment=compare_batchnorm"], "G": ["experiment=overfit_weight_decay"],
               "H": ["experiment=overfit_dropout"], "I": ["hparams_search=random"]}


def time_experiment(name: str, launcher: str, out: Path, data_dir: Path, extra: list[str]) -> float:
    """Wall seconds of ``python train.py <experiment> hydra/launcher=<launcher>`` in a fresh process."""
    command = [sys.executable, str(ROOT / "train.py"), *EXPERIMENTS[name], f"hydra/launcher={launcher}",
               f"hydra.sweep.dir={out / f'{name}_{launcher}'}", "data.source=bundled", f"paths.data_dir={data_dir}",
               "trainer.enable_progress_bar=false", *extra]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return seconds


def seconds_of(work, device: str) -> float:
    """Wall seconds of ``work()``, the device's queue drained before and after."""
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    work()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started


def hand_written_rate(x: torch.Tensor, y: torch.Tensor, batch: int, steps: int, device: str) -> float:
    """Steps/s of a plain loop: forward, cross-entropy, backward, the project's SGD step."""
    torch.manual_seed(0)
    net = MLP(784, [100] * 4, 10).to(device)
    optimizer = SGD(net.parameters(), lr=0.01)
    order = torch.randperm(x.shape[0], device=device)

    def run(count: int) -> None:
        for step in range(count):
            start = (step * batch) % (x.shape[0] - batch)
            rows = order[start:start + batch]
            loss = F.cross_entropy(net(x[rows]), y[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    run(20)
    return steps / seconds_of(lambda: run(steps), device)


def stack_configs(members: int, steps: int, batch: int, device: str, data_dir: Path, out: Path) -> list:
    GlobalHydra.instance().clear()
    configs = []
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        for member in range(members):
            cfg = compose("train", overrides=[
                "data.source=bundled", f"paths.data_dir={data_dir}", f"data.batch_size={batch}", "optimizer=sgd",
                f"optimizer.lr={0.01 * (1 + member % 4)}", f"seed={member}", f"trainer.max_steps={steps}",
                "trainer.max_epochs=-1", "test=false", "logger=none", "callbacks=none", "optimized_metric=null",
                f"trainer={'gpu' if device == 'cuda' else 'cpu'}", "trainer.enable_progress_bar=false"])
            with open_dict(cfg):
                cfg.paths.output_dir = str(out / f"K{members}" / str(member))
                cfg.paths.log_dir = str(out)
            configs.append(StackJob(cfg, []))
    return configs


def stack_rate(members: int, steps: int, batch: int, device: str, data_dir: Path, out: Path) -> float:
    """Member-steps/s of one stack trained by train_stack (whole run: members built, Trainer, epochs, validation,
    status files), from a fresh directory each time."""
    jobs = stack_configs(members, steps, batch, device, data_dir, Path(tempfile.mkdtemp(dir=out)))
    return members * steps / seconds_of(lambda: train_stack(jobs), device)


def main(argv: list[str] | None = None) -> None:
    parser = parser_for(__doc__)
    parser.add_argument("--experiments", nargs="*", default=["B", "D", "F", "I"], choices=sorted(EXPERIMENTS),
                        help="part 1: the experiments timed with both launchers (none: part 2 only)")
    parser.add_argument("--experiment-overrides", nargs="*", default=[],
                        help="extra overrides for part 1 (e.g. trainer.max_steps=200 for a quick look)")
    parser.add_argument("--experiment-rounds", type=count, default=1,
                        help="alternating basic/stacked runs per experiment in part 1 (medians and the ratios' range)")
    parser.add_argument("--members", nargs="*", type=count, default=[1, 4, 16, 64],
                        help="part 2: the stack sizes K (none: part 1 only)")
    parser.add_argument("--steps", type=count, default=300, help="training steps per measurement in part 2")
    parser.add_argument("--rounds", type=count, default=3, help="interleaved measurements per K in part 2 (median)")
    parser.add_argument("--batch-size", type=count, default=128, help="part 2's batch size")
    parser.add_argument("--device", default="cpu", type=device_choice, help="part 2's device: cpu or cuda")
    args = parser.parse_args(argv)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)  # "GPU available: ..." per Trainer
    with tempfile.TemporaryDirectory(prefix="stacked-bench-") as folder:  # the sweeps and stacks, removed after
        run(args, Path(folder))


def run(args: argparse.Namespace, out: Path) -> None:
    """Print both parts' tables; every sweep and stack writes under ``out``."""
    reuse_freed_heap_memory()
    data_dir = ROOT / "data"
    part1 = " ".join(args.experiment_overrides) or "the experiments' own trainer"
    part2 = machine_line(args.device) if args.device == "cuda" else "device cpu"
    print(f"# {machine_line('cpu')}; part 1 (experiments): {part1}; part 2 (one stack): {part2}")
    if args.experiments:
        print("\n| experiment | basic s | stacked s | basic / stacked | each round's ratio |\n|---|---|---|---|---|")
        for name in args.experiments:
            rounds = []
            for index in range(args.experiment_rounds):  # alternating: a drift of the machine hits both launchers
                runs = out / f"round{index}"
                basic = time_experiment(name, "basic", runs, data_dir, args.experiment_overrides)
                stacked = time_experiment(name, "stacked", runs, data_dir, args.experiment_overrides)
                rounds.append((basic, stacked))
            basic, stacked = (statistics.median(r[i] for r in rounds) for i in (0, 1))
            ratios = ", ".join(f"{b / s:.2f}" for b, s in rounds)
            print(f"| {name} | {basic:.1f} | {stacked:.1f} | **{basic / stacked:.2f}** | {ratios} |", flush=True)
    if args.members:
        datamodule = MNISTDataModule(source="bundled", data_dir=str(data_dir))
        datamodule.setup()
        x, y = datamodule.data_train.x.to(args.device), datamodule.data_train.y.to(args.device)
        print("\n| K | stack member-steps/s | hand-written steps/s | stack / hand |\n|---|---|---|---|")
        for members in args.members:
            hands, stacks = [], []
            for _ in range(args.rounds):  # interleaved, so that a drift of the machine's speed hits both sides
                hands.append(hand_written_rate(x, y, args.batch_size, args.steps, args.device))
                stacks.append(stack_rate(members, args.steps, args.batch_size, args.device, data_dir, out))
            hand, stacked = statistics.median(hands), statistics.median(stacks)
            print(f"| {members} | {stacked:.0f} | {hand:.0f} | **{stacked / hand:.2f}** |", flush=True)


if __name__ == "__main__":
    main()
