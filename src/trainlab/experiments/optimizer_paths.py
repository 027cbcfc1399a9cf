"""Experiment A - the paths of SGD, Momentum, AdaGrad and Adam on f(x, y) = x²/20 + y² (the book's Fig. 6-8).

f is a bowl stretched along x: its gradient (x/10, 2y) points mostly along y, so SGD zig-zags across the valley
while Momentum, AdaGrad and Adam head for the minimum at (0, 0) more directly. Each optimizer (the project's own,
from :mod:`trainlab.optim`) starts at (-7, 2) and makes 30 updates with the book's learning rate; the result is a
2×2 contour figure and a CSV of every path.

    python -m trainlab.experiments.optimizer_paths [--out DIR] [--steps 30]

``--steps`` goes up to :data:`MAX_STEPS`.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import torch

from trainlab.errors import UserError
from trainlab.experiments.integer_option import integer_in
from trainlab.experiments.output_dir import experiment_output_dir
from trainlab.optim import SGD, AdaGrad, Adam, Momentum

START = (-7.0, 2.0)
STEPS = 30
#: ``--steps`` at most: by then every path has settled at the minimum (its end prints as (0, 0), f = 0) and the figure
#: shows nothing more; the run takes seconds and its CSV ~300 KB. An unbounded --steps 1000000000 ran for days
#: (about 1 ms per update of the four), after the output directory was made, for one unreadable figure
MAX_STEPS = 1000
OPTIMIZERS = {  # the book's settings for this figure
    "SGD": lambda p: SGD(p, lr=0.95),
    "Momentum": lambda p: Momentum(p, lr=0.1, momentum=0.9),
    "AdaGrad": lambda p: AdaGrad(p, lr=1.5),
    "Adam": lambda p: Adam(p, lr=0.3),
}


def f(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """f(x, y) = x²/20 + y²."""
    return x**2 / 20.0 + y**2


def optimizer_path(make_optimizer, steps: int = STEPS, start: tuple[float, float] = START) -> list[tuple[float, float]]:
    """The points visited: ``start`` then one point per update (float64, gradients from autograd)."""
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([point])
    path = [tuple(point.tolist())]
    for _ in range(steps):
        optimizer.zero_grad()
        f(point[0], point[1]).backward()
        optimizer.step()
        path.append(tuple(point.tolist()))
    return path


def all_paths(steps: int = STEPS) -> dict[str, list[tuple[float, float]]]:
    return {name: optimizer_path(make, steps) for name, make in OPTIMIZERS.items()}


def plot_paths(paths: dict[str, list[tuple[float, float]]], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs, ys = torch.meshgrid(torch.linspace(-10, 10, 200), torch.linspace(-5, 5, 200), indexing="xy")
    zs = f(xs, ys)
    fig, axes = plt.subplots(2, 2, figsize=(10, 8), constrained_layout=True)
    for ax, (name, path) in zip(axes.flat, paths.items(), strict=True):
        px, py = zip(*path, strict=True)
        ax.contour(xs.numpy(), ys.numpy(), zs.numpy(), levels=[0.5, 1, 2, 4, 8, 12, 16, 20], colors="0.75")
        ax.plot(px, py, "o-", color="red", markersize=3, linewidth=1)
        ax.plot(0, 0, "+", color="black", markersize=10)
        ax.set(title=name, xlabel="x", ylabel="y", xlim=(-10, 10), ylim=(-5, 5))
    updates = len(next(iter(paths.values()))) - 1  # --steps: the title said 30 whatever it was
    fig.suptitle(f"Optimizer paths on f(x, y) = x²/20 + y², start (-7, 2), {updates} update{'s' * (updates != 1)}")
    fig.savefig(png, dpi=100)
    plt.close(fig)


def write_csv(paths: dict[str, list[tuple[float, float]]], csv_path: Path) -> None:
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["optimizer", "step", "x", "y", "f"])
        for name, path in paths.items():
            for step, (x, y) in enumerate(path):
                writer.writerow([name, step, x, y, x * x / 20 + y * y])


#: ``--steps``: an integer from 1 to :data:`MAX_STEPS`, refused by the parser (exit 2) before anything is made
steps_argument = integer_in(1, MAX_STEPS, f" (the book's figure: {STEPS}; by {MAX_STEPS} every path has settled at "
                                          "the minimum)")


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="output directory (default outputs/experiments/optimizer_paths/<date>_<time>)")
    parser.add_argument("--steps", type=steps_argument, default=STEPS,
                        help=f"updates per optimizer, 1 to {MAX_STEPS} (default and book: {STEPS})")
    args = parser.parse_args(argv)
    try:
        out = experiment_output_dir("optimizer_paths", args.out, writes=["optimizer_paths.png", "optimizer_paths.csv"])
    except UserError as error:  # an --out that is a file, or holds an earlier result
        parser.error(str(error))  # exit 2
    paths = all_paths(args.steps)
    plot_paths(paths, out / "optimizer_paths.png")
    write_csv(paths, out / "optimizer_paths.csv")
    for name, path in paths.items():
        x, y = path[-1]
        print(f"{name:9s} end ({x:+.4f}, {y:+.4f})  f = {x * x / 20 + y * y:.6f}")
    print(f"wrote {out / 'optimizer_paths.png'} and {out / 'optimizer_paths.csv'}")
    return out


if __name__ == "__main__":
    main()
