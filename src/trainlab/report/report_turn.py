"""One ``trainlab report`` at a time writes into a report directory: the others wait for their turn.

Two reports of one sweep started together (two terminals, a script and a user) each read the directory's record
(:mod:`trainlab.report.output_dir`) before the other had saved one: the second then found the first one's figures
and TensorBoard event file unrecorded and was refused ("not recorded as a report's"), or both wrote at once and the
record named only one of them. A report now takes an exclusive ``flock`` on its directory (created if missing; no
file is added) before it reads the record, and holds it until the record is saved; the kernel drops it when the
process ends, however it ends. A report that finds the directory held says so and waits: when its turn comes the
earlier report is complete, and the new one replaces it as any report of the same sweep does. A run's directory
(``--out`` pointed at a job, whose training holds the same lock: :mod:`trainlab.dir_lock`) is not waited for - the
report's own checks refuse to write among a run's files (:mod:`trainlab.report.output_dir`).

Where ``fcntl`` does not exist (Windows) nothing is locked; a file system that refuses the call is said in a
warning, and the report goes on unlocked.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock
    fcntl = None


@contextmanager
def report_turn(directory: Path, tell: Callable[[str], None], warn: Callable[[str], None]) -> Iterator[None]:
    """Hold the exclusive lock on ``directory`` (created if missing) while the block runs; ``tell`` a line first
    when another process holds it, and wait. A directory this call made and nothing was written into is removed
    again (a report refused, or stopped while it waited)."""
    made = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(directory, os.O_RDONLY) if fcntl is not None else None
    try:
        if descriptor is not None:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not (directory / ".hydra").is_dir():  # a run's directory (--out at a job): its training holds it
                    tell(f"waiting for the other trainlab report that writes into {directory} to end")
                    fcntl.flock(descriptor, fcntl.LOCK_EX)  # else not waited for: the report's checks refuse it
            except OSError as error:  # a file system without flock: said, not silently skipped
                warn(f"{directory} cannot be locked ({error.strerror or error}): a second report written there now "
                     "would not wait for this one")
        yield
    finally:
        if descriptor is not None:
            os.close(descriptor)  # the lock goes with the last descriptor of it
        if made and directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
