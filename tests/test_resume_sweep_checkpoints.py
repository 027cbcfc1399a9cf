"""``resume_sweep=true ckpt_path=last`` finishes a stopped sweep, whatever its launcher: each unfinished job that saved
``checkpoints/last.ckpt`` goes on from it, one that left none - never started, as the jobs after the one a Ctrl-C
stopped - trains from its start (one log line says so), a completed one is skipped (trainlab/checkpoint_path.py
``sweep_job_ckpt_path``). Without ``resume_sweep=true``, ``ckpt_path=last`` still names a checkpoint every job must
have, and a later job without one is refused before any job starts.

Before: the jobs with a checkpoint resumed and trained to their end, and then the first job without one was refused
(``error: ckpt_path=last: no checkpoint file at .../2_seed=2/checkpoints/last.ckpt (...)``, exit status 2), leaving its
directory with an empty ``train.log`` and no ``summary.csv``; the stacked launcher refused the whole resume up front.

The stopped sweep is made as a user's is, by a signal: ``-m seed=0,1,2`` with the basic launcher, job 1 stopped by a
SIGTERM at its first step (tests/signal_in_job.py) - job 0 completed, job 1 interrupted with its ``last.ckpt`` after
step 1, job 2 never started.
"""

from __future__ import annotations

import csv
import hashlib
import shlex
import signal

import pytest
import torch
import yaml
from conftest import JOB_PYTHONPATH
from sigterm_at_step import stacks_get_sigterm_at
from tb_events import load_run

from trainlab.run_status import read_status

# the jobs import trainlab from this checkout and signal_in_job from tests/, in the processes joblib or submitit start
SIGNAL = "+callbacks.s={_target_:signal_in_job.SignalInJob}"  # a SIGTERM where TRAINLAB_TEST_SIGNALS says
SWEEP = ["-m", "seed=0,1,2", "debug=limit", SIGNAL, "hydra.sweep.subdir=job${hydra.job.num}"]  # 10 steps a job
LAUNCHERS = {"basic": [], "joblib": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
             "submitit_local": ["hydra/launcher=submitit_local"], "stacked": ["hydra/launcher=stacked"]}
FROM_START = "resume_sweep=true ckpt_path=last: {} left no checkpoints/last.ckpt; training it from its start"


def stopped_sweep(train_in_process, sweep_dir):
    """The sweep of the module docstring, stopped at job 1; returns its job directories."""
    stopped = train_in_process(*SWEEP, f"hydra.sweep.dir={sweep_dir}", env={"TRAINLAB_TEST_SIGNALS": "1:SIGTERM"})
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr[-3000:]
    jobs = [sweep_dir / f"job{number}" for number in range(3)]
    assert read_status(jobs[0])["status"] == "completed" and read_status(jobs[1])["status"] == "interrupted"
    assert checkpoint_step(jobs[1]) == 1 and not jobs[2].exists()
    return jobs


def checkpoint_step(job_dir) -> int:
    return torch.load(job_dir / "checkpoints" / "last.ckpt", weights_only=False)["global_step"]


def loss_steps(job_dir) -> list[int]:
    """The steps of every ``train/loss`` point in the job's TensorBoard run (all its sessions' event files)."""
    return sorted(event.step for event in load_run(job_dir).Scalars("train/loss"))


def summary_rows(sweep_dir) -> list[tuple[str, str]]:
    with (sweep_dir / "summary.csv").open() as handle:
        return [(row["job"], row["status"]) for row in csv.DictReader(handle)]


def assert_resumed(job_dir, steps: int) -> None:
    """The job went on from the ``last.ckpt`` it saved: no earlier attempt set aside, its curve one run's."""
    log = (job_dir / "train.log").read_text()
    assert f"Restored all states from the checkpoint at {job_dir}/checkpoints/last.ckpt" in log
    assert FROM_START.format(job_dir.name) not in log
    assert not (job_dir / "attempts").exists()
    assert read_status(job_dir)["status"] == "completed"
    assert checkpoint_step(job_dir) == steps and loss_steps(job_dir) == list(range(steps))


def assert_trained_from_start(job_dir, steps: int) -> None:
    log = (job_dir / "train.log").read_text()
    assert log.count(FROM_START.format(job_dir.name)) == 1
    assert "Restor" not in log
    assert read_status(job_dir)["status"] == "completed"
    assert checkpoint_step(job_dir) == steps and loss_steps(job_dir) == list(range(steps))


@pytest.mark.parametrize("launcher", ["basic", "joblib", "submitit_local", "stacked"])
@pytest.mark.slow  # basic, stacked ~8 s; joblib ~15 s, submitit_local ~25 s on 2 cores
def test_resume_sweep_with_ckpt_path_last_resumes_jobs_with_a_checkpoint_and_trains_the_others_from_their_start(
        train_in_process, train_subprocess, tmp_path, launcher):
    sweep_dir = tmp_path / "sweep"
    jobs = stopped_sweep(train_in_process, sweep_dir)
    completed = (jobs[0] / "status.json").read_bytes()
    args = [*SWEEP, *LAUNCHERS[launcher], "resume_sweep=true", "ckpt_path=last", f"hydra.sweep.dir={sweep_dir}"]
    if launcher in ("joblib", "submitit_local"):  # jobs in processes of their own
        resumed = train_subprocess(*args, env={"PYTHONPATH": JOB_PYTHONPATH})
    else:
        resumed = train_in_process(*args)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "error:" not in resumed.stderr
    assert (jobs[0] / "status.json").read_bytes() == completed  # skipped
    assert_resumed(jobs[1], steps=10)
    assert_trained_from_start(jobs[2], steps=10)
    assert summary_rows(sweep_dir) == [("job0", "completed"), ("job1", "completed"), ("job2", "completed")]


STACKABLE = ["data.train_size=400", "data.val_size=100", "data.batch_size=50", "model.net.hidden_sizes=[32,32]",
             "trainer.max_epochs=2", "trainer.log_every_n_steps=1", "hydra/launcher=stacked",
             "hydra.sweep.subdir=job${hydra.job.num}"]  # 8 steps an epoch


@pytest.mark.slow  # ~8 s on 2 cores
def test_a_stacked_resume_stacks_the_jobs_it_trains_from_their_start(train_in_process, tmp_path, monkeypatch):
    """Jobs 0 and 1 were stopped together, as one stack, after step 6; jobs 2 and 3 are added by the resume. The
    resumed ones run alone (a ``ckpt_path`` resumes one run), the two new ones stack as ``resume_sweep=true`` alone
    would stack them."""
    sweep_dir = tmp_path / "sweep"

    with stacks_get_sigterm_at(monkeypatch, 5):
        stopped = train_in_process("-m", "seed=0,1", *STACKABLE, f"hydra.sweep.dir={sweep_dir}")
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr[-3000:]
    jobs = [sweep_dir / f"job{number}" for number in range(4)]
    assert [checkpoint_step(job) for job in jobs[:2]] == [6, 6]

    resumed = train_in_process("-m", "seed=0,1,2,3", *STACKABLE, "resume_sweep=true", "ckpt_path=last",
                               f"hydra.sweep.dir={sweep_dir}")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    output = resumed.stdout + resumed.stderr
    assert "Launching 4 jobs as 3 runs: 1 stacked, 2 alone" in output
    assert "#2,3 : one stacked run of 2 jobs" in output
    for job in jobs[:2]:
        assert_resumed(job, steps=16)
    for job in jobs[2:]:
        assert_trained_from_start(job, steps=16)
    assert summary_rows(sweep_dir) == [(f"job{number}", "completed") for number in range(4)]


@pytest.mark.parametrize("launcher", ["basic", "joblib", "submitit_local", "stacked"])
@pytest.mark.slow  # ~5 s in process; ~8 s with joblib or submitit_local on 2 cores
def test_ckpt_path_last_without_resume_sweep_is_refused_before_any_job_when_a_later_job_has_no_checkpoint(
        train_in_process, train_subprocess, tmp_path, launcher):
    """Jobs 0 and 1 have their ``last.ckpt``, job 2 none: the command names job 2 and leaves every file as it was
    (job 0 and 1 were not resumed first)."""
    sweep_dir = tmp_path / "sweep"
    jobs = stopped_sweep(train_in_process, sweep_dir)
    files = {path: path.read_bytes() for path in sweep_dir.rglob("*") if path.is_file()}
    args = [*SWEEP, *LAUNCHERS[launcher], "ckpt_path=last", f"hydra.sweep.dir={sweep_dir}"]
    if launcher in ("joblib", "submitit_local"):
        refused = train_subprocess(*args, env={"PYTHONPATH": JOB_PYTHONPATH})
    else:
        refused = train_in_process(*args)
    assert refused.returncode == 2, refused.stderr[-3000:]
    assert refused.stderr == (
        f"error: ckpt_path=last: no checkpoint file at {jobs[2]}/checkpoints/last.ckpt (ckpt_path=last resumes the "
        f"run in hydra.run.dir / hydra.sweep.dir; the newest run here with one: hydra.run.dir={jobs[1]}) (in job job2 "
        "of the sweep; no job was run)\n")
    assert "#0 :" not in refused.stdout
    assert {path: path.read_bytes() for path in sweep_dir.rglob("*") if path.is_file()} == files


def file_digests(directory) -> dict[str, str]:
    """Every file under ``directory`` (its path inside it) with the md5 of its bytes."""
    return {path.relative_to(directory).as_posix(): hashlib.md5(path.read_bytes()).hexdigest()
            for path in sorted(directory.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("launcher", ["basic", "joblib", "stacked"])
@pytest.mark.slow  # ~8 s in process, ~12 s with joblib on 2 cores
def test_a_resume_refused_for_a_jobs_damaged_checkpoint_leaves_the_sweep_byte_identical(
        train_in_process, train_subprocess, tmp_path, launcher):
    """Job 1's ``last.ckpt`` truncated: the refusal comes before the sweep is written. Before, it came from job 1's
    task - after Hydra had rewritten ``multirun.yaml`` and the ``.hydra/`` and ``train.log`` of job 0 (completed,
    skipped) and job 1, joblib's second worker had started job 2, and the refusal had replaced the sweep's HPARAMS
    event file."""
    sweep_dir = tmp_path / "sweep"
    jobs = stopped_sweep(train_in_process, sweep_dir)
    (jobs[1] / "checkpoints" / "last.ckpt").write_bytes(b"PK\x03\x04 truncated")
    before = file_digests(sweep_dir)
    args = [*SWEEP, *LAUNCHERS[launcher], "resume_sweep=true", "ckpt_path=last", f"hydra.sweep.dir={sweep_dir}"]
    if launcher == "joblib":
        refused = train_subprocess(*args, env={"PYTHONPATH": JOB_PYTHONPATH})
    else:
        refused = train_in_process(*args)
    assert refused.returncode == 2, refused.stderr[-3000:]
    assert refused.stderr.endswith(
        f"error: ckpt_path=last ({jobs[1]}/checkpoints/last.ckpt) is not a checkpoint: not a PyTorch archive (a "
        "truncated or damaged checkpoint, or another kind of file); ckpt_path takes a checkpoint that a trainlab run "
        "wrote (<run dir>/checkpoints/last.ckpt) (in job job1 of the sweep; no job was run)\n"), refused.stderr
    assert "#0 :" not in refused.stdout + refused.stderr
    assert file_digests(sweep_dir) == before


@pytest.mark.slow  # ~10 s on 2 cores
def test_a_job_that_a_resume_ran_resumes_alone_with_its_recorded_overrides(train_in_process, tmp_path):
    """Job 1, trained again by ``resume_sweep=true`` and stopped again, records ``resume_sweep=true`` among its
    overrides: pasted as they were, the single run was refused (``error: resume_sweep=True: this command runs a single
    run (no -m) ...``). The command that resumes it alone leaves it out, and goes on from its checkpoint."""
    from trainlab.shell_override import job_alone_command

    sweep_dir = tmp_path / "sweep"
    jobs = stopped_sweep(train_in_process, sweep_dir)
    again = train_in_process(*SWEEP, "resume_sweep=true", f"hydra.sweep.dir={sweep_dir}",
                             env={"TRAINLAB_TEST_SIGNALS": "1:SIGTERM"})
    assert again.returncode == 128 + signal.SIGTERM, again.stderr[-3000:]
    recorded = yaml.safe_load((jobs[1] / ".hydra" / "overrides.yaml").read_text())
    assert any(override.startswith("resume_sweep=") for override in recorded), recorded
    words = shlex.split(job_alone_command(jobs[1], recorded))
    assert not any(word.startswith("resume_sweep=") for word in words)
    alone = train_in_process(*words[words.index("train.py") + 1:] if "train.py" in words else words[2:])
    assert alone.returncode == 0, alone.stderr[-3000:]
    assert read_status(jobs[1])["status"] == "completed" and checkpoint_step(jobs[1]) == 10
    assert f"Restored all states from the checkpoint at {jobs[1]}/checkpoints/last.ckpt" in (
        jobs[1] / "train.log").read_text()
