"""A budget that ends mid-epoch (``trainer.max_steps``, as experiments B and D set it) leaves the last validation
before the run's last step: the run's ``val/*`` - and a sweep's objective - are of earlier weights than ``test/*``.
The run's end line, its ``status.json``, the sweep's ``summary.csv`` and summary line say at which step they were
measured (:mod:`trainlab.validation_lag`); a budget that ends at an epoch's end says nothing new.

Before: ``completed; final metrics: ..., test/acc=0.382, ..., val/acc=0.208`` and an objective of 0.208 for
``experiment=compare_optimizers trainer.max_steps=60``, with no word that 0.208 was measured at step 31.
"""

from __future__ import annotations

import csv
import logging

import pytest
from tb_events import load_run

from trainlab.run_status import read_status
from trainlab.train import train

# 400 training images, batch 50: 8 steps an epoch, validated at its end (TensorBoard's step 7)
SMALL = ["data.train_size=400", "data.val_size=100", "data.batch_size=50", "model.net.hidden_sizes=[16]",
         "trainer.max_epochs=-1", "trainer.log_every_n_steps=1"]


def test_a_run_stopped_mid_epoch_says_where_its_val_metrics_were_measured(make_cfg, tmp_path, caplog):
    run_dir = tmp_path / "run"
    with caplog.at_level(logging.INFO, logger="trainlab.train"):
        train(make_cfg(*SMALL, "trainer.max_steps=12", output_dir=run_dir))
    status = read_status(run_dir)
    assert (status["validated_at_step"], status["trained_steps"]) == (7, 12)
    assert [event.step for event in load_run(run_dir).Scalars("val/acc")] == [7]  # the step TensorBoard shows
    (end,) = [record.getMessage() for record in caplog.records if record.getMessage().startswith("completed;")]
    assert end.endswith(f"val/acc={status['metrics']['val/acc']:.4g}, val/acc_best="
                        f"{status['metrics']['val/acc_best']:.4g}, val/loss={status['metrics']['val/loss']:.4g}; "
                        "val/* measured at step 7 of 12 (the last validation, before the run's last step)")


def test_a_run_that_ends_at_an_epochs_end_says_nothing_more(make_cfg, tmp_path, caplog):
    run_dir = tmp_path / "run"
    with caplog.at_level(logging.INFO, logger="trainlab.train"):
        train(make_cfg(*SMALL, "trainer.max_steps=16", output_dir=run_dir))
    status = read_status(run_dir)
    assert "validated_at_step" not in status and "trained_steps" not in status
    assert "measured at step" not in caplog.text


@pytest.mark.parametrize("launcher", ["stacked", "basic"])
def test_a_sweeps_summary_says_its_objective_was_measured_before_the_last_step(train_in_process, tmp_path,
                                                                               launcher):
    sweep_dir = tmp_path / "sweep"
    result = train_in_process("-m", "optimizer=sgd,adam", f"hydra/launcher={launcher}", *SMALL, "trainer.max_steps=12",
                              f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    with (sweep_dir / "summary.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["validated_at_step"], row["trained_steps"]) for row in rows] == [("7", "12")] * 2
    assert all(row["objective"] == row["val/acc"] for row in rows)
    assert ("; 2 jobs last validated before their last step (at step 7 of 12): their validation metrics and objective "
            "are of the weights at that step, not the final ones (summary.csv: validated_at_step)\n"
            in result.stdout + result.stderr)
    for row in rows:
        log = (sweep_dir / row["job"] / "train.log").read_text()
        assert "; val/* measured at step 7 of 12 (the last validation, before the run's last step)\n" in log
