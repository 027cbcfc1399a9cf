"""The HPARAMS metric columns TensorBoard's table shows by default - the first five the sweep's experiment declares -
are the ones a reader chooses runs by: the optimised metric, then the status (an interrupted, diverged or failed
row must not pass for a completed one), then validation and training metrics; test metrics come last, out of the
default view (choosing hyper-parameters by the test split is what chapter 6.5 warns against).

Before, the status was declared last (the tenth column of a search, hidden) and ``test/acc`` second. The experiment
is read back as ``tensorboard --logdir <sweep>`` answers the HPARAMS tab (TensorBoard's own hparams backend), which
also lists the hparam columns that differ between the runs before the constant ones.
"""

from __future__ import annotations

import time
from pathlib import Path

from tb_events import hparams_backend
from tensorboard.compat.proto import event_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from trainlab.loggers.hparams import SHOWN_COLUMNS, declared_metrics, session_start_summary
from trainlab.run_status import write_status
from trainlab.sweep.hparams_experiment import write_sweep_experiment

# what a job of hparams_search=tpe logs (status/diverged is bookkeeping, no HPARAMS metric)
SEARCH_METRICS = ["status/diverged", "test/acc", "test/loss", "train/acc", "train/loss", "train/total_loss",
                  "train/weight_penalty", "val/acc", "val/acc_best", "val/loss"]


def test_the_optimised_metric_and_the_status_head_the_columns_and_test_metrics_come_last():
    declared = declared_metrics(SEARCH_METRICS, "val/acc")
    assert declared == ["~hparams/val/acc", "~hparams/status", "~hparams/val/acc_best", "~hparams/val/loss",
                        "~hparams/train/acc", "~hparams/train/loss", "~hparams/train/total_loss",
                        "~hparams/train/weight_penalty", "~hparams/test/acc", "~hparams/test/loss"]
    shown = declared[:SHOWN_COLUMNS]
    assert "~hparams/status" in shown and not [tag for tag in shown if tag.startswith("~hparams/test/")]


def test_a_loss_optimised_leads_and_a_comparison_without_one_starts_with_the_status():
    assert declared_metrics(SEARCH_METRICS, "val/loss")[:3] == ["~hparams/val/loss", "~hparams/status",
                                                                "~hparams/val/acc"]
    # optimized_metric: null (a plain comparison), or a name no job logged: nothing chosen by, the status first
    for optimized in (None, "val/f1"):
        assert declared_metrics(SEARCH_METRICS, optimized)[:2] == ["~hparams/status", "~hparams/val/acc"]
    # a metric of another group (LearningRateMonitor's lr-SGD, a callback's own) after training's, before test's
    assert declared_metrics(["test/acc", "lr-SGD", "train/loss", "val/acc", "custom/x"], "val/acc") == [
        "~hparams/val/acc", "~hparams/status", "~hparams/train/loss", "~hparams/custom/x", "~hparams/lr-SGD",
        "~hparams/test/acc"]


def job(sweep: Path, number: int, lr: float, metrics: dict[str, float]) -> None:
    """A finished job of a search over ``optimizer.lr``: its session start (a constant column ``data`` and the
    swept ``optimizer/lr``) and its ``status.json``."""
    directory = sweep / f"{number}_optimizer.lr={lr}"
    (directory / ".hydra").mkdir(parents=True)
    writer = EventFileWriter(str(directory))
    columns = {"callbacks": "default", "data": "mnist", "data/batch_size": 100, "optimizer": "sgd",
               "optimizer/lr": lr}
    writer.add_event(event_pb2.Event(wall_time=time.time(), step=0, summary=session_start_summary(columns)))
    writer.close()
    write_status(directory, "completed", [f"optimizer.lr={lr}"], metrics, metrics["val/acc"], 1.0)


def test_the_written_experiment_declares_that_order_and_lists_the_swept_column_first(tmp_path):
    metrics = {"status/diverged": 0.0, "test/acc": 0.8, "test/loss": 0.5, "train/acc": 0.9, "train/loss": 0.3,
               "val/acc": 0.85, "val/acc_best": 0.86, "val/loss": 0.4}
    job(tmp_path, 0, 0.1, metrics)
    job(tmp_path, 1, 0.01, {**metrics, "val/acc": 0.7})
    write_sweep_experiment(tmp_path, "val/acc")
    experiment, _, _ = hparams_backend(tmp_path)
    assert [info.display_name for info in experiment.metric_infos][:SHOWN_COLUMNS] == [
        "val/acc", "status", "val/acc_best", "val/loss", "train/acc"]
    assert [info.display_name for info in experiment.metric_infos][SHOWN_COLUMNS:] == [
        "train/loss", "test/acc", "test/loss"]
    # the swept column before the constant ones, which TensorBoard adds by name up to five
    assert [(info.name, info.differs) for info in experiment.hparam_infos][:SHOWN_COLUMNS] == [
        ("optimizer/lr", True), ("callbacks", False), ("data", False), ("data/batch_size", False),
        ("optimizer", False)]
