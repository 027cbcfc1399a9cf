"""``make reproduce`` / ``trainlab reproduce``: experiments A-I of chapter 6, their reports, and an index.

Everything goes into ``outputs/reproduce/<date>_<time>/`` (or ``--out``): one folder per experiment, each
training experiment's sweep with its ``report/``, and ``index.md`` linking every figure and table. It runs
offline (the bundled MNIST sample, unless full MNIST is on disk) and prints one progress line per experiment.
Training experiments run ``train.py`` with the overrides a user would type, in this process (as
``runpy`` runs a script): PyTorch, Lightning and Hydra are imported once for the whole chapter instead of once per
experiment, seconds each on a small machine. Each sweep's console output goes to its ``train.log``. ``--quick``
shrinks every budget to an epoch or two, whose end validates whatever the source (a smoke test of the whole
pipeline, not the book's figures).
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import runpy
import shlex
import signal
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from trainlab.atomic_files import write_text_atomically
from trainlab.checkout import TRAIN_SCRIPT, required_checkout, root_dir
from trainlab.errors import UserError
from trainlab.printed_trainlab import trainlab_command
from trainlab.signal_exit import stop_with_line


@dataclass(frozen=True)
class Experiment:
    id: str
    name: str
    what: str
    overrides: tuple[str, ...] = ()  # for training experiments (a multirun each)
    quick: tuple[str, ...] = ()  # extra overrides for --quick
    module: str | None = None  # for stand-alone experiments (trainlab.experiments.<module>)


# one epoch: its end validates whatever the source (32 steps of the bundled sample at batch 128, 430 of full MNIST,
# fewer of a subset on disk); a step count validated on the bundled sample only, and was refused with full MNIST
QUICK_STEPS = ("trainer.max_epochs=1", "trainer.max_steps=-1")
QUICK_EPOCHS = ("trainer.max_epochs=2",)
EXPERIMENTS = [
    Experiment("A", "optimizer_paths", "optimizer paths on f(x, y) = x²/20 + y²", module="optimizer_paths"),
    Experiment("B", "compare_optimizers", "SGD / Momentum / AdaGrad / Adam on MNIST",
               ("experiment=compare_optimizers",), QUICK_STEPS),
    Experiment("C", "activations", "activation distributions per layer", module="activations"),
    Experiment("D", "compare_init", "weight init std 0.01 / Xavier / He on MNIST", ("experiment=compare_init",),
               QUICK_STEPS),
    Experiment("E", "batchnorm_gradcheck", "BatchNorm gradient check", module="batchnorm_gradcheck"),
    Experiment("F", "compare_batchnorm", "BatchNorm vs none over 16 weight scales",
               ("experiment=compare_batchnorm",), QUICK_EPOCHS),
    Experiment("G", "overfit_weight_decay", "overfitting and weight decay", ("experiment=overfit_weight_decay",),
               QUICK_EPOCHS),
    Experiment("H", "overfit_dropout", "overfitting and dropout", ("experiment=overfit_dropout",), QUICK_EPOCHS),
    Experiment("I", "hparams_search", "random search of lr and weight decay", ("hparams_search=random",),
               ("hydra.sweeper.n_trials=3", *QUICK_EPOCHS)),
]


def run_standalone(experiment: Experiment, out: Path) -> list[Path]:
    import importlib

    module = importlib.import_module(f"trainlab.experiments.{experiment.module}")
    log = out / "output.txt"
    with log.open("w") as handle, redirect_stdout(handle):
        args = [] if experiment.module == "batchnorm_gradcheck" else ["--out", str(out)]
        module.main(args)
    return sorted(out.glob("*.png")) + sorted(out.glob("*.csv")) + [log]


def run_train_script(overrides: list[str], log: Path) -> int:
    """``python train.py <overrides>`` run in this process, its output into ``log``; returns its exit status.

    Hydra's global state (``GlobalHydra``, and the ``HydraConfig`` its last job leaves set) is cleared before and
    put back after, and the root logger's handlers (which Hydra replaces with the job's) and the environment
    (where train.py records itself and Lightning its seed) are put back, so the next experiment starts as a fresh
    command would and the caller finds the process as it was.
    """
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig

    root = logging.getLogger()
    handlers, level, argv, environment = root.handlers[:], root.level, sys.argv, dict(os.environ)
    callers_hydra_config = HydraConfig.instance().cfg
    HydraConfig.instance().cfg = None
    GlobalHydra.instance().clear()
    script = required_checkout("trainlab reproduce") / TRAIN_SCRIPT
    sys.argv = [str(script), *overrides]
    try:
        with log.open("w") as handle, redirect_stdout(handle), redirect_stderr(handle):
            runpy.run_path(str(script), run_name="__main__")
        return 0
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    finally:
        sys.argv = argv
        os.environ.clear()
        os.environ.update(environment)
        GlobalHydra.instance().clear()
        HydraConfig.instance().cfg = callers_hydra_config
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)


class ExperimentFailed(RuntimeError):
    """An experiment's ``train.py`` ended with a non-zero exit status (an error, or a Ctrl-C / SIGTERM it answered)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def run_sweep(experiment: Experiment, out: Path, quick: bool) -> list[Path]:
    from trainlab.report.build import build_report

    sweep_dir = out / "sweep"
    overrides = [*experiment.overrides, *(experiment.quick if quick else ()), f"hydra.sweep.dir={sweep_dir}",
                 "trainer.enable_progress_bar=false",
                 "data.download=false"]  # offline: full MNIST only when it is on disk, else the bundled sample
    log = out / "train.log"
    status = run_train_script(overrides, log)
    if status != 0:
        raise ExperimentFailed(f"train.py {' '.join(overrides)} exited with {status}; see {log}", status)
    written = build_report(sweep_dir)
    # the sweep's tables: summary.csv, and ranking.csv where the jobs returned objectives (I's search ranks its trials
    # there; the index linked summary.csv alone)
    ranking = [sweep_dir / "ranking.csv"] if (sweep_dir / "ranking.csv").is_file() else []
    return [*written.values(), sweep_dir / "summary.csv", *ranking]


def reproduce_command(quick: bool, only: list[str] | None, out: str | None, root: str | None) -> str:
    """``trainlab reproduce`` with the options given - ``--quick``, ``--only`` (as typed), ``--out`` - and the
    ``TRAINLAB_ROOT`` in effect when it started (``root``; the checkout's ``train.py`` sets it for the rest of the
    process once a sweep ran), shell-quoted: the command as it was run, which the index and the line that runs the
    rest repeat. They said ``trainlab reproduce --quick`` (no ``--only``) and dropped ``TRAINLAB_ROOT``, without which
    the rest ran in another checkout's ``outputs/``, or found none. ``trainlab`` is as it can be pasted here
    (:func:`~trainlab.printed_trainlab.trainlab_command`: ``<python> -m trainlab`` where the console script on PATH
    is not this installation's - it said ``trainlab`` for a venv not activated, ``command not found``)."""
    words = ["reproduce", *(["--quick"] if quick else []), *(["--only", *only] if only else []),
             *(["--out", out] if out else [])]
    return " ".join([*([f"TRAINLAB_ROOT={shlex.quote(root)}"] if root is not None else []), trainlab_command(*words)])


def index_markdown(rows: list[tuple[Experiment, float, list[Path]]], out: Path, command: str) -> str:
    lines = ["# Chapter 6, reproduced", "", f"Made {datetime.now():%Y-%m-%d %H:%M} by `{command}`.", ""]
    for experiment, seconds, files in rows:
        lines += [f"## {experiment.id} - {experiment.what}", "", f"`{experiment.name}`, {seconds:.1f} s", ""]
        for path in files:
            relative = path.relative_to(out)
            lines.append(f"![{relative}]({relative})" if path.suffix == ".png" else f"- [{relative}]({relative})")
        lines.append("")
    return "\n".join(lines)


def stopped(stop: BaseException, experiment: Experiment, rest: list[Experiment], root: Path, some_done: bool,
            quick: bool, trainlab_root: str | None) -> int:
    """The one line and exit status of a reproduction stopped in ``experiment`` (its ``train.py`` failed, or a
    Ctrl-C reached this process): what it stopped in, where the finished experiments are, and the command that runs
    the rest (:func:`reproduce_command`, with a new ``--out``: this one holds the stopped experiment's partial
    output)."""
    status = 128 + signal.SIGINT if isinstance(stop, KeyboardInterrupt) else stop.status
    if status in (128 + signal.SIGINT, 128 + signal.SIGTERM):  # a signal its train.py answered, or this process got
        print(signal_line(status - 128, experiment, rest, root, some_done, quick, trainlab_root), file=sys.stderr)
    else:
        rest_line = the_rest(rest, root, some_done, quick, trainlab_root)
        print(f"error: {experiment.id} {experiment.name}: {stop}; {rest_line}", file=sys.stderr)
    return status


def the_rest(rest: list[Experiment], root: Path, some_done: bool, quick: bool, trainlab_root: str | None) -> str:
    """Where the finished experiments are, and the command that runs ``rest`` (a new ``--out``: this one holds the
    stopped experiment's partial output)."""
    done = f"the experiments before it are in {root / 'index.md'}" if some_done else "no experiment finished"
    return f"{done}; run the rest with: {reproduce_command(quick, [e.id for e in rest], None, trainlab_root)} --out " \
           "<a new dir>"


def signal_line(signum: int, experiment: Experiment, rest: list[Experiment], root: Path, some_done: bool,
                quick: bool, trainlab_root: str | None) -> str:
    """``SIGTERM: stopped during D compare_init; ...; run the rest with: ...``: a reproduction stopped by a signal,
    whether its ``train.py`` answered it (a run's stop) or this process did (:func:`reproduce`)."""
    return (f"{signal.Signals(signum).name}: stopped during {experiment.id} {experiment.name}; "
            f"{the_rest(rest, root, some_done, quick, trainlab_root)}")


def reproductions_dir() -> Path:
    """The parent of a reproduction's directory without ``--out``: ``<root>/outputs/reproduce/``."""
    return root_dir() / "outputs" / "reproduce"


def reproduce(out: str | None = None, quick: bool = False, only: list[str] | None = None) -> int:
    trainlab_root = os.environ.get("TRAINLAB_ROOT")  # as given: train.py sets it in this process once a sweep ran
    command = reproduce_command(quick, only, out, trainlab_root)
    chosen = [e for e in EXPERIMENTS if not only or e.id in {o.upper() for o in only}]
    if only and len(chosen) != len(set(only)):
        known = ", ".join(e.id for e in EXPERIMENTS)
        print(f"error: --only {' '.join(only)}: unknown experiment id; allowed: {known}", file=sys.stderr)
        return 2
    if any(experiment.module is None for experiment in chosen):  # a sweep runs the checkout's train.py
        try:
            required_checkout("trainlab reproduce")
        except UserError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    root = Path(out) if out else reproductions_dir() / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    if root.exists() and any(root.iterdir()):
        print(f"error: {root} is not empty; choose a new --out", file=sys.stderr)
        return 2
    root.mkdir(parents=True, exist_ok=True)
    rows, started = [], time.monotonic()
    for number, experiment in enumerate(chosen, start=1):
        out_dir = root / f"{experiment.id}_{experiment.name}"
        out_dir.mkdir()
        print(f"[{number}/{len(chosen)}] {experiment.id} {experiment.name}: {experiment.what} ...", flush=True)
        t0 = time.monotonic()
        rest = chosen[number - 1:]
        # a signal where no run answers it (a run's start-up, its report): the line, and the signal's exit status -
        # SIGTERM ended the reproduction without a word, a Ctrl-C in a run's start-up went to Lightning as a
        # KeyboardInterrupt ("train.py ... exited with 1") or raised inside omegaconf
        stop_line = functools.partial(signal_line, experiment=experiment, rest=rest, root=root, some_done=bool(rows),
                                      quick=quick, trainlab_root=trainlab_root)
        try:
            with stop_with_line(stop_line):
                files = run_standalone(experiment, out_dir) if experiment.module else run_sweep(experiment, out_dir,
                                                                                                quick)
        except (ExperimentFailed, KeyboardInterrupt) as stop:
            return stopped(stop, experiment, rest, root, bool(rows), quick, trainlab_root)
        gc.collect()  # what the experiment left behind is its own cost, not the next one's (0.3 s after F's 32 jobs)
        seconds = time.monotonic() - t0
        rows.append((experiment, seconds, files))
        figures = sum(p.suffix == ".png" for p in files)
        print(f"[{number}/{len(chosen)}] {experiment.id} done in {seconds:.1f} s: {figures} figure(s)", flush=True)
        write_text_atomically(root / "index.md", index_markdown(rows, root, command))
    print(f"all done in {time.monotonic() - started:.1f} s: {root / 'index.md'}")
    return 0


if __name__ == "__main__":  # python -m trainlab.reproduce ...: the same as trainlab reproduce ...
    from trainlab.cli import main

    sys.exit(main(["reproduce", *sys.argv[1:]]))
