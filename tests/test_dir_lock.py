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


pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock: POSIX")


def test_a_directory_another_process_holds_is_refused_naming_it(tmp_path, held_elsewhere):
    held_elsewhere(tmp_path / "run")
    with pytest.raises(RunDirInUseError, match=f"^output directory {tmp_path / 'run'} is in use by another process "
                                               "training there now .* Start this one in a directory of its own: "
                                               "hydra.run.dir=<dir>$"):
        lock_output_dir(tmp_path / "run", "hydra.run.dir")


def test_a_process_keeps_its_own_lock_and_lets_go_of_it(tmp_path):
    lock_output_dir(tmp_path / "run", "hydra.run.dir")
    lock_output_dir(tmp_path / "run", "hydra.run.dir")  # a second command of this process in the same directory
    probe = [sys.executable, "-c", "import fcntl, os, sys; fcntl.flock(os.open(sys.argv[1], os.O_RDONLY), "
             "fcntl.LOCK_EX | fcntl.LOCK_NB)", str(tmp_path / "run")]
    assert subprocess.run(probe, capture_output=True).returncode != 0  # held
    release_output_dirs()
    assert subprocess.run(probe, capture_output=True).returncode == 0  # free again


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
    result = train_in_process("-m", "trainer.max_steps=2", "seed=1,2", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: output directory {sweep} is in use by "
                                                             "another process training there now")
    assert list(sweep.iterdir()) == []


def test_runs_one_after_the_other_in_one_process_each_take_the_lock(train_in_process, tmp_path):
    """The lock is let go at the run's end: a resume in the same directory by the same process is not refused."""
    run_dir = tmp_path / "run"
    first = train_in_process("trainer.max_steps=2", "trainer.max_epochs=-1", f"hydra.run.dir={run_dir}")
    assert first.returncode == 0, first.stderr[-2000:]
    again = train_in_process("trainer.max_steps=4", "trainer.max_epochs=-1", "ckpt_path=last",
                             f"hydra.run.dir={run_dir}")
    assert again.returncode == 0, again.stderr[-2000:]
