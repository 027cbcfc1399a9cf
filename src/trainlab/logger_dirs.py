"""Where a run's loggers wrote inside its directory.

With ``name: ""`` and ``version: ""`` (``conf/logger/``) the TensorBoard event files and ``metrics.csv`` lie in the
run directory itself, so that each job of a sweep is one TensorBoard run named from its overrides. A logger given a
name or version writes one level (or more) down: ``logger.tensorboard.name=lr_${optimizer.lr}``
(docs/stacked-sweeps.md's example) puts the events of a job in ``<job>/lr_0.1/``. Whatever reads a run's logs back -
``trainlab report`` (the curves), the sweep's HPARAMS experiment (each job's session start), an attempt set aside before
a re-run (:func:`trainlab.run_dir.set_attempt_aside`) - finds them with :func:`logger_dirs` instead of looking in the
run directory alone, which read such a sweep as one without logs.
"""

from __future__ import annotations

from pathlib import Path

EVENT_FILES = "events.out.tfevents.*"  # TensorBoard's event files (TensorBoard reads any name holding "tfevents")
CSV_FILE = "metrics.csv"
#: the suffix of the HPARAMS experiment a sweep writes at its top (:mod:`trainlab.sweep.hparams_experiment`), and
#: its event file's name: here, where the checks of a sweep directory read it without importing TensorBoard
HPARAMS_EXPERIMENT_SUFFIX = ".hparams"
HPARAMS_EXPERIMENT_FILES = EVENT_FILES + HPARAMS_EXPERIMENT_SUFFIX
# What a run writes for itself besides its logs: never searched for them (``attempts/`` holds earlier attempts).
NOT_LOGGER_DIRS = frozenset({".hydra", "checkpoints", "attempts"})


def holds_logs(directory: Path) -> bool:
    """Whether ``directory`` itself (not a subdirectory) holds TensorBoard event files or a ``metrics.csv``."""
    return (directory / CSV_FILE).is_file() or any(path.is_file() for path in directory.glob(EVENT_FILES))


def logger_dirs(run_dir: Path) -> list[Path]:
    """The directories of ``run_dir`` its loggers wrote into: ``run_dir`` itself and every subdirectory, at any
    depth, that holds event files or a ``metrics.csv`` (not looking into ``.hydra/``, ``checkpoints/`` or
    ``attempts/``, nor following links); ``run_dir`` first, then in path order. Empty when the run logged nothing
    (``logger=none``)."""
    found = []

    def visit(directory: Path) -> None:
        if holds_logs(directory):
            found.append(directory)
        for child in sorted(directory.iterdir()):
            if child.is_dir() and not child.is_symlink() and child.name not in NOT_LOGGER_DIRS:
                visit(child)

    if run_dir.is_dir():
        visit(run_dir)
    return found
