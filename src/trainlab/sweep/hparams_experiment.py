"""The HPARAMS experiment of a sweep: one TensorBoard summary that declares every column and metric of its runs.

Each run writes its own columns (a session start, :mod:`trainlab.loggers.hparams`). TensorBoard shows one
experiment per log directory; without one it guesses the columns from the runs and lists every scalar as a metric.
When a multirun ends, this module reads the session start of every job back from its event files, and writes the
sweep's experiment into an event file of its own in the sweep directory (the TensorBoard run ``.`` of
``tensorboard --logdir <sweep>``, which has no row): the union of the columns, typed, the swept keys and every
column whose value differs marked so that TensorBoard lists them first, and the final metrics ``~hparams/...`` and
``~hparams/status`` declared in the order TensorBoard's table shows them, five at first: the optimised metric, the
status, then validation, training and test metrics (:func:`trainlab.loggers.hparams.declared_metrics`). A sweep
re-run into the same directory (``resume_sweep=true``) replaces the file.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.hparams import metadata
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from trainlab.logger_dirs import EVENT_FILES, HPARAMS_EXPERIMENT_FILES, HPARAMS_EXPERIMENT_SUFFIX, logger_dirs
from trainlab.loggers.hparams import (
    HParamValue,
    column_of_override,
    declared_metrics,
    experiment_summary,
    session_hparams,
)
from trainlab.sweep.summary import collect_jobs, swept_keys


def read_session_columns(run_dir: Path) -> dict[str, HParamValue] | None:
    """The columns of the first session start in the event files of ``run_dir`` - in the directory itself or where
    in it a named logger wrote them (``logger.tensorboard.name=...``, :func:`trainlab.logger_dirs.logger_dirs`;
    not in ``attempts/``); None when it has none (``logger=csv``, ``logger=none``)."""
    paths = [path for directory in logger_dirs(run_dir) for path in sorted(directory.glob(EVENT_FILES))]
    for path in paths:
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                if value.tag == metadata.SESSION_START_INFO_TAG:
                    start = metadata.parse_session_start_info_plugin_data(value.metadata.plugin_data.content)
                    return session_hparams(start)
    return None


def write_sweep_experiment(sweep_dir: str | os.PathLike, optimized_metric: str | None = None) -> Path | None:
    """Write the HPARAMS experiment of ``sweep_dir``'s jobs into ``sweep_dir``; return the event file, or None when
    no job logged a session start."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        return None
    jobs = collect_jobs(sweep_dir)
    sessions = [columns for job in jobs if (columns := read_session_columns(sweep_dir / job["job"])) is not None]
    if not sessions:
        return None
    now = time.time()
    summary = experiment_summary(
        sessions,
        swept_columns=[column_of_override(key) for key in swept_keys(jobs)],
        metric_names=declared_metrics({name for job in jobs for name in job["metrics"]}, optimized_metric),
        time_created_secs=now,
    )
    # A run keeps the first experiment it reads, so the previous file goes; the new one is complete before.
    with tempfile.TemporaryDirectory(dir=sweep_dir, prefix=".hparams-") as staging:
        writer = EventFileWriter(staging, filename_suffix=HPARAMS_EXPERIMENT_SUFFIX)
        writer.add_event(event_pb2.Event(wall_time=now, step=0, summary=summary))
        writer.close()
        (written,) = Path(staging).glob(EVENT_FILES)
        for previous in sweep_dir.glob(HPARAMS_EXPERIMENT_FILES):
            previous.unlink()
        target = sweep_dir / written.name
        os.replace(written, target)
    return target
