"""One process at a time trains in a run's directory or a basic sweep's (trainlab/dir_lock.py).

Two commands started in the same second get the same default directory; both found it free and trained into it,
one status.json describing the other's run. The process holding the directory's lock is played here by a
subprocess that takes it and waits.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from trainlab.dir_lock import lock_output_dir, release_output_dirs
from trainlab.errors import RunDirInUseError

HOLD = textwrap.dedent("""
    import fcntl, os, sys, time
    descriptor = os.open(sys.argv[1], os.O_RDONLY)
    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("held", flush=True)
    time.sleep(120)
""")


@pytest.fixture
def held_elsewhere():
    """Lock a directory from another process (as a command training there would); yields the function."""
    holders = []

    def hold(directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        holder = subprocess.Popen([sys.executable, "-c", HOLD, str(directory)], stdout=subprocess.PIPE, text=True)
        holders.append(holder)
        assert holder.stdout.readline().strip() == "held"

    yield hold
    for holder in holders:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def free_for_another_process(directory: Path) -> bool:
    probe = [sys.executable, "-c", "import fcntl, os, sys; fcntl.flock(os.open(sys.argv[1], os.O_RDONLY), "
             "fcntl.LOCK_EX | fcntl.LOCK_NB)", str(directory)]
    return subprocess.run(probe, capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock: POSIX")


def test_a_directory_another_process_holds_is_refused_naming_it(tmp_path, held_elsewhere):
    held_elsewhere(tmp_path / "run")
    with pytest.raises(RunDirInUseError, match=f"^output directory {tmp_path / 'run'} is in use by another process "
                                               "training there now .* Start this one in a directory of its own: "
                                               "hydra.run.dir=<dir>$"):
        lock_output_dir(tmp_path / "run", "hydra.run.dir")


def test_a_process_keeps_its_own_lock_and_lets_go_of_it(tmp_path):
    try:
        lock_output_dir(tmp_path / "run", "hydra.run.dir")
        lock_output_dir(tmp_path / "run", "hydra.run.dir")  # a second command of this process in the same directory
        assert not free_for_another_process(tmp_path / "run")
    finally:
        release_output_dirs()
    assert free_for_another_process(tmp_path / "run")


def test_a_run_into_a_directory_in_use_is_refused_before_it_writes(train_in_process, tmp_path, held_elsewhere):
    run_dir = tmp_path / "run"
    held_elsewhere(run_dir)
    result = train_in_process("trainer.max_steps=2", f"hydra.run.dir={run_dir}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: output directory {run_dir} is in use by "
                                                             "another process training there now")
    assert list(run_dir.iterdir()) == []  # no .hydra/, no log: the other run's directory is left as it is


def test_a_basic_sweep_into_a_sweep_dir_in_use_is_refused(train_in_process, tmp_path, held_elsewhere):
    sweep = tmp_path / "sweep"
    held_elsewhere(sweep)
    # optimized_metric=null: 2 steps end before the first validation, a config refusal that comes before the lock
    result = train_in_process("-m", "trainer.max_steps=2", "seed=1,2", "optimized_metric=null",
                              f"hydra.sweep.dir={sweep}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: output directory {sweep} is in use by "
                                                             "another process training there now")
    assert list(sweep.iterdir()) == []


@pytest.mark.parametrize("search", [False, True], ids=["grid", "search"])
def test_a_sweep_into_a_running_sweep_is_told_it_runs_not_that_its_jobs_failed(train_in_process, tmp_path,
                                                                               held_elsewhere, search):
    """A running sweep's first job (its files, no status.json yet) was judged before the lock was probed: "holds
    jobs that failed without a checkpoint ... re-run those jobs ... resume_sweep=true", advice that met this lock."""
    sweep = tmp_path / "sweep"
    (sweep / "0_seed=1").mkdir(parents=True)
    (sweep / "0_seed=1" / "events.out.tfevents.1.vm.1.0").write_bytes(b"")  # the running job's files so far
    (sweep / "0_seed=1" / "hparams.yaml").write_text("{}\n")
    held_elsewhere(sweep)
    args = ["hparams_search=random", "hydra.sweeper.n_trials=2"] if search else ["seed=1,2"]
    result = train_in_process("-m", "trainer.max_steps=2", "optimized_metric=null", *args,
                              f"hydra.sweep.dir={sweep}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: output directory {sweep} is in use by another process training there now (two commands started in "
        "the same second get the same default directory); nothing was written. Start this one in a directory of its "
        "own: hydra.sweep.dir=<dir>")
    assert sorted(path.name for path in sweep.iterdir()) == ["0_seed=1"]


@pytest.mark.parametrize("refused", [False, True], ids=["completed", "refused_by_its_data"])
def test_a_command_lets_go_of_its_directory_when_it_ends(train_in_process, tmp_path, refused):
    """In a process that runs several commands (tests, trainlab reproduce) another process may train there after
    it, and so may this one (a resume)."""
    run_dir = tmp_path / "run"
    too_many = ["data.train_size=9000"] if refused else []  # refused once the data is known, past Hydra's start
    first = train_in_process("trainer.max_steps=2", "trainer.max_epochs=-1", *too_many, f"hydra.run.dir={run_dir}")
    assert first.returncode == (2 if refused else 0), first.stderr[-2000:]
    run_dir.mkdir(exist_ok=True)
    assert free_for_another_process(run_dir)
    if not refused:
        again = train_in_process("trainer.max_steps=4", "trainer.max_epochs=-1", "ckpt_path=last",
                                 f"hydra.run.dir={run_dir}")
        assert again.returncode == 0, again.stderr[-2000:]


def test_a_refused_command_removes_what_it_made_and_no_other_commands_directory(tmp_path):
    """It removed the outermost directory it had made (outputs/ of a fresh root), with another command's new run
    directory in it."""
    from trainlab import preflight

    made = [tmp_path / "outputs" / "runs" / "A", tmp_path / "outputs" / "runs", tmp_path / "outputs"]
    (made[0] / ".hydra").mkdir(parents=True)
    (made[0] / ".hydra" / "config.yaml").write_text("{}\n")
    other = tmp_path / "outputs" / "runs" / "B"  # another command's, started meanwhile: Hydra's files so far
    (other / ".hydra").mkdir(parents=True)
    (other / ".hydra" / "config.yaml").write_text("{}\n")
    preflight.NEW_RUN_DIR[:] = made
    preflight.remove_refused_output_dir()
    assert not made[0].exists() and (other / ".hydra" / "config.yaml").is_file()
    other_parent = tmp_path / "fresh" / "sweeps"
    preflight.NEW_SWEEP_DIR[:] = [other_parent / "S", other_parent, tmp_path / "fresh"]
    (other_parent / "S").mkdir(parents=True)
    preflight.remove_refused_output_dir()
    assert not (tmp_path / "fresh").exists()  # the parents it made, emptied, go too


def test_a_refused_sweep_puts_back_the_multirun_yaml_it_found_until_one_of_its_jobs_starts(tmp_path):
    """Hydra's sweeper rewrites multirun.yaml before the launcher runs; a refusal before any job started puts the
    earlier one back (tests/test_sweep_checkpoint_paths.py: the stacked launcher, end to end), one after a job started
    keeps the new one - it describes the job that ran."""
    from trainlab import preflight

    recorded = tmp_path / "multirun.yaml"
    for job_started, kept in ((False, b"the sweep that trained here\n"), (True, b"this command's sweep\n")):
        recorded.write_bytes(b"the sweep that trained here\n")
        preflight.EARLIER_MULTIRUN_YAML[:] = [(recorded, recorded.read_bytes())]
        recorded.write_bytes(b"this command's sweep\n")  # as Hydra's sweeper does
        if job_started:
            preflight.Preflight().on_job_start(config=None)
        preflight.remove_refused_output_dir()
        assert recorded.read_bytes() == kept
        assert preflight.EARLIER_MULTIRUN_YAML == []
        assert [path.name for path in tmp_path.iterdir()] == ["multirun.yaml"]  # no temporary left
