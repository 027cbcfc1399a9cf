"""``ResumableCSVLogger``: Lightning's CSV logger, continuing an existing ``metrics.csv`` instead of deleting it.

Lightning's ``CSVLogger`` removes ``metrics.csv`` when its directory already holds files ("Previous log files in
this directory will be deleted"), so a run resumed with ``ckpt_path=last`` would keep only the rows logged after
the resume. Here the file is kept and continued: its header becomes the writer's starting columns, new rows are
appended, and a column that appears later rewrites the file with the wider header, old rows included (Lightning's
own mechanism for new keys).

A *new* run never meets an old ``metrics.csv``: the training task refuses to start in a directory that holds
another run's files (:mod:`trainlab.run_dir`), so the only file this logger continues is its own run's.
"""

from __future__ import annotations

import csv

from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter
from lightning.pytorch.loggers.logger import rank_zero_experiment


class ContinuingExperimentWriter(ExperimentWriter):
    """Lightning's experiment writer, minus the deletion of an existing ``metrics.csv``."""

    def _check_log_dir_exists(self) -> None:  # called by the writer's __init__ (Lightning deletes the file there)
        if self._fs.isfile(self.metrics_file_path):
            with self._fs.open(self.metrics_file_path, "r", newline="") as file:
                header = next(csv.reader(file), [])
            self.metrics_keys = sorted(header)


class ResumableCSVLogger(CSVLogger):
    """``lightning.pytorch.loggers.CSVLogger`` (same arguments) whose ``metrics.csv`` survives a resume."""

    @property
    @rank_zero_experiment
    def experiment(self) -> ContinuingExperimentWriter:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = ContinuingExperimentWriter(log_dir=self.log_dir)
        return self._experiment
