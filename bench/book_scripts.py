"""The book's own NumPy scripts for chapter 6 against trainlab's experiments, each timed as a user runs it.

The book's code is not part of this repository; point ``--book`` at a checkout of it
(https://github.com/oreilly-japan/deep-learning-from-scratch):

    python bench/book_scripts.py --book /path/to/deep-learning-from-scratch             # B D F G H I, 1 round
    python bench/book_scripts.py --book ... --experiments G H --rounds 3                 # medians of 3

Both sides train on the bundled real-MNIST split (4,000 training and 500 test images):

* **the book**: ``python <book>/ch06/<script>.py`` unchanged, in a fresh process, from ``<book>/ch06`` (the
  scripts import ``common`` and ``dataset`` from the parent directory). Their ``dataset.mnist`` downloads MNIST;
  here a stand-in package written to a temporary directory that comes first on ``PYTHONPATH`` answers
  ``load_mnist(normalize, flatten, one_hot_label)`` with the bundled split as float32 arrays scaled to [0, 1]
  (the book's format), read from an ``.npz`` file, so the timed process imports NumPy and matplotlib only.
  ``MPLBACKEND=Agg``: each script draws its figure, and ``plt.show()`` opens no window.
* **trainlab**: ``python train.py <experiment> hydra/launcher=stacked`` (the experiments' default launcher), a fresh
  process timed from start to exit, imports, Hydra, training, TensorBoard logs and checkpoints included - the
  command and experiment overrides of ``bench/stacked_sweep.py`` (:func:`stacked_sweep.time_experiment`).

**Every curve of the figure.** trainlab's G and H train both networks of their comparison (λ = 0 and 0.1;
without and with Dropout), as SPEC G and H define them. The book's scripts for them train one network each; the
other curve (Figs. 6-20 and 6-22) takes a second run with the one-line edit the script's own comment gives
(``weight_decay_lambda = 0``, ``use_dropout = False``). The benchmark times that second run too, from a copy of the
script with the line changed (the checkout is left as it is), and prints both columns: the script as shipped, and
every curve of the figure - the work trainlab's command does. For B, D, F and I the book's script already trains
every network of its figure, and the two columns are the same run.

Each round runs the book's script (and its other curve) and then trainlab's experiment, experiment by experiment,
so a drift of the machine's speed hits both sides; the table shows the medians and their ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cli import count, parser_for  # noqa: E402
from bench_machine import machine_line  # noqa: E402
from stacked_sweep import EXPERIMENTS as TRAINLAB_OVERRIDES  # noqa: E402
from stacked_sweep import ROOT, time_experiment  # noqa: E402

from trainlab.data.bundled_mnist import load_bundled_mnist  # noqa: E402

# experiment -> (the book's script in ch06/, trainlab's overrides)
EXPERIMENTS = {name: (script, TRAINLAB_OVERRIDES[name]) for name, script in {
    "B": "optimizer_compare_mnist.py",
    "D": "weight_init_compare.py",
    "F": "batch_norm_test.py",
    "G": "overfit_weight_decay.py",
    "H": "overfit_dropout.py",
    "I": "hyperparameter_optimization.py",
}.items()}

# experiment -> (the line of the book's script as shipped, the line that draws the figure's other curve, as the
# script's comment on that line says)
OTHER_CURVE = {
    "G": ("weight_decay_lambda = 0.1", "weight_decay_lambda = 0"),
    "H": ("use_dropout = True", "use_dropout = False"),
}

STAND_IN = '''"""Stand-in for the book's dataset.mnist, written by bench/book_scripts.py: the bundled split."""
import os

import numpy as np


def load_mnist(normalize=True, flatten=True, one_hot_label=False):
    data = np.load(os.environ["TRAINLAB_BUNDLED_NPZ"])

    def images(split):
        x = data[split + "_x"]  # uint8, as the book's loader keeps them unless normalize
        if normalize:
            x = x.astype(np.float32) / 255.0
        return x if flatten else x.reshape(-1, 1, 28, 28)

    def labels(split):
        t = data[split + "_t"]
        return np.eye(10, dtype=np.float32)[t] if one_hot_label else t

    return (images("train"), labels("train")), (images("test"), labels("test"))
'''


def write_stand_in(folder: Path, data_dir: Path) -> Path:
    """The stand-in ``dataset`` package and the bundled split it serves, in ``folder``; returns the .npz file."""
    splits = load_bundled_mnist(data_dir)
    npz = folder / "bundled_mnist.npz"
    np.savez(npz, **{f"{split}_{part}": tensor.numpy() for split in ("train", "test")
                     for part, tensor in zip(("x", "t"), splits[split], strict=True)})
    package = folder / "dataset"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "mnist.py").write_text(STAND_IN)
    return npz


def other_curve_source(chapter: Path, script: str, edit: tuple[str, str]) -> str:
    """The source of ``chapter/script`` with its line ``edit[0]`` (the code, comments aside) replaced by ``edit[1]``:
    the book's run for the figure's other curve. ValueError unless the line occurs exactly once."""
    shipped, other = edit
    lines = (chapter / script).read_text().splitlines(keepends=True)
    found = [number for number, line in enumerate(lines) if line.split("#")[0].strip() == shipped]
    if len(found) != 1:
        raise ValueError(f"{chapter / script}: expected one line `{shipped}` (the figure's other curve is timed with "
                         f"`{other}`), found {len(found)}")
    line = lines[found[0]]
    lines[found[0]] = line[:len(line) - len(line.lstrip())] + other + "\n"  # at the line's own indentation
    return "".join(lines)


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall seconds of the book's ``command`` in a fresh process; a failure is an error with the end of its output."""
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} (in {cwd}) failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = parser_for(__doc__)
    parser.add_argument("--book", type=Path, required=True,
                        help="a checkout of oreilly-japan/deep-learning-from-scratch")
    parser.add_argument("--experiments", nargs="*", default=list(EXPERIMENTS), choices=sorted(EXPERIMENTS),
                        help="the experiments timed")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data", help="where the bundled split is cached")
    parser.add_argument("--rounds", type=count, default=1, help="alternating runs per experiment (median)")
    parser.add_argument("--experiment-overrides", nargs="*", default=[],
                        help="extra overrides for trainlab's side (e.g. trainer.max_epochs=1 for a quick look)")
    args = parser.parse_args(argv)
    args.book, args.data_dir = args.book.resolve(), args.data_dir.resolve()
    chapter = args.book / "ch06"
    missing = [script for script, _ in EXPERIMENTS.values() if not (chapter / script).is_file()]
    if missing or not (args.book / "common").is_dir():
        parser.error(f"--book {args.book}: expected the book's repository (ch06/{missing[0] if missing else ''}, "
                     "common/); clone https://github.com/oreilly-japan/deep-learning-from-scratch")
    try:  # checked before anything is timed
        others = {name: other_curve_source(chapter, EXPERIMENTS[name][0], OTHER_CURVE[name])
                  for name in args.experiments if name in OTHER_CURVE}
    except ValueError as error:
        parser.error(f"--book {args.book}: {error}")
    with tempfile.TemporaryDirectory(prefix="book-bench-") as folder:
        run(args, chapter, Path(folder), others)


def run(args: argparse.Namespace, chapter: Path, work: Path, others: dict[str, str]) -> None:
    """Print the table: the stand-in, the other curves' scripts (``others``: experiment -> source), sweep
    directories and data copy live in ``work`` (removed afterwards)."""
    data_dir = args.data_dir
    npz = write_stand_in(work, data_dir)
    python_path = os.pathsep.join([str(work), *filter(None, [os.environ.get("PYTHONPATH")])])  # the stand-in first
    book_env = {**os.environ, "PYTHONPATH": python_path, "MPLBACKEND": "Agg", "TRAINLAB_BUNDLED_NPZ": str(npz)}
    print(f"# {machine_line('cpu')}, Python {sys.version.split()[0]}, NumPy {np.__version__}, book at {args.book}")
    print("| experiment | the book's script | book s | book s, every curve | trainlab s | book / trainlab | "
          "every curve: book / trainlab |\n|---|---|---|---|---|---|---|")
    for name in args.experiments:
        script, _ = EXPERIMENTS[name]
        other = None
        if name in others:  # run from ch06 like the script: it imports common/ from the parent directory
            other = work / f"{Path(script).stem}_other_curve.py"
            other.write_text(others[name])
        books, every_curve, ours = [], [], []
        for round_ in range(args.rounds):
            books.append(timed([sys.executable, script], chapter, book_env))
            every_curve.append(books[-1] + (timed([sys.executable, str(other)], chapter, book_env) if other else 0.0))
            ours.append(time_experiment(name, "stacked", work / f"round_{round_}", data_dir, args.experiment_overrides))
        book, both, trainlab = (statistics.median(times) for times in (books, every_curve, ours))
        print(f"| {name} | {script} | {book:.1f} | {both:.1f} | {trainlab:.1f} | **{book / trainlab:.2f}** | "
              f"**{both / trainlab:.2f}** |", flush=True)


if __name__ == "__main__":
    main()
