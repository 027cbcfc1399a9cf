"""Files that are either fully written or not there at all.

Everything the project writes for later reading (status.json, summaries, checkpoints, caches) goes to a temporary
name in the same directory, is flushed to disk, and is then renamed over the target with ``os.replace`` - atomic on
POSIX and Windows. A crash or a full disk midway leaves the previous file intact and at worst a stray ``.tmp-*``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def write_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(handle)`` on a temporary file beside ``path``, fsync it, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    write_atomically(path, lambda handle: handle.write(text.encode("utf-8")))


def write_json_atomically(path: str | os.PathLike, payload: Any) -> None:
    write_text_atomically(path, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
