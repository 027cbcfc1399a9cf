"""Files that are either fully written or not there at all.

Everything the project writes for later reading (status.json, summaries, checkpoints, caches) goes to a temporary
name in the same directory, is flushed to disk, and is then renamed over the target with ``os.replace`` - atomic on
POSIX and Windows. A full disk or an exception midway leaves the previous file intact and removes the temporary;
a process killed midway (SIGKILL, the OOM killer, a power loss, a SLURM preemption past its grace time) leaves the
previous file intact too, but cannot remove its temporary ``.<name>.tmp-<12 hex digits>`` (:data:`TEMPORARY_NAME`,
up to a checkpoint's size): the next run or sweep that takes the directory's lock removes it
(:mod:`trainlab.stale_temporaries`).
The file gets the permissions ``open()`` gives a new file (``0o666`` less the umask, e.g. ``rw-r--r--``, or what
the directory's default ACL says), or keeps those of the file it replaces - not the owner-only ``rw-------`` of
``tempfile.mkstemp``, which would hide summaries and checkpoints from the rest of a group on a shared machine.
A write that fails because the disk is full, the quota is used up, the file system is read-only or permission is
denied raises :class:`~trainlab.errors.OutputLocationError` naming the file and the reason (one line, exit status
2), whichever layer the operating system's error surfaced through (``torch.save`` wraps it in a ``RuntimeError``).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from trainlab.errors import OutputLocationError

log = logging.getLogger(__name__)

#: the name of :func:`create_temporary`'s files: ``.<target's name>.tmp-<12 lowercase hex digits>``, nothing else
TEMPORARY_RANDOM_BYTES = 6  # 12 hex digits
TEMPORARY_NAME = re.compile(rf"\.(?P<target>.+)\.tmp-[0-9a-f]{{{2 * TEMPORARY_RANDOM_BYTES}}}", re.DOTALL)

#: the operating system's reasons for which no retry in the same place can succeed
UNWRITABLE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def unwritable_cause(error: BaseException) -> OSError | None:
    """The ``OSError`` with an :data:`UNWRITABLE` errno that ``error`` is, or was caused by, if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError) and current.errno in UNWRITABLE:
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def create_temporary(path: Path) -> tuple[int, Path]:
    """A new file beside ``path``, opened for writing and created as ``open()`` creates files (``0o666`` less the
    umask, the directory's default ACL applied) - ``tempfile.mkstemp`` would make it owner-only."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temporary = path.parent / f".{path.name}.tmp-{secrets.token_hex(TEMPORARY_RANDOM_BYTES)}"
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


def keep_mode_of(path: Path, fd: int, temporary: Path) -> None:
    """A rewrite keeps the permissions a user gave the file it replaces. Best effort: a new file, a target that
    cannot be read (a dangling or looping link) or a file system that refuses ``chmod`` (vfat, some CIFS/FUSE
    mounts) leaves the temporary file as ``open()`` made it; modes are not kept on Windows (only a read-only flag,
    which would stop the replace)."""
    if os.name == "nt":
        return
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return
    if stat.S_IMODE(os.fstat(fd).st_mode) == mode:
        return
    try:
        os.chmod(temporary, mode)
    except OSError as error:
        log.debug("%s: its mode %o is not kept by the rewrite (%s)", path, mode, error.strerror)


def write_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(handle)`` on a temporary file beside ``path`` (:func:`create_temporary`, :func:`keep_mode_of`),
    fsync it, then rename it to ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = create_temporary(path)
    except OSError as error:
        refusal = disk_refusal(path, error)
        if refusal is None:
            raise
        raise refusal from error
    try:
        with os.fdopen(fd, "wb") as handle:
            keep_mode_of(path, fd, tmp)
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        Path(tmp).unlink(missing_ok=True)
        refusal = disk_refusal(path, error)
        if refusal is None:
            raise
        raise refusal from error


def disk_refusal(path: Path, error: BaseException) -> OutputLocationError | None:
    """An :class:`OutputLocationError` naming ``path`` when ``error`` is the disk refusing the write, else None."""
    cause = unwritable_cause(error)
    if cause is None or isinstance(error, OutputLocationError):
        return None
    return OutputLocationError(f"cannot write {path} ({cause.strerror})")


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    write_atomically(path, lambda handle: handle.write(text.encode("utf-8")))


def write_json_atomically(path: str | os.PathLike, payload: Any) -> None:
    write_text_atomically(path, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
