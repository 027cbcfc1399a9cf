"""Experiment C - activation distributions of a 5-layer net under different initial weight scales (Figs. 6-10..14).

A batch of 1,000 standard-normal inputs with 100 features goes through 5 fully connected layers of 100 units (no
bias), each followed by the activation. With sigmoid and std 1 the activations pile up at 0 and 1 (vanishing
gradients); with std 0.01 they collapse towards one value (no expressiveness); Xavier (√(1/n)) keeps sigmoid/tanh
spread out and He (√(2/n)) does the same for ReLU.

    python -m trainlab.experiments.activations [--out DIR]

Writes one PNG of per-layer histograms (30 bins) per (activation, init) case, an overview grid, ``stats.csv``,
and prints the per-layer mean / std table.
"""

from __future__ import annotations

import argparse
import csv
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch import nn

from trainlab.config_validation import SEED_RANGE
from trainlab.errors import UserError
from trainlab.experiments.integer_option import integer_in
from trainlab.experiments.output_dir import experiment_output_dir
from trainlab.init import he_init, normal_init, xavier_init
from trainlab.models.mlp import make_activation
from trainlab.models.net_choices import ACTIVATIONS

NUM_LAYERS, WIDTH, BATCH, BINS = 5, 100, 1000, 30
INITS = {  # the book's four weight scales, through the project's initializers
    "std=1": partial(normal_init, std=1.0),
    "std=0.01": partial(normal_init, std=0.01),
    "xavier": xavier_init,
    "he": he_init,
}
#: the book's histogram ranges; an activation added to ``ACTIVATIONS`` (docs/extending.md) is drawn over the
#: central 99 % of its values in the case's five layers, one range for the row (:func:`histogram_range`)
HIST_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 1.0)}
#: the quantiles that bound an activation's range without a book's one: min and max let a few large values (GELU at
#: std 1 reaches ~1.7e5 in layer 5) squeeze every other layer into one bin
VALUE_QUANTILES = (0.005, 0.995)


def histogram_range(activation: str, outputs: list[torch.Tensor]) -> tuple[float, float]:
    """The book's range for ``activation`` (:data:`HIST_RANGE`), else the :data:`VALUE_QUANTILES` of all of
    ``outputs``' values (an empty range widened by one either side, as ``np.histogram`` widens it)."""
    if activation in HIST_RANGE:
        return HIST_RANGE[activation]
    values = torch.cat([layer.flatten() for layer in outputs]).double()
    low, high = (float(q) for q in torch.quantile(values, torch.tensor(VALUE_QUANTILES, dtype=values.dtype)))
    return (low, high) if high > low else (low - 1.0, high + 1.0)


def layer_activations(activation: str, init: str, seed: int = 0) -> list[torch.Tensor]:
    """The output of each of the 5 layers (after the activation) for ``randn(1000, 100)``."""
    torch.manual_seed(seed)
    x = torch.randn(BATCH, WIDTH)
    layers = nn.ModuleList(nn.Linear(WIDTH, WIDTH, bias=False) for _ in range(NUM_LAYERS))
    INITS[init](layers)
    act = make_activation(activation)
    outputs = []
    with torch.no_grad():
        for layer in layers:
            x = act(layer(x))
            outputs.append(x)
    return outputs


def case_png_name(activation: str, init: str) -> str:
    """File of one case's histograms, e.g. ``sigmoid_std0.01.png``."""
    return f"{activation}_{init.replace('=', '')}.png"


def all_cases(seed: int = 0) -> dict[tuple[str, str], list[torch.Tensor]]:
    return {(a, i): layer_activations(a, i, seed) for a in ACTIVATIONS for i in INITS}


def plot_case(ax_row, outputs: list[torch.Tensor], activation: str) -> None:
    value_range = histogram_range(activation, outputs)
    for index, (ax, values) in enumerate(zip(ax_row, outputs, strict=True)):
        # one filled outline per histogram (ax.hist draws a patch per bin: 3,600 patches, most of the run's time)
        counts, edges = np.histogram(values.flatten().numpy(), bins=BINS, range=value_range)
        ax.stairs(counts, edges, fill=True, color="tab:blue")
        ax.set_title(f"layer {index + 1}", fontsize=8)
        ax.tick_params(labelsize=6)
        if index:
            ax.set_yticks([])


#: ``--seed``: an integer in :data:`~trainlab.config_validation.SEED_RANGE`, the seeds a run's ``seed`` takes. Past
#: 2**64 - 1 ``torch.manual_seed`` raised ``ValueError: Overflow when unpacking long long`` (a traceback, after the
#: output directory was made), and a negative seed wrapped silently (``-1`` drew what ``18446744073709551615`` draws)
seed_argument = integer_in(*SEED_RANGE)


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="output directory (default outputs/experiments/activations/<date>_<time>)")
    parser.add_argument("--seed", type=seed_argument, default=0,
                        help=f"seed of the inputs and weights, {SEED_RANGE[0]} to {SEED_RANGE[1]} (default 0)")
    args = parser.parse_args(argv)
    case_files = [case_png_name(activation, init) for activation in ACTIVATIONS for init in INITS]
    try:
        out = experiment_output_dir("activations", args.out, writes=[*case_files, "overview.png", "stats.csv"])
    except UserError as error:  # an --out that is a file, or holds an earlier result
        parser.error(str(error))  # exit 2

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = all_cases(args.seed)
    # fixed margins: constrained_layout re-measured every label of the 65 axes and took half of the run
    overview, grid = plt.subplots(len(cases), NUM_LAYERS, figsize=(12, 1.6 * len(cases)),
                                  gridspec_kw={"left": 0.07, "right": 0.99, "top": 0.96, "bottom": 0.015,
                                               "wspace": 0.12, "hspace": 0.45})
    rows = []
    print(f"{'activation':10s} {'init':9s} " + " ".join(f"{'layer ' + str(i + 1):>17s}" for i in range(NUM_LAYERS)))
    for row, ((activation, init), outputs) in enumerate(cases.items()):
        fig, axes = plt.subplots(1, NUM_LAYERS, figsize=(12, 2.4), gridspec_kw={
            "left": 0.05, "right": 0.99, "top": 0.78, "bottom": 0.1, "wspace": 0.12})
        plot_case(axes, outputs, activation)
        fig.suptitle(f"{activation}, weight init {init}: activations per layer")
        fig.savefig(out / case_png_name(activation, init), dpi=80)
        plt.close(fig)
        plot_case(grid[row], outputs, activation)
        grid[row][0].set_ylabel(f"{activation}\n{init}", fontsize=8)
        cells = []
        for layer, values in enumerate(outputs, start=1):
            mean, std = values.mean().item(), values.std().item()
            rows.append({"activation": activation, "init": init, "layer": layer, "mean": mean, "std": std})
            cells.append(f"{mean:8.4f} ±{std:7.4f}")
        print(f"{activation:10s} {init:9s} " + " ".join(cells))
    overview.suptitle("Activation distributions: rows = activation × weight init, columns = layers", y=0.993)
    overview.savefig(out / "overview.png", dpi=70)
    plt.close(overview)
    with (out / "stats.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["activation", "init", "layer", "mean", "std"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(cases)} case figures, overview.png and stats.csv to {out}")
    return out


if __name__ == "__main__":
    main()
