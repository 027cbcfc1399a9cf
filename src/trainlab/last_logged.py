"""What a run's loggers recorded before its process ended: the last value of every scalar, the last step, and the
wall time its records span.

A run stopped by a signal it can answer (Ctrl-C, SIGTERM) records its metrics itself: ``status.json`` holds the
last value of each (Lightning's ``callback_metrics``) and TensorBoard the ``~hparams/*`` points
(:func:`trainlab.loggers.hparams.record_run_end`). A run killed outright (SIGKILL, out of memory) records nothing,
but its loggers had written what it logged up to then: its TensorBoard event files (within the 2 s the buffered
writer holds an event, :mod:`trainlab.loggers.buffered_event_writer`) or its ``metrics.csv``. A resume that closes
such a run (:func:`trainlab.search.stale_trials.record_killed_job`) reads them back here, so the run's records carry
the values a stopped run would have carried, not an empty row.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from trainlab.logger_dirs import CSV_FILE, EVENT_FILES, logger_dirs

#: the tag group of the HPARAMS points a run's end writes (:data:`trainlab.loggers.hparams.HP_GROUP`): results of an
#: earlier end, not metrics the run logged; spelled out here so that this module imports neither Lightning nor the
#: hparams plugin
HPARAMS_TAGS = "~hparams/"


@dataclass(frozen=True)
class LastLogged:
    """The last logged value of every scalar (tag -> value), the highest step logged, the directory of the event
    files that held them (None: none, or only a ``metrics.csv``), and the seconds from the run's first event to its
    last (None where the logs hold no times: ``metrics.csv``) with the wall-clock time of that last event."""

    metrics: dict[str, float] = field(default_factory=dict)
    step: int = 0
    event_dir: Path | None = None
    wall_time_s: float | None = None
    last_wall_time: float | None = None


def read_last_logged(run_dir: Path) -> LastLogged:
    """What the loggers of ``run_dir`` wrote (see the module docstring): its TensorBoard event files, in the run
    directory or wherever in it a named logger wrote them (:func:`trainlab.logger_dirs.logger_dirs`; a tag two of
    them logged is read from the first), or, where they hold no scalar (``logger=csv``; ``logger=[tensorboard,csv]``
    killed before the event writer flushed its first scalars), its ``metrics.csv`` - the events' times kept. Empty
    when it logged nothing."""
    directories = logger_dirs(run_dir)
    event_dirs = [directory for directory in directories if any(directory.glob(EVENT_FILES))]
    logged = read_event_files(event_dirs) if event_dirs else LastLogged()
    csv_files = [directory / CSV_FILE for directory in directories if (directory / CSV_FILE).is_file()]
    if logged.metrics or not csv_files:
        return logged
    from_csv = read_metrics_csv(csv_files[0])
    return replace(from_csv, event_dir=logged.event_dir, wall_time_s=logged.wall_time_s,
                   last_wall_time=logged.last_wall_time) if from_csv.metrics else logged


def read_event_files(directories: list[Path]) -> LastLogged:
    """The last value of every scalar in the event files of ``directories`` (read in file order, as TensorBoard
    reads them), the highest step, and the span of the events' wall times."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.plugins.scalar import metadata as scalar_metadata
    from tensorboard.util import tensor_util

    metrics: dict[str, float] = {}
    step, first, last = 0, None, None
    for directory in directories:
        seen: dict[str, float] = {}
        for path in sorted(directory.glob(EVENT_FILES)):
            for event in EventFileLoader(str(path)).Load():  # a record cut short by the kill ends the file
                first = event.wall_time if first is None else min(first, event.wall_time)
                last = event.wall_time if last is None else max(last, event.wall_time)
                for value in event.summary.value:
                    if value.tag.startswith(HPARAMS_TAGS):
                        continue
                    if value.HasField("simple_value"):
                        seen[value.tag] = logged_number(value.simple_value)
                    elif value.metadata.plugin_data.plugin_name == scalar_metadata.PLUGIN_NAME or (
                            value.tag in seen and value.HasField("tensor")):
                        seen[value.tag] = logged_number(tensor_util.make_ndarray(value.tensor).item())
                    else:
                        continue
                    step = max(step, event.step)
        metrics = {**seen, **metrics}  # the first directory's value of a tag two of them logged
    span = None if first is None or last is None else last - first
    return LastLogged(metrics, step, directories[0], span, last)


def read_metrics_csv(path: Path) -> LastLogged:
    """The last value of every column of a Lightning ``metrics.csv`` (read as the report reads it,
    :func:`trainlab.report.sweep_runs.read_csv_scalars`) and the highest step; no wall time (the file holds none)."""
    from trainlab.report.sweep_runs import read_csv_scalars  # the report's modules: only for a csv-only job

    series = {tag: logged for tag, logged in read_csv_scalars(path).items() if tag != "epoch"}
    metrics = {tag: logged_number(values[-1]) for tag, (_, values) in series.items()}
    return LastLogged(metrics, max((max(steps) for steps, _ in series.values()), default=0))


def logged_number(value: float) -> float:
    """A value read back from a log, as the run itself records it (:func:`trainlab.metric_values.metric_number`): a
    float32 metric (every TensorBoard scalar; a ``metrics.csv`` cell holds it widened to float64) with the shortest
    digits that read back as that float32 (``0.1``, not ``0.10000000149011612``); a value no float32 holds exactly
    (a float64 metric in ``metrics.csv``) as it is."""
    single = np.float32(value)
    return float(str(single)) if float(single) == value else float(value)
