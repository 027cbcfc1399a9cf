"""A search's journal file (``<sweep dir>/optuna.journal``, or ``journal:<file>``): Optuna's ``JournalFileBackend``
made safe to find again after a crash.

Optuna appends each operation of the study as one JSON line, under a file lock, and syncs it. Three things can go
wrong around that, and each is handled here before Optuna reads the file:

* **The lock outlives a killed process.** Optuna's default lock is a symlink beside the file; a process killed while
  appending leaves it, and the next write waits 30 s for it - or forever, when the sweep dir was moved or copied
  since (the link then points nowhere and Optuna never breaks it). :class:`FlockLock` locks the journal file itself
  with ``flock``, which the kernel releases when the process ends, however it ends. Where the file system has no
  ``flock`` (Lustre mounted without ``-o flock``, some FUSE mounts), Optuna's own lock is used.
* **A torn last line.** A crash, a full disk or a power cut in the middle of an append leaves a last line without
  its newline; Optuna then refuses the whole file, and every later append lands after the fragment. The fragment
  is an operation that never completed: :func:`cut_torn_tail` removes it (with a warning naming how many bytes),
  which loses what a crash loses in any database - the operation in flight.
* **A file that is not a journal** (an SQLite study, any other file): a one-line :class:`ConfigError` instead of a
  traceback from Optuna's replay (or, for a file of one line, Optuna's silent start of a study after it: its reader
  takes a last line that does not parse for one being written).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

from trainlab.errors import ConfigError

try:  # POSIX
    import fcntl
except ImportError:  # Windows: Optuna's open-lock (its symlink lock needs a privilege there)
    fcntl = None

SQLITE_HEADER = b"SQLite format 3\x00"
FIRST_LINE_LIMIT = 1 << 20  # bytes read to check the first operation (a study's creation: ~100 bytes)
TAIL_CHUNK = 1 << 16

log = logging.getLogger(__name__)


class FlockLock:
    """An exclusive ``flock`` on the journal file, for ``JournalFileBackend(lock_obj=...)`` (its ``acquire`` /
    ``release`` protocol). The kernel drops it when the holder dies, so no stale lock can block a later search."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        return True

    def release(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


#: what ``flock`` answers on a file system that does not support it (some network file systems)
FLOCK_UNSUPPORTED = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL, errno.ENOSYS}


def lock_for(path: Path) -> FlockLock | JournalFileOpenLock | None:
    """:class:`FlockLock` where the file system supports ``flock`` (probed once), else Optuna's default lock (None;
    the open-lock on Windows)."""
    if fcntl is None:
        return JournalFileOpenLock(str(path))
    lock = FlockLock(path)
    try:
        lock.acquire()
    except OSError as error:
        if error.errno not in FLOCK_UNSUPPORTED:  # the file cannot be opened at all: the journal's own error says so
            raise
        log.info("%s: flock is not available here (%s); Optuna's symlink lock is used", path, error.strerror)
        return None
    lock.release()
    return lock


@contextlib.contextmanager
def holding(lock: FlockLock | JournalFileOpenLock | None) -> Iterator[None]:
    """``lock`` held for the block; None (where Optuna's default lock serves the backend) holds nothing."""
    if lock is None:
        yield
        return
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


def cut_torn_tail(path: Path, lock: FlockLock | JournalFileOpenLock | None = None) -> int:
    """Remove a last line that has no newline (an append that never completed), holding ``lock`` (the journal's,
    if any); returns the bytes removed."""
    with holding(lock), open(path, "r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return 0
        keep, end = 0, size
        while end > 0:  # the last newline, read backwards in chunks
            start = max(0, end - TAIL_CHUNK)
            handle.seek(start)
            newline = handle.read(end - start).rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        handle.truncate(keep)
        handle.flush()
        os.fsync(handle.fileno())
    return size - keep


def first_line_of(path: Path) -> bytes:
    """The file's first line (at most :data:`FIRST_LINE_LIMIT` bytes); ``b""`` for a missing file."""
    try:
        with open(path, "rb") as handle:
            return handle.readline(FIRST_LINE_LIMIT)
    except FileNotFoundError:
        return b""


def is_journal_operation(line: bytes) -> bool:
    """Whether ``line`` is one of the JSON objects Optuna's journal holds (each has an ``op_code``)."""
    try:
        operation = json.loads(line)
    except ValueError:
        return False
    return isinstance(operation, dict) and "op_code" in operation


def open_journal_file(path: Path, key: str, named: str, allowed: str) -> JournalStorage:
    """Optuna's journal storage over ``path`` (created if missing), checked and repaired as the module docstring
    says. Errors name ``key=named`` and the ``allowed`` forms."""
    try:
        first_line = first_line_of(path)
        if first_line.startswith(SQLITE_HEADER):
            raise ConfigError(f"{key}={named}: {path} is an SQLite database, not a journal file; allowed: "
                              f"sqlite:///{path} for it, or {allowed}")
        if first_line.endswith(b"\n") and not is_journal_operation(first_line):
            raise ConfigError(f"{key}={named}: {path} is not an Optuna journal file (its first line is not an "
                              f"operation of a study); allowed: {allowed}")
        lock = lock_for(path) if path.parent.is_dir() else None
        removed = cut_torn_tail(path, lock) if path.is_file() else 0
        if removed:
            log.warning("%s: its last line was cut short (%d bytes: an operation a crashed or killed process did "
                        "not finish); removed", path, removed)
        storage = JournalStorage(JournalFileBackend(str(path), lock_obj=lock))
        storage.get_all_studies()  # replays the file now: a file that is not a journal fails here, not mid-search
        return storage
    except ConfigError:
        raise
    except OSError as error:
        raise ConfigError(f"{key}={named}: cannot open the journal file ({error.strerror}: {path}); allowed: "
                          f"{allowed}") from None
    except (ValueError, KeyError, AssertionError) as error:  # Optuna's replay of a file that is not its journal
        raise ConfigError(f"{key}={named}: {path} is not an Optuna journal file ({type(error).__name__}: "
                          f"{error}); allowed: {allowed}") from None
