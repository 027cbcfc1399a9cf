"""trainlab's TensorBoardLogger: one event per ``log_metrics`` call, the same points as Lightning's logger, no
``epoch`` card, Lightning's prefix, dict-valued metrics and error."""

from __future__ import annotations

import pytest
import torch
from lightning.pytorch.loggers import TensorBoardLogger as LightningTensorBoardLogger
from tb_events import load_run
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

from trainlab.loggers.tensorboard import TensorBoardLogger


def events(run_dir):
    (path,) = run_dir.glob("events.out.tfevents.*")
    return [event for event in EventFileLoader(str(path)).Load() if event.HasField("summary")]


def points(run_dir):
    run = load_run(run_dir)
    return {tag: [(event.step, event.value) for event in run.Scalars(tag)] for tag in run.Tags()["scalars"]}


def log_three_steps(logger):
    logger.log_metrics({"train/loss": 2.5, "train/acc": torch.tensor(0.25), "epoch": 0}, step=3)
    logger.log_metrics({"train/loss": torch.tensor([1.5]), "epoch": 0}, step=7)
    logger.log_metrics({"val/loss": 1.25, "val/acc": 0.5, "val/acc_best": 0.5, "epoch": 1}, step=7)
    logger.finalize("success")


def test_one_event_per_call_with_every_scalar_of_the_call(tmp_path):
    log_three_steps(TensorBoardLogger(save_dir=str(tmp_path), name="", version=""))
    written = events(tmp_path)
    assert [(event.step, [value.tag for value in event.summary.value]) for event in written] == [
        (3, ["train/loss", "train/acc"]), (7, ["train/loss"]), (7, ["val/loss", "val/acc", "val/acc_best"])]


def test_the_reader_sees_lightnings_points_without_the_epoch_card(tmp_path):
    log_three_steps(TensorBoardLogger(save_dir=str(tmp_path / "ours"), name="", version=""))
    log_three_steps(LightningTensorBoardLogger(save_dir=str(tmp_path / "lightning"), name="", version=""))
    ours, lightning = points(tmp_path / "ours"), points(tmp_path / "lightning")
    assert lightning.pop("epoch") == [(3, 0.0), (7, 0.0), (7, 1.0)]
    assert ours == lightning
    assert ours["train/loss"] == [(3, 2.5), (7, 1.5)]


def test_prefix_and_dict_valued_metrics_as_lightning_writes_them(tmp_path):
    logger = TensorBoardLogger(save_dir=str(tmp_path), name="", version="", prefix="fit")
    logger.log_metrics({"loss": 0.75, "pair": {"a": 1.0, "b": 2.0}}, step=1)
    logger.finalize("success")
    assert points(tmp_path) == {"fit-loss": [(1, 0.75)]}
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_dir()) == ["fit-pair_a", "fit-pair_b"]


def test_a_value_that_is_no_scalar_is_lightnings_error_naming_the_metric(tmp_path):
    logger = TensorBoardLogger(save_dir=str(tmp_path), name="", version="")
    with pytest.raises(ValueError, match=r"you tried to log x which is currently not supported.*'train/note'"):
        logger.log_metrics({"train/note": "x"}, step=1)
