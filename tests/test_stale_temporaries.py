"""The temporaries of atomic writes a killed process left are removed when a run or sweep takes its directory under
its lock, once, and nothing else is (trainlab/stale_temporaries.py, trainlab.preflight.take_output_dir)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from trainlab.atomic_files import create_temporary
from trainlab.dir_lock import lock_output_dir, release_output_dirs
from trainlab.preflight import take_output_dir
from trainlab.run_dir import claim_run_dir

LOGGER = "trainlab.stale_temporaries"


def left_by_killed_writer(target: Path, size: int = 7) -> Path:
    """The file a process killed inside ``write_atomically`` leaves: trainlab's own temporary beside ``target``,
    written in part, never renamed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = create_temporary(target)
    os.write(descriptor, b"x" * size)
    os.close(descriptor)
    return temporary


def make(path: Path, content: bytes = b"kept") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.fixture(autouse=True)
def released():
    """What a test's command took (trainlab/dir_lock.py) is let go afterwards."""
    yield
    release_output_dirs()


def locked(directory: Path) -> Path:
    """Hold the lock of a directory as a command does, without cleaning it."""
    assert lock_output_dir(directory, "hydra.run.dir") is None
    return directory


def removed_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == LOGGER]


def test_a_resumed_run_removes_only_trainlabs_temporaries_in_the_places_it_writes(tmp_path, caplog):
    run = tmp_path / "run"
    make(run / ".hydra" / "config.yaml")
    checkpoint = make(run / "checkpoints" / "last.ckpt", b"the real checkpoint")
    status = left_by_killed_writer(run / "status.json")
    last = left_by_killed_writer(run / "checkpoints" / "last.ckpt", size=2_000)
    make(run / "lr_0.1" / "events.out.tfevents.1.host.2.0")  # a named logger's folder (logger.tensorboard.name)
    hparams = left_by_killed_writer(run / "lr_0.1" / "hparams.yaml")
    kept = [
        checkpoint,
        make(run / ".notes.tmp-draft"),  # a user's own hidden temporary
        make(run / "checkpoints" / "last.ckpt.tmp"),
        make(run / ".status.json.tmp-0123456789AB"),  # not trainlab's: upper case
        make(run / ".status.json.tmp-0123456789a"),  # 11 hex digits
        make(run / ".status.json.tmp-0123456789abc"),  # 13
        make(run / "status.json.tmp-0123456789ab"),  # not hidden
        make(run / "attempts" / "0" / "checkpoints" / ".last.ckpt.tmp-0123456789ab"),  # an earlier attempt's record
        make(run / ".hydra" / ".config.yaml.tmp-0123456789ab"),  # Hydra's, not a writer of the run's
        # a run inside this one (its .hydra/): its own lock's
        make(run / "inner" / ".hydra" / "config.yaml"),
        make(run / "inner" / "events.out.tfevents.1.host.2.0"),
        left_by_killed_writer(run / "inner" / "status.json"),
        left_by_killed_writer(tmp_path / "other_run" / "status.json"),  # another run's directory beside it
    ]
    (run / ".summary.csv.tmp-ba9876543210").mkdir()  # a folder of that name: not a file trainlab wrote
    (run / ".link.tmp-ba9876543210").symlink_to(checkpoint)  # nor a link
    kept += [run / ".summary.csv.tmp-ba9876543210", run / ".link.tmp-ba9876543210"]

    caplog.set_level(logging.INFO, logger=LOGGER)
    take_output_dir(run, "hydra.run.dir")  # ckpt_path=last, once its checks passed

    assert not status.exists() and not last.exists() and not hparams.exists()
    assert all(path.exists() or path.is_symlink() for path in kept)
    assert checkpoint.read_bytes() == b"the real checkpoint"
    assert removed_lines(caplog) == [
        f"removed 3 unfinished temporary files (2.0 kB) that a killed run left in {run}: {status.name}, "
        f"checkpoints/{last.name}, lr_0.1/{hparams.name}"]


def test_nothing_is_removed_where_this_process_does_not_hold_the_lock(tmp_path, caplog):
    """Without the lock a live writer of another command could be writing the temporary: it stays. Holding the lock
    of another directory (a sweep's, beside it) is no licence either."""
    from trainlab.stale_temporaries import remove_stale_temporaries, run_write_dirs  # (the other tests: old code too)

    run, other = tmp_path / "run", locked(tmp_path / "other_sweep")
    temporary = left_by_killed_writer(run / "checkpoints" / "last.ckpt")
    caplog.set_level(logging.INFO, logger=LOGGER)
    assert remove_stale_temporaries(run_write_dirs(run), run) == []
    assert temporary.exists() and removed_lines(caplog) == []
    # under the lock, but outside the directory it was asked to clean: not looked at
    beside = left_by_killed_writer(other / "status.json")
    assert remove_stale_temporaries([run, other], run) == []
    assert beside.exists()
    # the lock of the directory above (a sweep's, over its jobs) covers it
    locked(tmp_path)
    assert remove_stale_temporaries(run_write_dirs(run), run) == [temporary]


def test_an_attempt_set_aside_keeps_no_half_written_file(tmp_path, caplog):
    """resume_sweep=true moves an unfinished job's files to attempts/<n>/: its checkpoints/ used to carry the killed
    writer's temporary along, where no later run looks. The sweep removes it when it takes its lock, before the job
    claims its directory."""
    sweep = tmp_path / "sweep"
    job = sweep / "0_optimizer=sgd"
    make(job / "status.json", b'{"status": "interrupted"}')
    make(job / "checkpoints" / "last.ckpt", b"epoch 1")
    temporary = left_by_killed_writer(job / "checkpoints" / "last.ckpt")
    caplog.set_level(logging.INFO, logger=LOGGER)
    take_output_dir(sweep, "hydra.sweep.dir", sweep=True)
    claim_run_dir(job, resuming_checkpoint=False, resume_sweep=True)
    attempt = job / "attempts" / "0"
    assert (attempt / "checkpoints" / "last.ckpt").read_bytes() == b"epoch 1"
    assert sorted(path.name for path in attempt.rglob("*")) == ["checkpoints", "last.ckpt", "status.json"]
    assert not temporary.exists()
    assert removed_lines(caplog) == [
        f"removed 1 unfinished temporary file (7 B) that a killed run left in {sweep}: "
        f"{job.name}/checkpoints/{temporary.name}"]


def test_each_directory_is_cleaned_once_when_the_sweep_takes_its_lock_and_not_again_as_a_job_claims_it(
        tmp_path, caplog):
    """The sweep cleans its job directories when it takes its lock, before any job starts; a job claiming its
    directory (the stacked launcher claims every member's, the basic one each job's, in the sweep's process) looks
    for temporaries no more: what it finds can only be a write of this process under way - a member's."""
    sweep = tmp_path / "sweep"
    first, second = sweep / "0_optimizer.lr=0.1", sweep / "1_optimizer.lr=0.2"
    make(first / ".hydra" / "config.yaml")
    stale = [left_by_killed_writer(first / "status.json"), left_by_killed_writer(second / "checkpoints" / "last.ckpt")]
    caplog.set_level(logging.INFO, logger=LOGGER)
    take_output_dir(sweep, "hydra.sweep.dir", sweep=True)
    assert not any(path.exists() for path in stale)
    assert removed_lines(caplog) == [
        f"removed 2 unfinished temporary files (14 B) that a killed run left in {sweep}: {first.name}/"
        f"{stale[0].name}, {second.name}/checkpoints/{stale[1].name}"]
    claim_run_dir(first, resuming_checkpoint=False, resume_sweep=False)
    descriptor, writing = create_temporary(second / "checkpoints" / "last.ckpt")  # under way, not finished yet
    try:
        claim_run_dir(second, resuming_checkpoint=True, resume_sweep=False)
        assert writing.exists()
    finally:
        os.close(descriptor)
    assert len(removed_lines(caplog)) == 1


@pytest.mark.slow  # over 4 s on 2 cores: the default run stays near 4 min
def test_a_resumed_sweep_removes_its_killed_writers_temporaries_before_any_job_starts(train_in_process, tmp_path):
    """End to end: a killed sweep's temporaries in the sweep directory (summary.csv, written by the command) and in
    a job directory are removed by the command that resumes it, once it holds the sweep's lock - before any job
    starts, so also for launchers whose jobs train in worker processes. A report's folder (``trainlab report``, a
    command of its own) and a user's file are kept."""
    sweep_dir = tmp_path / "sweep"
    args = ["-m", "debug=limit", "trainer.max_epochs=1", "optimizer=sgd", f"hydra.sweep.dir={sweep_dir}"]
    assert train_in_process(*args).returncode == 0
    (job,) = [path for path in sweep_dir.iterdir() if path.is_dir()]
    summary = left_by_killed_writer(sweep_dir / "summary.csv")
    status = left_by_killed_writer(job / "status.json")
    kept = [left_by_killed_writer(sweep_dir / "report" / "summary.md"), make(sweep_dir / ".notes.tmp-draft")]

    refused = train_in_process(*args)  # without resume_sweep=true: refused before the lock, nothing removed
    assert refused.returncode == 2 and summary.exists() and status.exists()

    result = train_in_process(*args, "resume_sweep=true")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not summary.exists() and not status.exists() and all(path.exists() for path in kept)
    assert (f"removed 2 unfinished temporary files (14 B) that a killed run left in {sweep_dir}: {summary.name}, "
            f"{job.name}/{status.name}\n") in result.stdout
    assert (job / "status.json").exists() and (job / "checkpoints" / "last.ckpt").exists()


def test_a_failed_runs_directory_taken_over_keeps_no_half_written_file_in_its_attempt(train_in_process, tmp_path):
    """A single run that failed without a checkpoint, run again in its directory: its files go to attempts/0/ - a
    killed writer's temporary in its named logger's folder went along (set aside before the task cleaned), and the
    one beside its status.json was removed only after the set-aside, by the task. Both are removed where the command
    takes the directory's lock, before anything is moved."""
    run_dir = tmp_path / "run"
    make(run_dir / "status.json", b'{"status": "failed", "overrides": [], "metrics": {}}')
    make(run_dir / ".hydra" / "config.yaml", b"the failed run's config")
    make(run_dir / "lr_0.1" / "events.out.tfevents.1.host.7.0", b"its events")
    logged = left_by_killed_writer(run_dir / "lr_0.1" / "hparams.yaml")
    status = left_by_killed_writer(run_dir / "status.json", size=5)

    result = train_in_process("debug=limit", "logger.tensorboard.name=lr_0.1", f"hydra.run.dir={run_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    attempt = run_dir / "attempts" / "0"
    assert f"{run_dir} held a run that failed without a checkpoint; its files were moved to {attempt}" in (
        result.stderr)
    assert sorted(path.relative_to(attempt).as_posix() for path in attempt.rglob("*") if path.is_file()) == [
        ".hydra/config.yaml", "lr_0.1/events.out.attempt-events.1.host.7.0", "status.json"]
    assert not logged.exists() and not status.exists()
    assert list(run_dir.rglob("*.tmp-*")) == []
    assert result.stdout.count("unfinished temporary file") == 1
    assert (f"removed 2 unfinished temporary files (12 B) that a killed run left in {run_dir}: {status.name}, "
            f"lr_0.1/{logged.name}\n") in result.stdout
