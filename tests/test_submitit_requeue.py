"""submitit's time-limit / preemption signal: the run saves after the step, submitit requeues the job, and the
requeued job resumes from the checkpoint in its own directory (trainlab/submitit_requeue.py)."""

from __future__ import annotations

import csv
import json
import signal

import pytest
import torch
from conftest import JOB_PYTHONPATH
from submitit.core.job_environment import SignalHandler
from submitit.local.local import LocalJobEnvironment

from trainlab.callbacks.graceful_shutdown import SIGNALS, handled_signals
from trainlab.submitit_requeue import (
    REQUEUE_FILE,
    current_job_id,
    forget_requeue,
    note_requeue,
    one_stop,
    requeued_checkpoint,
    restarted_before_saving,
    submitit_signal,
)


@pytest.fixture
def submitit_job(monkeypatch):
    """This process as submitit's local executor runs a job: its environment, and its requeue handler installed for
    SIGUSR2 as submitit installs it (never called here). Yields a function that sets the job's id."""
    monkeypatch.setenv("SUBMITIT_EXECUTOR", "local")
    monkeypatch.delenv("SUBMITIT_PREEMPT_SIGNAL", raising=False)

    def with_id(job_id: str) -> None:
        monkeypatch.setenv("SUBMITIT_LOCAL_JOB_ID", job_id)

    with_id("4242")
    handler = SignalHandler(LocalJobEnvironment(), job_paths=None, delayed=None)
    previous = signal.signal(signal.SIGUSR2, handler.checkpoint_and_try_requeue)
    try:
        yield with_id
    finally:
        signal.signal(signal.SIGUSR2, previous)


def test_outside_a_submitit_job_nothing_is_requeued(tmp_path):
    assert submitit_signal() is None and current_job_id() is None
    assert handled_signals() == SIGNALS  # SIGUSR2 is left alone
    assert note_requeue(tmp_path, signal.SIGUSR2, tmp_path / "last.ckpt") is False
    assert not (tmp_path / REQUEUE_FILE).exists()
    previous = signal.signal(signal.SIGUSR2, lambda *_: None)  # a handler of the user's own: not submitit's
    try:
        assert submitit_signal() is None
    finally:
        signal.signal(signal.SIGUSR2, previous)


def test_in_a_submitit_job_its_signal_is_answered_and_noted(submitit_job, tmp_path):
    assert submitit_signal() == signal.SIGUSR2 and current_job_id() == "4242"
    assert handled_signals() == (*SIGNALS, signal.SIGUSR2)
    checkpoint = tmp_path / "checkpoints" / "last.ckpt"
    checkpoint.parent.mkdir()
    checkpoint.write_bytes(b"saved")
    assert note_requeue(tmp_path, signal.SIGTERM, checkpoint) is False  # a SIGTERM is no requeue
    assert note_requeue(tmp_path, signal.SIGUSR2, checkpoint) is True
    assert json.loads((tmp_path / REQUEUE_FILE).read_text()) == {
        "submitit_job_id": "4242", "checkpoint": str(checkpoint), "signal": "SIGUSR2"}
    assert requeued_checkpoint(tmp_path) == checkpoint
    submitit_job("4243")  # another job in this directory (the sweep run again): not a requeue of it
    assert requeued_checkpoint(tmp_path) is None
    submitit_job("4242")
    checkpoint.unlink()  # nothing to resume from
    assert requeued_checkpoint(tmp_path) is None
    forget_requeue(tmp_path)
    assert not (tmp_path / REQUEUE_FILE).exists()


def test_an_unreadable_note_is_said_and_not_followed(submitit_job, tmp_path, caplog):
    (tmp_path / REQUEUE_FILE).write_text("{not json")
    assert requeued_checkpoint(tmp_path) is None
    assert f"{tmp_path / REQUEUE_FILE} is unreadable" in caplog.text


def test_slurms_sigterm_and_submitits_signal_are_one_stop_in_either_order():
    usr2, term, sigint = signal.SIGUSR2, signal.SIGTERM, signal.SIGINT
    assert one_stop(term, usr2, usr2) and one_stop(usr2, term, usr2)
    assert not one_stop(term, term, usr2) and not one_stop(usr2, usr2, usr2)  # the same again: stop at once
    assert not one_stop(sigint, usr2, usr2) and not one_stop(term, usr2, None)  # outside a submitit job


def test_the_preemption_signal_can_be_another(submitit_job, monkeypatch):
    monkeypatch.setenv("SUBMITIT_PREEMPT_SIGNAL", "USR1")  # submitit's setting: its handler would be on SIGUSR1
    assert submitit_signal() is None  # SIGUSR1's handler is not submitit's here


def test_the_requeued_job_resumes_in_its_own_directory(submitit_job, make_cfg, tmp_path):
    """``train`` as submitit's job process calls it (through Hydra's ``run_job``: no preflight of a single run)."""
    from trainlab.errors import RunDirInUseError
    from trainlab.train import train

    run_dir = tmp_path / "job"

    def config(steps: int):
        return make_cfg("debug=limit", "trainer.max_epochs=2", "test=false", f"trainer.max_steps={steps}",
                        output_dir=run_dir)

    train(config(2))
    checkpoint = run_dir / "checkpoints" / "last.ckpt"
    submitit_job("77")
    assert note_requeue(run_dir, signal.SIGUSR2, checkpoint)
    submitit_job("78")  # another job: the directory is refused, as it was
    with pytest.raises(RunDirInUseError, match="already holds a run"):
        train(config(4))
    submitit_job("77")  # the requeued job: it goes on from step 2
    train(config(4))
    assert torch.load(checkpoint, weights_only=False)["global_step"] == 4
    assert json.loads((run_dir / "status.json").read_text())["status"] == "completed"
    assert not (run_dir / REQUEUE_FILE).exists()  # ended: a later start here is no requeue


def test_a_job_requeued_before_it_saved_anything_trains_anew_beside_its_set_aside_attempt(submitit_job, make_cfg,
                                                                                           tmp_path):
    """submitit's own handler answers its signal during the start-up: the requeued job found the event file and
    hparams.yaml its first attempt had written, and was refused as a directory that holds a run."""
    from trainlab.train import train

    run_dir = tmp_path / "job"
    run_dir.mkdir()
    (run_dir / "events.out.tfevents.1.vm.1.000000").write_bytes(b"")
    (run_dir / "hparams.yaml").write_text("seed: 0\n")
    assert restarted_before_saving(run_dir)
    train(make_cfg("debug=limit", "test=false", output_dir=run_dir))
    assert json.loads((run_dir / "status.json").read_text())["status"] == "completed"
    assert sorted(p.name for p in (run_dir / "attempts" / "0").iterdir()) == [
        "events.out.attempt-events.1.vm.1.000000", "hparams.yaml"]


def test_only_a_submitit_job_without_status_or_checkpoint_counts_as_restarted_before_saving(submitit_job, tmp_path,
                                                                                            monkeypatch):
    (tmp_path / "hparams.yaml").write_text("seed: 0\n")
    assert restarted_before_saving(tmp_path)
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "last.ckpt").write_bytes(b"saved")
    assert not restarted_before_saving(tmp_path)  # a checkpoint: requeue.json resumes it, or the run is refused
    (tmp_path / "checkpoints" / "last.ckpt").unlink()
    (tmp_path / "status.json").write_text("{}")
    assert not restarted_before_saving(tmp_path)  # a run that recorded how it ended
    (tmp_path / "status.json").unlink()
    monkeypatch.setattr(signal, "getsignal", lambda signum: signal.SIG_DFL)  # outside submitit
    assert not restarted_before_saving(tmp_path)


@pytest.mark.slow  # ~40 s: two submitit processes that each import Lightning, one of them twice
@pytest.mark.parametrize("signals", ["SIGUSR2", "SIGTERM+SIGUSR2"])  # a time limit; SLURM's preemption sends both
@pytest.mark.parametrize("launcher", ["submitit_local", "submitit_slurm"])
def test_a_submitit_job_signalled_at_its_time_limit_is_requeued_and_finishes_as_if_never_stopped(
        train_subprocess, tmp_path, signals, launcher, request):
    """Job 0 gets SIGUSR2 (submitit's time-limit signal), or SIGTERM and then SIGUSR2 (a preemption: the second
    signal stopped it at once, without a checkpoint or a requeue), at its first step; job 1, the same config, runs
    through. Under SLURM (the fake of tests/fake_slurm/) submitit requeues with ``scontrol requeue``, and SLURM
    starts the job's batch script again under the same id; Lightning, seeing a SLURM job, installs its own handlers
    there too."""
    slurm_state = request.getfixturevalue("fake_slurm") if launcher == "submitit_slurm" else None
    result = train_subprocess("-m", f"hydra/launcher={launcher}", "debug=limit", "seed=3,3",
                              "+callbacks.s={_target_:signal_in_job.SignalInJob}",
                              env={"PYTHONPATH": JOB_PYTHONPATH, "TRAINLAB_TEST_SIGNALS": f"0:{signals}"})
    assert result.returncode == 0, result.stderr[-3000:]
    (sweep,) = (tmp_path / "outputs" / "multiruns").iterdir()
    with open(sweep / "summary.csv", newline="") as summary:
        assert [row["status"] for row in csv.DictReader(summary)] == ["completed", "completed"]
    stopped, through = sorted(p for p in sweep.iterdir() if p.is_dir() and p.name[0].isdigit())
    log = (stopped / "train.log").read_text()
    first = signals.split("+")[0]
    assert f"received {first}: stopping after this step" in log and "submitit requeued this job: resuming" in log
    submitit_logs = "".join(p.read_text() for p in (sweep / ".submitit").rglob("*_log.out"))
    assert "Requeued job" in submitit_logs
    assert not (stopped / REQUEUE_FILE).exists()
    final = [json.loads((job / "status.json").read_text())["metrics"] for job in (stopped, through)]
    assert final[0] == final[1]  # the same numbers as the job that was never stopped
    if slurm_state is not None:  # SLURM restarted job 0 once, under its id; job 1 ran once
        restarts = {json.loads(path.read_text())["key"]: json.loads(path.read_text())["restarts"]
                    for path in (slurm_state / "jobs").glob("*.json")}
        assert restarts == {"1000_0": 1, "1000_1": 0}


@pytest.mark.slow  # ~60 s: a submitit job of two DDP processes, started twice
def test_a_ddp_job_of_submitit_signalled_at_its_time_limit_is_requeued_and_finishes(train_subprocess, tmp_path):
    """The job's process and its ranks get SIGUSR2 at step 4, as SLURM signals every process of a job: the ranks
    leave it to the job's process (by default it ended them at once), which passes it on as SIGTERM; they save
    together, submitit requeues the job, and the requeued job's ranks resume from that checkpoint."""
    result = train_subprocess("-m", "hydra/launcher=submitit_local", "trainer=ddp", "trainer.max_steps=12",
                              "trainer.max_epochs=-1", "data.train_size=768", "data.val_size=200",
                              "callbacks.progress_bar=null",
                              "+callbacks.sigterm._target_=sigterm_at_step.SignalToJobAndRanksAtStep",
                              "+callbacks.sigterm.step=4", "+callbacks.sigterm.signal=SIGUSR2",
                              env={"PYTHONPATH": JOB_PYTHONPATH})
    assert result.returncode == 0, result.stderr[-3000:]
    (sweep,) = (tmp_path / "outputs" / "multiruns").iterdir()
    (job,) = (p for p in sweep.iterdir() if p.is_dir() and p.name[0].isdigit())
    log = (job / "train.log").read_text()
    assert "received SIGUSR2: passing it to the 2 DDP processes" in log
    assert "submitit requeued this job: resuming from" in log
    assert json.loads((job / "status.json").read_text())["status"] == "completed"
    assert torch.load(job / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 12
    assert not (job / REQUEUE_FILE).exists()
