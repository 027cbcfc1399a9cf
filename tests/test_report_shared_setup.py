"""The B/D titles and summary.md state the setup the jobs recorded: the titles were written out ("B: optimizers on
MNIST (5-layer net, He init)") and wrong for a sweep with ``init=xavier 'model.net.hidden_sizes=[50]'``."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from trainlab.report.build import draw, summary_markdown  # noqa: E402
from trainlab.report.sweep_runs import JobRun  # noqa: E402

CONFIG = """model:
  weight_decay: 0.0
  net:
    hidden_sizes: {hidden}
    activation: relu
    batch_norm: none
    dropout: 0.0
optimizer:
  lr: {lr}
data:
  batch_size: 128
  train_size: null
trainer:
  max_steps: 80
  max_epochs: -1
"""
CHOICES = "hydra:\n  runtime:\n    choices:\n      experiment: {experiment}\n      data: mnist\n      init: {init}\n" \
          "      optimizer: {optimizer}\n"


def recorded_job(sweep: Path, number: int, optimizer: str, lr: float, init: str = "xavier", hidden: str = "[50]",
                 experiment: str = "compare_optimizers") -> JobRun:
    path = sweep / f"{number}_optimizer={optimizer}"
    (path / ".hydra").mkdir(parents=True)
    (path / ".hydra" / "config.yaml").write_text(CONFIG.format(hidden=hidden, lr=lr))
    (path / ".hydra" / "hydra.yaml").write_text(CHOICES.format(experiment=experiment, init=init, optimizer=optimizer))
    losses = [2.3 - 0.01 * step for step in range(20)]
    return JobRun(name=path.name, path=path, params={"optimizer": optimizer}, status="completed", metrics={},
                  objective=None, scalars={"train/loss": (list(range(20)), losses)})


def test_the_b_title_states_the_net_and_init_the_jobs_ran_with(tmp_path):
    jobs = [recorded_job(tmp_path, 0, "sgd", 0.01), recorded_job(tmp_path, 1, "adam", 0.001)]
    figure = draw(jobs, ["optimizer"], "compare_optimizers")["optimizers_loss"]
    assert figure.axes[0].get_title() == "B: optimizers on MNIST (2-layer ReLU net, Xavier init)"


def test_the_d_title_states_the_optimizer_and_leaves_out_the_swept_init(tmp_path):
    jobs = [recorded_job(tmp_path, n, "sgd", 0.01, init=init, hidden="[100, 100, 100, 100]",
                         experiment="compare_init") for n, init in enumerate(("normal", "he"))]
    figure = draw(jobs, ["init"], "compare_init")["init_loss"]
    assert figure.axes[0].get_title() == "D: weight init on MNIST (5-layer ReLU net, SGD)"


def test_summary_states_the_settings_every_job_shares(tmp_path):
    jobs = [recorded_job(tmp_path, 0, "sgd", 0.01), recorded_job(tmp_path, 1, "adam", 0.001)]
    lines = summary_markdown(jobs, ["optimizer"], "compare_optimizers").splitlines()
    assert lines[4] == ("Shared by all jobs: MNIST, 2-layer ReLU net, hidden layers 50, Xavier init, batch 128, "
                        "80 iterations.")  # not the optimizer nor its lr: they differ


def test_jobs_without_recorded_configs_get_a_title_without_a_setup():
    jobs = [JobRun(name="0_x", path=Path("/nowhere/0_x"), params={}, status="completed", metrics={}, objective=None,
                   scalars={"train/loss": ([0, 1], [2.3, 2.2])})]
    assert draw(jobs, [], "compare_optimizers")["optimizers_loss"].axes[0].get_title() == "B: optimizers"
    assert "Shared by all jobs" not in summary_markdown(jobs, [], "compare_optimizers")
