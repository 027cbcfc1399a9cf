"""``ResumableCSVLogger``: Lightning's CSV logger, continuing an existing ``metrics.csv`` instead of deleting it.

Lightning's ``CSVLogger`` removes ``metrics.csv`` when its directory already holds files ("Previous log files in
this directory will be deleted"), so a run resumed with ``ckpt_path=last`` would keep only the rows logged after
the resume. Here the file is kept and continued: its header becomes the writer's starting columns, new rows are
appended, and a column that appears later rewrites the file with the wider header, old rows included (Lightning's
own mechanism for new keys).

A run killed outright (SIGKILL, out of memory) had logged rows past its last checkpoint; resumed from it, the run
logs those steps again. :meth:`ResumableCSVLogger.forget_rows_from` drops them first (the model calls it as it loads
the checkpoint, with the checkpoint's step), so each step keeps one row: the resumed run's.

A *new* run never meets an old ``metrics.csv``: the training task refuses to start in a directory that holds
another run's files (:mod:`trainlab.run_dir`), so the only file this logger continues is its own run's.
"""

from __future__ import annotations

import csv
import io
import logging
import os

from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter
from lightning.pytorch.loggers.logger import rank_zero_experiment
from lightning.pytorch.utilities import rank_zero_only

from trainlab.atomic_files import write_text_atomically

log = logging.getLogger(__name__)
#: the columns Lightning writes besides the metrics
POSITION_COLUMNS = ("epoch", "step")


def is_test_row(row: dict[str, str]) -> bool:
    """Whether a row of ``metrics.csv`` holds ``test/*`` metrics only (a test's, logged after fit ends)."""
    return all(name.startswith("test/") for name, value in row.items() if value and name not in POSITION_COLUMNS)


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

    @rank_zero_only
    def forget_rows_from(self, step: int) -> None:
        """Drop the rows of ``metrics.csv`` logged at ``step`` or later: a killed session's past the checkpoint a
        resume goes on from (which logs those steps again), or, resumed from an older checkpoint (``epoch_000.ckpt``),
        those of the sessions after it. A test's rows at ``step`` itself are kept: a run that completed logged its
        test at its last step, which is where a resume with a larger budget goes on from (a run killed in the moment
        between its test and its ``status.json`` tests again: that test's row is there twice, with the same values).
        Rows without a step are kept."""
        path = os.path.join(self.log_dir, ExperimentWriter.NAME_METRICS_FILE)
        if not os.path.isfile(path):
            return
        with open(path, newline="") as file:
            reader = csv.DictReader(file)
            header, rows = reader.fieldnames or [], list(reader)
        kept = [row for row in rows if not row.get("step") or float(row["step"]) < step
                or (is_test_row(row) and float(row["step"]) == step)]
        if len(kept) == len(rows):
            return
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
        write_text_atomically(path, text.getvalue())
        log.info("%s: %d rows logged at step %d or later, past the checkpoint this run resumes from, removed; the "
                 "resumed run logs those steps again", path, len(rows) - len(kept), step)


def forget_rows_past_checkpoint(loggers: list, step: int) -> None:
    """:meth:`ResumableCSVLogger.forget_rows_from` ``step`` (a checkpoint's) for each such logger of ``loggers``."""
    for logger in loggers:
        if isinstance(logger, ResumableCSVLogger):
            logger.forget_rows_from(step)
