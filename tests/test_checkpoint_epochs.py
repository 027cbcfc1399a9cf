"""A run that ``trainer.max_steps`` stopped part-way through an epoch, extended with a larger ``max_steps``, trains
what one run of the larger budget trains (trainlab/checkpoint_epochs.py). Lightning took the stopped epoch for
finished: the rest of it was never trained and every later epoch ran one permutation ahead (val/acc 0.738 against
0.776). And a checkpoint taken part-way through an epoch is past a ``max_epochs`` equal to its whole epochs: such a
resume trained nothing and was recorded completed."""

from __future__ import annotations

import json

import pytest
import torch
from omegaconf import OmegaConf
from tb_events import load_run

from trainlab.checkpoint_check import fit_budget_reached
from trainlab.checkpoint_epochs import correct_epoch_counts, trained_epochs

SMALL = ["data.train_size=200", "data.val_size=100", "data.batch_size=10", "trainer.enable_progress_bar=false",
         "test=false"]  # 20 batches an epoch


def test_a_run_stopped_by_max_steps_mid_epoch_extends_to_the_numbers_of_one_run(train_in_process, tmp_path):
    whole, extended = tmp_path / "whole", tmp_path / "extended"
    assert train_in_process(*SMALL, "trainer.max_steps=50", f"hydra.run.dir={whole}").returncode == 0
    assert train_in_process(*SMALL, "trainer.max_steps=30", f"hydra.run.dir={extended}").returncode == 0
    result = train_in_process(*SMALL, "trainer.max_steps=50", "ckpt_path=last", f"hydra.run.dir={extended}")
    assert result.returncode == 0, result.stderr[-3000:]
    weights = [torch.load(run / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
               for run in (whole, extended)]
    assert all(torch.equal(weights[0][key], weights[1][key]) for key in weights[0] if key.startswith("net."))
    metrics = [json.loads((run / "status.json").read_text())["metrics"] for run in (whole, extended)]
    assert metrics[1]["val/acc"] == metrics[0]["val/acc"] and metrics[1]["val/loss"] == metrics[0]["val/loss"]


@pytest.mark.parametrize("first, then", [
    (["trainer.max_steps=40"], ["trainer.max_steps=60"]),  # max_steps at an epoch's end, extended
    (["trainer.max_steps=2000", "trainer.max_epochs=2"], ["trainer.max_steps=2000", "trainer.max_epochs=3"]),
    (["scheduler=plateau", "trainer.max_steps=40"], ["scheduler=plateau", "trainer.max_steps=60"]),
    (["trainer.check_val_every_n_epoch=2", "trainer.log_every_n_steps=10", "trainer.max_steps=20"],
     ["trainer.check_val_every_n_epoch=2", "trainer.log_every_n_steps=10", "trainer.max_steps=60"]),
])
def test_a_run_that_ended_at_an_epoch_end_under_max_steps_extends_to_the_numbers_of_one_run(
        train_in_process, tmp_path, first, then):
    """A checkpoint of an epoch's end, resumed under ``trainer.max_steps`` (Lightning's step-based loop), ran that
    epoch's end once more as an empty epoch: with ``max_epochs=3`` nothing trained (``train/acc=0``, no validation,
    no objective), and a larger ``max_steps`` trained every later epoch one permutation ahead."""
    whole, extended = tmp_path / "whole", tmp_path / "extended"
    assert train_in_process(*SMALL, *then, f"hydra.run.dir={whole}").returncode == 0
    assert train_in_process(*SMALL, *first, f"hydra.run.dir={extended}").returncode == 0
    result = train_in_process(*SMALL, *then, "ckpt_path=last", f"hydra.run.dir={extended}")
    assert result.returncode == 0, result.stderr[-3000:]
    checkpoints = [torch.load(run / "checkpoints" / "last.ckpt", weights_only=False) for run in (whole, extended)]
    assert checkpoints[1]["global_step"] == checkpoints[0]["global_step"] == 60
    assert checkpoints[1]["epoch"] == checkpoints[0]["epoch"]
    weights = [checkpoint["state_dict"] for checkpoint in checkpoints]
    assert all(torch.equal(weights[0][key], weights[1][key]) for key in weights[0] if key.startswith("net."))
    metrics = [json.loads((run / "status.json").read_text())["metrics"] for run in (whole, extended)]
    assert metrics[1] == metrics[0] and metrics[0]["train/acc"] > 0.2
    # the logged points too, at the same steps: a restart at the next epoch's batch 0 trained nothing there and
    # counted a step for it (val/acc at step 60 for 59, train/loss points lost)
    stepped = [checkpoint["loops"]["fit_loop"]["epoch_loop.state_dict"]["_batches_that_stepped"]
               for checkpoint in checkpoints]
    assert stepped[1] == stepped[0]
    for tag in ("train/loss", "val/acc", "train/acc"):
        points = [sorted({(event.step, round(event.value, 5)) for event in load_run(run).Scalars(tag)})
                  for run in (whole, extended)]
        assert points[1] == points[0], tag


def loops(processed: int, completed: int, batches_done: int, is_last_batch: bool) -> dict:
    progress = {"ready": processed + 1, "started": processed + 1, "processed": processed, "completed": completed}
    return {"global_step": 100, "loops": {"fit_loop": {
        "epoch_progress": {"current": dict(progress), "total": dict(progress)},
        "epoch_loop.batch_progress": {"current": {"completed": batches_done}, "is_last_batch": is_last_batch}}}}


@pytest.mark.parametrize("checkpoint, epochs", [
    (loops(2, 1, 50, is_last_batch=False), (1, 50)),  # saved in on_train_epoch_end of a max_steps stop
    (loops(2, 2, 13, is_last_batch=False), (2, 13)),  # an interrupt 13 batches into epoch 2
    (loops(2, 1, 100, is_last_batch=True), (2, 0)),  # an epoch's end
    (loops(1, 1, 0, is_last_batch=False), (1, 0)),
    ({"global_step": 3}, (None, 0)),
])
def test_trained_epochs_counts_a_stopped_epoch_as_part_of_one(checkpoint, epochs):
    assert trained_epochs(checkpoint) == epochs


def test_an_epoch_stopped_part_way_is_taken_back_and_a_whole_one_completed_on_load():
    stopped, finished = loops(2, 1, 50, is_last_batch=False), loops(2, 1, 100, is_last_batch=True)
    interrupted = loops(2, 2, 13, is_last_batch=False)
    correct_epoch_counts(stopped)
    correct_epoch_counts(finished)
    correct_epoch_counts(interrupted)
    assert stopped["loops"]["fit_loop"]["epoch_progress"]["current"]["processed"] == 1
    assert stopped["loops"]["fit_loop"]["epoch_progress"]["total"]["processed"] == 1
    assert finished["loops"]["fit_loop"]["epoch_progress"]["current"] == {
        "ready": 3, "started": 3, "processed": 2, "completed": 2}
    assert finished["loops"]["fit_loop"]["epoch_loop.batch_progress"] == {"current": {"completed": 0},
                                                                        "is_last_batch": False}
    assert interrupted == loops(2, 2, 13, is_last_batch=False)


def test_a_checkpoint_part_way_into_an_epoch_is_past_a_max_epochs_of_its_whole_epochs():
    interrupted = loops(2, 2, 13, is_last_batch=False)
    budget = OmegaConf.create({"trainer": {"max_epochs": 2, "max_steps": -1}})
    assert fit_budget_reached(interrupted, budget, past=True) == (True, "step 100, epoch 2 and 13 batches of the next")
    larger = OmegaConf.create({"trainer": {"max_epochs": 3, "max_steps": -1}})
    assert fit_budget_reached(interrupted, larger, past=True)[0] is False
    assert fit_budget_reached(interrupted, larger)[0] is False
    at_end = loops(2, 1, 100, is_last_batch=True)
    assert fit_budget_reached(at_end, budget) == (True, "step 100, epoch 2")
    assert fit_budget_reached(at_end, budget, past=True)[0] is False
