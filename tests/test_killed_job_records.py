"""A trial's job killed outright (SIGKILL, out of memory) and closed by ``resume_sweep=true`` carries what it had
logged: ``status.json``, ``summary.csv`` and the HPARAMS row hold the last logged value of each metric, status
``interrupted`` (3), and the wall time its logs span - as a job stopped by Ctrl-C records them.

Before, its records were empty: ``"metrics": {}``, ``wall_time_s`` 0.0, a summary.csv row of empty cells and an
HPARAMS row without metrics or status, though its event file held ``val/acc`` and the rest up to the kill. The job
directories here are what a killed job leaves (its session start and scalars, written with TensorBoard's own event
writer, or a Lightning ``metrics.csv``), so no training runs.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from tb_events import hparams_backend
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.hparams import api_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from trainlab.loggers.hparams import STATUS_CODES, session_start_summary
from trainlab.run_status import read_status
from trainlab.search.stale_trials import record_killed_job
from trainlab.sweep.hparams_experiment import write_sweep_experiment
from trainlab.sweep.summary import write_summary

# (step, seconds after the job's first event, {tag: value}) as a job logs them: the last epoch is cut by the kill
LOGGED = [(3, 4.0, {"train/loss": 2.0, "train/acc": 0.2, "val/loss": 1.9, "val/acc": 0.3, "val/acc_best": 0.3}),
          (7, 9.0, {"train/loss": 1.5, "train/acc": 0.5, "val/loss": 1.4, "val/acc": 0.6, "val/acc_best": 0.6}),
          (9, 11.5, {"train/loss": 1.25})]
LAST = {"train/loss": 1.25, "train/acc": 0.5, "val/loss": 1.4, "val/acc": 0.6, "val/acc_best": 0.6}


def killed_job(sweep: Path, name: str, lr: float) -> Path:
    """A job directory as a killed job leaves it: ``.hydra/overrides.yaml`` and an event file with its session
    start and the scalars of :data:`LOGGED`, but no ``status.json``."""
    job = sweep / name
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text(f"- optimizer.lr={lr}\n")
    writer = EventFileWriter(str(job))  # its first event (the file version) is stamped now
    start = time.time()
    writer.add_event(event_pb2.Event(wall_time=start, step=0, summary=session_start_summary({"optimizer/lr": lr},
                                                                                            start)))
    for step, after, values in LOGGED:
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)
                                             for tag, value in values.items()])
        writer.add_event(event_pb2.Event(wall_time=start + after, step=step, summary=summary))
    writer.close()
    return job


def test_a_killed_jobs_status_summary_row_and_hparams_row_carry_its_last_logged_metrics(tmp_path):
    sweep = tmp_path / "sweep"
    job = killed_job(sweep, "0_optimizer.lr=0.1", 0.1)
    record_killed_job(job, 0)

    status = read_status(job)
    assert status["status"] == "interrupted" and "killed?" in status["error"]
    # as a Ctrl-C'd job records them: float32 values with their own digits (0.6, not 0.6000000238418579)
    assert status["metrics"] == {**LAST, "status/diverged": 0.0}
    assert status["objective"] is None
    assert status["wall_time_s"] == pytest.approx(11.5, abs=1.0)  # its first event to its last

    (row,) = write_summary(sweep)
    assert (row["status"], float(row["val/acc"]), float(row["train/loss"])) == ("interrupted", 0.6, 1.25)
    assert float(row["wall_time_s"]) == pytest.approx(11.5, abs=1.0)

    write_sweep_experiment(sweep, "val/acc")
    _, (group,), _ = hparams_backend(sweep)
    values = {metric.name.tag: (metric.value, metric.training_step) for metric in group.metric_values}
    assert values["~hparams/val/acc"] == (pytest.approx(0.6), 9)  # at the last step logged
    assert values["~hparams/train/loss"] == (1.25, 9)
    assert values["~hparams/status"] == (STATUS_CODES["interrupted"], 9)
    assert [session.status for session in group.sessions] == [api_pb2.STATUS_UNKNOWN]  # as a Ctrl-C'd job's

    record_killed_job(job, 0)  # a second resume finds its status and writes nothing more
    assert len(list(job.glob("events.out.tfevents.*"))) == 2


def test_a_killed_job_that_logged_to_csv_only_gets_its_last_values_and_no_wall_time(tmp_path):
    job = tmp_path / "sweep" / "0_optimizer.lr=0.1"
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text("- optimizer.lr=0.1\n")
    with (job / "metrics.csv").open("w", newline="") as file:  # Lightning's CSVLogger: one row per logging call
        writer = csv.writer(file)
        writer.writerow(["epoch", "step", "train/loss", "val/acc", "val/loss"])
        writer.writerows([[0, 3, 2.0, "", ""], [0, 3, "", 0.30000001192092896, 1.9], [1, 7, 1.5, "", ""],
                          [1, 7, "", 0.6000000238418579, 1.2345678901234], [2, 9, 1.25, "", ""]])
    record_killed_job(job, 0)
    status = read_status(job)
    # float32 values widened to float64 read as the float32 they were; a float64 value (precision=64-true) as it is
    assert status["metrics"] == {"train/loss": 1.25, "val/acc": 0.6, "val/loss": 1.2345678901234,
                                 "status/diverged": 0.0}
    assert status["wall_time_s"] is None  # not knowable from metrics.csv: an empty cell, not 0.0
    (row,) = write_summary(job.parent)
    assert row["wall_time_s"] is None and float(row["val/acc"]) == 0.6
    assert not list(job.glob("events.out.*"))  # no TensorBoard run made up for it


def test_a_killed_job_that_logged_nothing_records_no_wall_time(tmp_path):
    job = tmp_path / "0_optimizer.lr=0.1"
    (job / ".hydra").mkdir(parents=True)
    record_killed_job(job, 0)
    status = read_status(job)
    assert (status["status"], status["metrics"], status["wall_time_s"]) == (
        "interrupted", {"status/diverged": 0.0}, None)


def test_a_killed_job_whose_event_file_holds_no_scalar_yet_gets_them_from_its_metrics_csv(tmp_path):
    # logger=[tensorboard,csv] killed within the event writer's 2 s: its event file holds the session start alone
    job = tmp_path / "sweep" / "0_optimizer.lr=0.1"
    (job / ".hydra").mkdir(parents=True)
    writer = EventFileWriter(str(job))
    writer.add_event(event_pb2.Event(wall_time=time.time(), step=0,
                                     summary=session_start_summary({"optimizer/lr": 0.1}, time.time())))
    writer.close()
    with (job / "metrics.csv").open("w", newline="") as file:
        csv.writer(file).writerows([["epoch", "step", "train/loss", "val/acc"], [0, 3, 2.0, ""], [0, 3, "", 0.5]])
    record_killed_job(job, 0)
    assert read_status(job)["metrics"] == {"train/loss": 2.0, "val/acc": 0.5, "status/diverged": 0.0}
