"""A Ctrl-C or SIGTERM between the jobs of a sweep trained in the command's process (the basic and the stacked
launcher: Hydra composing the next job, its data and model being built) stops the sweep with its tables and the
command that finishes it (trainlab/sweep/between_jobs.py). Python's own handler answered there: a KeyboardInterrupt
traceback from inside Hydra or OmegaConf, no summary.csv, no 'Finish the sweep with:' line (SIGTERM: not a word)."""

from __future__ import annotations

import csv
import signal

import pytest
from conftest import JOB_PYTHONPATH


@pytest.mark.slow  # ~10 s each on 2 cores (make test-slow; the default run stays ~4 min)
@pytest.mark.parametrize("launcher, job, signame", [("basic", 0, "SIGINT"), ("basic", 0, "SIGTERM"),
                                                     ("stacked", 1, "SIGINT")])
def test_a_stop_between_jobs_ends_the_sweep_with_its_summary_and_the_command_that_finishes_it(
        train_subprocess, tmp_path, launcher, job, signame):
    sweep = tmp_path / "sweep"
    run = train_subprocess("-m", "debug=limit", "trainer.max_epochs=1", "model.net.activation=relu,sigmoid",
                           "optimizer=sgd,adam", f"hydra/launcher={launcher}", f"hydra.sweep.dir={sweep}",
                           f"+hydra.callbacks.stop={{_target_:signal_after_job.SignalAfterJob,job:{job},"
                           f"signal:{signame}}}", env={"PYTHONPATH": JOB_PYTHONPATH})
    signum = getattr(signal, signame)
    assert run.returncode == -signum, run.stderr[-3000:]
    assert "Traceback" not in run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines[-2] == f"{signame} between the sweep's jobs: stopped before the next job trained", lines[-3:]
    assert lines[-1].startswith("Finish the sweep with: python train.py -m "), lines[-1]
    assert lines[-1].endswith(f"resume_sweep=true hydra.sweep.dir={sweep}"), lines[-1]
    with open(sweep / "summary.csv", newline="") as table:
        rows = list(csv.DictReader(table))
    assert [row["status"] for row in rows][:job + 1] == ["completed"] * (job + 1)
    assert len([row for row in rows if row["status"] == "completed"]) == job + 1


@pytest.mark.slow  # ~10 s on 2 cores
def test_a_stop_after_the_last_job_says_the_jobs_had_ended_and_offers_nothing_to_finish(train_subprocess, tmp_path):
    sweep = tmp_path / "sweep"
    run = train_subprocess("-m", "debug=limit", "trainer.max_epochs=1", "seed=1,2", f"hydra.sweep.dir={sweep}",
                           "+hydra.callbacks.stop={_target_:signal_after_job.SignalAfterJob,job:1,signal:SIGINT}",
                           env={"PYTHONPATH": JOB_PYTHONPATH})
    assert run.returncode == -signal.SIGINT, run.stderr[-3000:]
    assert run.stderr.strip().splitlines()[-1] == "SIGINT after the sweep's last job: its jobs had ended"
    assert "Finish the sweep with" not in run.stderr
    with open(sweep / "summary.csv", newline="") as table:
        assert [row["status"] for row in csv.DictReader(table)] == ["completed", "completed"]


@pytest.mark.slow  # ~10 s on 2 cores
def test_a_ctrl_c_while_a_job_without_a_stop_handler_trains_is_lightnings_as_before(train_subprocess, tmp_path):
    """``callbacks=none`` (no GracefulShutdown): Lightning answers a Ctrl-C in training, as conf/callbacks/none.yaml
    says - the sweep's handler between jobs had taken it for a stop between jobs (job 0 left without status.json)."""
    sweep = tmp_path / "sweep"
    run = train_subprocess("-m", "debug=limit", "callbacks=none", "seed=1,2", f"hydra.sweep.dir={sweep}",
                           "+callbacks.s={_target_:signal_in_job.SignalInJob}",
                           env={"PYTHONPATH": JOB_PYTHONPATH, "TRAINLAB_TEST_SIGNALS": "0:SIGINT"})
    assert run.returncode == 1, run.stderr[-3000:]
    assert "Detected KeyboardInterrupt" in run.stdout + run.stderr
    assert "between the sweep's jobs" not in run.stderr
