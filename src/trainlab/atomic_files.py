"""Files that are either fully written or not there at all.

Everything the project writes for later reading (status.json, summaries, checkpoints, caches) goes to a temporary
name in the same directory, is flushed to disk, and is then renamed over the target with ``os.replace`` - atomic on
POSIX and Windows. A crash or a full disk midway leaves the previous file intact and at worst a stray ``.tmp-*``.
The file gets the permissions of the file it replaces, or those ``open()`` gives a new file (``0o666`` less the
process's umask, e.g. ``rw-r--r--``) - not the owner-only ``rw-------`` of a temporary file, which would hide
summaries and checkpoints from the rest of a group on a shared machine.
A write that fails because the disk is full, the quota is used up, the file system is read-only or permission is
denied raises :class:`~trainlab.errors.OutputLocationError` naming the file and the reason (one line, exit status
2), whichever layer the operating system's error surfaced through (``torch.save`` wraps it in a ``RuntimeError``).
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from trainlab.errors import OutputLocationError

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


def process_umask() -> int:
    """The process's umask: from ``/proc/self/status`` on Linux, else by setting and restoring it (``os.umask`` can
    only be read that way)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass  # no /proc (macOS, Windows) or an unexpected format: read it the portable way below
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode_for(path: Path) -> int:
    """The permission bits a rewrite of ``path`` gets: those of the file it replaces, else a new file's."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~process_umask()


def write_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(handle)`` on a temporary file beside ``path``, fsync it, then rename it to ``path`` (with the
    permissions of :func:`file_mode_for`)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    except OSError as error:
        refusal = disk_refusal(path, error)
        if refusal is None:
            raise
        raise refusal from error
    try:
        with os.fdopen(fd, "wb") as handle:
            os.chmod(tmp, file_mode_for(path))  # mkstemp's file is owner-only (0o600)
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
