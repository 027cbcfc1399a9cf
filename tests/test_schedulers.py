"""Learning-rate schedules (conf/scheduler/): stepped per epoch where Lightning steps them, logged, resumed."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from trainlab.report.sweep_runs import read_csv_scalars
from trainlab.run_status import read_status
from trainlab.train import train

# 4 batches of 100 per epoch, 3 epochs; no shuffling of results by anything but the schedule
FAST = ["data.train_size=400", "data.val_size=100", "trainer.max_epochs=3", "trainer.log_every_n_steps=2",
        "logger=csv", "test=false"]
# Lightning's automatic loop, with a clip threshold no gradient reaches: grads are multiplied by exactly 1.0
AUTOMATIC = ["trainer.gradient_clip_val=1e9"]
# a plateau schedule on which no validation counts as an improvement after the first: lr halves every epoch after
NEVER_IMPROVES = ["scheduler=plateau", "scheduler.patience=0", "+scheduler.threshold_mode=abs",
                  "scheduler.threshold=1e9"]


def lr_per_epoch(run_dir: Path) -> list[float]:
    return read_csv_scalars(run_dir / "metrics.csv")["train/lr"][1]


def checkpoint_lr(run_dir: Path) -> float:
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)
    return checkpoint["optimizer_states"][0]["param_groups"][0]["lr"]


@pytest.mark.parametrize("schedule,expected_lrs,final_lr", [
    (["scheduler=step", "scheduler.step_size=1", "scheduler.gamma=0.5"], [0.01, 0.005, 0.0025], 0.00125),
    (["scheduler=step", "scheduler.step_size=2", "scheduler.gamma=0.1"], [0.01, 0.01, 0.001], 0.001),
    (["scheduler=exponential", "scheduler.gamma=0.8"], [0.01, 0.008, 0.0064], 0.00512),
    (NEVER_IMPROVES, [0.01, 0.01, 0.005], 0.0025),
], ids=["step1", "step2", "exponential", "plateau"])
def test_schedule_sets_each_epochs_lr_in_the_manual_loop_as_in_lightnings(schedule, expected_lrs, final_lr,
                                                                        make_cfg, tmp_path):
    manual, automatic = tmp_path / "manual", tmp_path / "automatic"
    train(make_cfg(*FAST, *schedule, output_dir=manual))
    train(make_cfg(*FAST, *schedule, *AUTOMATIC, output_dir=automatic))
    for run in (manual, automatic):
        assert lr_per_epoch(run) == pytest.approx(expected_lrs, rel=1e-6), run.name  # logged in float32
    # last.ckpt of the last epoch holds the stepped schedule - except in Lightning's automatic loop for a plateau
    # schedule, which Lightning steps after the epoch's checkpoints are written (its documented order)
    assert checkpoint_lr(manual) == pytest.approx(final_lr, rel=1e-12)
    automatic_final_lr = expected_lrs[-1] if "scheduler=plateau" in schedule else final_lr
    assert checkpoint_lr(automatic) == pytest.approx(automatic_final_lr, rel=1e-12)
    # the same schedule at the same points: every final metric of the two loops is identical
    assert read_status(manual)["metrics"] == read_status(automatic)["metrics"]


def test_cosine_schedule_follows_the_closed_form_over_max_epochs(make_cfg, tmp_path):
    train(make_cfg(*FAST, "trainer.max_epochs=4", "scheduler=cosine", "optimizer.lr=0.1"))
    lrs = lr_per_epoch(tmp_path / "run")
    # lr_e = ½·lr·(1 + cos(π·e/4)) with T_max = trainer.max_epochs = 4: 0.1, 0.0854, 0.05, 0.0146
    assert lrs == pytest.approx([0.1, 0.0853553, 0.05, 0.0146447], rel=1e-5)
    assert checkpoint_lr(tmp_path / "run") == pytest.approx(0.0, abs=1e-12)


def test_no_schedule_logs_no_lr_and_keeps_the_lr(make_cfg, tmp_path):
    train(make_cfg(*FAST))
    assert "train/lr" not in read_status(tmp_path / "run")["metrics"]
    assert checkpoint_lr(tmp_path / "run") == 0.01


def test_resumed_run_continues_the_schedule_exactly(make_cfg, tmp_path):
    schedule = ["scheduler=step", "scheduler.step_size=1", "scheduler.gamma=0.5"]
    train(make_cfg(*FAST, *schedule, "trainer.max_epochs=4", output_dir=tmp_path / "whole"))
    train(make_cfg(*FAST, *schedule, "trainer.max_epochs=2", output_dir=tmp_path / "resumed"))
    train(make_cfg(*FAST, *schedule, "trainer.max_epochs=4", "ckpt_path=last", output_dir=tmp_path / "resumed"))
    assert lr_per_epoch(tmp_path / "resumed") == pytest.approx([0.01, 0.005, 0.0025, 0.00125], rel=1e-6)
    assert read_status(tmp_path / "resumed")["metrics"] == read_status(tmp_path / "whole")["metrics"]


def test_plateau_schedule_on_an_accuracy_reduces_when_it_stops_rising(make_cfg, tmp_path):
    # mode=max on val/acc with a threshold no accuracy gain can pass: like NEVER_IMPROVES, from the other side
    train(make_cfg(*FAST, "scheduler=plateau", "scheduler.mode=max", "model.scheduler_monitor=val/acc",
                   "scheduler.patience=0", "+scheduler.threshold_mode=abs", "scheduler.threshold=2"))
    assert lr_per_epoch(tmp_path / "run") == pytest.approx([0.01, 0.01, 0.005], rel=1e-6)


COSINE_FROM_A_STEP_BUDGET = (
    "error: scheduler.T_max=-1 is invalid: it comes from trainer.max_epochs=-1 (no epoch limit: a budget of "
    "trainer.max_steps=64), through ${trainer.max_epochs}; allowed: an integer >= 1, set as scheduler.T_max=N (the "
    "number of epochs to anneal over)")


@pytest.mark.parametrize("experiment", ["compare_optimizers", "compare_init"])
def test_a_refused_value_that_came_through_an_interpolation_names_its_source(train_in_process, tmp_path, experiment):
    """Experiments B and D train for a step budget (trainer.max_epochs=-1), and cosine's T_max is
    ${trainer.max_epochs}: the line blamed scheduler.T_max=-1, a key the command never set."""
    sweep_dir = tmp_path / "sweep"
    result = train_in_process(f"experiment={experiment}", "scheduler=cosine", "trainer.max_steps=64",
                              f"hydra.sweep.dir={sweep_dir}")
    assert (result.returncode, result.stderr.strip().splitlines()) == (2, [COSINE_FROM_A_STEP_BUDGET])
    assert not sweep_dir.exists()


def test_a_single_run_names_the_source_of_an_interpolated_value(train_in_process, tmp_path):
    run_dir = tmp_path / "run"
    result = train_in_process("debug=limit", "scheduler=cosine", "scheduler.T_max=${data.seed}", "data.seed=0",
                              f"hydra.run.dir={run_dir}")
    assert (result.returncode, result.stderr.strip().splitlines()) == (2, [
        "error: scheduler.T_max=0 is invalid: it comes from data.seed=0, through ${data.seed}; "
        "allowed: an integer >= 1, set as scheduler.T_max=N (the number of epochs to anneal over)"])
    assert not run_dir.exists()
