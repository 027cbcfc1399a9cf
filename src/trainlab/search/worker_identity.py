"""Which process runs a trial: ``<host>:<pid>``, recorded on each trial, and whether that process is still alive."""

from __future__ import annotations

import os
import socket

WORKER_ATTR = "worker"


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def is_other_live_worker(worker: str | None) -> bool:
    """True only for another process on this host that still runs; a process elsewhere cannot be checked (False)."""
    host, _, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True
