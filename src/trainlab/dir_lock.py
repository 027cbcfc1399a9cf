"""One process at a time trains in a run's directory (or a basic sweep's): an exclusive lock on the directory.

Two ``python train.py`` commands started in the same second get the same default directory
(``outputs/runs/<date>_<time>``, named to the second), and each found it free of other runs' files
(:func:`~trainlab.run_dir.check_run_dir_free`) before the other had written any: both trained into it and exited 0
- one ``status.json`` describing the other's run, one ``last.ckpt`` overwritten, a sweep's ``summary.csv`` mixing
two sweeps' jobs. The check cannot see a run that has not written yet; a lock can. The process that will write
there takes an exclusive ``flock`` on the directory itself (no file is added to it) once its checks have passed, and
holds it until its run or multirun ends; the kernel drops it when the process ends, however it ends, so a crash
leaves nothing to clean up. A second process is refused naming the directory, before it writes anything there.

Not locked: the job directories inside a sweep (the sweep's process holds the sweep's lock), a search's sweep
directory (search workers share it on purpose: docs/hyper-parameter-search.md), and a DDP job's other ranks
(rank 0 writes the files). Where ``fcntl`` does not exist (Windows) nothing is locked. The lock is the machine's:
Linux's NFS client keeps a directory's ``flock`` on the client, so commands on two machines sharing an NFS
``outputs/`` are not kept apart; a file system that refuses the call is said in a warning.
"""

from __future__ import annotations

import os
from pathlib import Path

from trainlab.errors import RunDirInUseError

try:
    import fcntl
except ImportError:  # Windows: no flock
    fcntl = None

_held: dict[Path, int] = {}  # directory -> the open descriptor that holds its lock


def lock_output_dir(directory: Path, key: str) -> str | None:
    """Hold the exclusive lock on ``directory`` (created if missing) for this process; refuse with
    :class:`~trainlab.errors.RunDirInUseError` naming ``key`` when another process holds it. A directory this
    process already holds is kept (a process may run several commands in turn: tests, ``trainlab reproduce``).
    Returns a warning where the directory's file system cannot lock it (the command goes on unlocked)."""
    if fcntl is None or directory in _held:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise in_use(directory, key) from None
    except OSError as error:  # a file system without flock: said, not silently skipped
        os.close(descriptor)
        return (f"{key}={directory} cannot be locked ({error.strerror or error}): another command started into it "
                "now would not be refused")
    _held[directory] = descriptor
    return None


def in_use(directory: Path, key: str) -> RunDirInUseError:
    """The refusal of ``directory`` (``key``'s), whose lock another process holds."""
    return RunDirInUseError(
        f"output directory {directory} is in use by another process training there now (two commands started in "
        f"the same second get the same default directory); nothing was written. Start this one in a directory of "
        f"its own: {key}=<dir>")


def check_not_locked_by_another(directory: Path, key: str) -> None:
    """Refuse ``directory`` while another process holds its lock (:func:`locked_by_another`), before what it holds is
    judged: a sweep's running jobs, without their ``status.json`` yet, were told "failed without a checkpoint", and
    the advice it gave met this refusal."""
    if not holds_lock_over(directory) and locked_by_another(directory):  # this process's own lock: no other's
        raise in_use(directory, key)


def release_output_dirs() -> None:
    """Let go of every directory this process holds: its run or multirun has ended."""
    for descriptor in _held.values():
        os.close(descriptor)
    _held.clear()


def holds_lock_over(directory: Path) -> bool:
    """Whether this process holds the lock of ``directory`` or of a directory above it (a sweep's, over its job
    directories): no other command on this machine writes there until it lets go. False where nothing is locked
    (Windows, a file system that refuses ``flock``) and in a sweep's worker processes (their command holds it)."""
    directory = Path(os.path.abspath(directory))
    return any(Path(os.path.abspath(held)) in (directory, *directory.parents) for held in _held)


def locked_by_another(directory: Path) -> bool:
    """Whether another process holds the lock of ``directory`` now: a run training there (``trainlab evaluate``
    says so of a run without a ``status.json``). A shared, non-blocking probe, let go at once. False where nothing
    can tell (Windows, a file system that refuses ``flock``, a directory that cannot be opened) and for the
    directories that are not locked (a sweep's jobs, a search's): not held does not mean not training."""
    if fcntl is None:
        return False
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:  # no flock on this file system: nothing to tell
        return False
    finally:
        os.close(descriptor)  # closing lets go of a probe that got the lock
    return False
