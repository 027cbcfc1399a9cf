"""TensorBoard lists a stacked sweep's runs in job order, as a basic sweep's: its SCALARS tab orders runs by
their first event's time, and a stack trains its members grouped by optimizer class."""

from __future__ import annotations

from tb_events import runs_in_scalars_order

SMALL = ["data.train_size=200", "data.val_size=100", "data.batch_size=50", "model.net.hidden_sizes=[16]",
         "trainer.max_steps=4", "trainer.log_every_n_steps=1"]


def test_a_stacks_members_start_their_tensorboard_runs_in_job_order(train_in_process, tmp_path):
    """The stack's order groups the members by optimizer class (Adagrad, Adam, then SGD's momentum and sgd); their
    event files were created in that order, so TensorBoard listed ``3_adagrad, 1_adam, 2_momentum, 0_sgd``
    (``2_adagrad, 3_adam, 1_momentum, 0_sgd`` for experiment B)."""
    sweep_dir = tmp_path / "sweep"
    result = train_in_process("-m", "optimizer=sgd,adam,momentum,adagrad", "hydra/launcher=stacked", *SMALL,
                              f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = sorted(path.name for path in sweep_dir.iterdir() if path.is_dir())
    assert [job.split("optimizer=")[1].split(",")[0] for job in jobs] == ["sgd", "adam", "momentum", "adagrad"]
    assert "one stacked run of 4 jobs" in result.stdout + result.stderr
    members = [run for run in runs_in_scalars_order(sweep_dir) if run != "."]  # "." : the sweep's HPARAMS file
    assert members == jobs
