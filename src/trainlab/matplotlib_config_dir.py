"""A writable configuration and cache directory for matplotlib where its default one is not (an unwritable HOME).

matplotlib is imported by every training process (torchmetrics imports it), by ``trainlab report`` and by
experiments A and C. It keeps its ``matplotlibrc`` and font cache in ``$MPLCONFIGDIR``, else - on Linux -
``$XDG_CONFIG_HOME/matplotlib`` and ``$XDG_CACHE_HOME/matplotlib`` (``~/.config/...``, ``~/.cache/...``). Where
those cannot be made or written (``HOME=/nonexistent``, a read-only home on a cluster's compute node or in a
container) every such process printed, before anything of its own::

    mkdir -p failed for path /nonexistent/.config/matplotlib: [Errno 13] Permission denied: '/nonexistent'
    Matplotlib created a temporary cache directory at /tmp/matplotlib-... because there was an issue with the
    default path (/nonexistent/.config/matplotlib); it is highly recommended to set the MPLCONFIGDIR environment
    variable to a writable directory, ...

and built its font cache anew in a directory removed at exit (``generated new fontManager`` in each run's
``train.log``): each run, each joblib worker, each report.

:func:`give_matplotlib_a_writable_dir` (called when trainlab is imported, before matplotlib is) then sets
``MPLCONFIGDIR`` to ``<temp dir>/trainlab-matplotlib-<uid>``: kept from one process to the next, so the font cache is
built once. Nothing is changed where ``MPLCONFIGDIR`` is set or the default directories are usable. The directory is
this user's alone: made with mode 0700, and used only if it is a directory (not a link) owned by this user that no
one else may write - matplotlib reads its ``matplotlibrc`` from there. Where that cannot be had (someone else's
directory in its place, no temporary directory), ``MPLCONFIGDIR`` is left unset and matplotlib's own fallback says
so, as before.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

PREFIX = "trainlab-matplotlib-"


def default_dirs() -> list[Path] | None:
    """The configuration and cache directories matplotlib uses without ``MPLCONFIGDIR``: ``[]`` where they depend
    on no home directory this module can judge (Windows), None where the home directory cannot be found."""
    if sys.platform == "win32":
        return []
    try:
        home = Path.home()
    except RuntimeError:  # no HOME and no password entry: matplotlib cannot resolve it either
        return None
    if sys.platform.startswith(("linux", "freebsd")):
        config = os.environ.get("XDG_CONFIG_HOME") or home / ".config"
        cache = os.environ.get("XDG_CACHE_HOME") or home / ".cache"
        return [Path(config, "matplotlib"), Path(cache, "matplotlib")]
    return [home / ".matplotlib"]


def usable(directory: Path) -> bool:
    """Whether ``directory`` is a writable directory, or could be made as one (its nearest existing ancestor is a
    directory this process may write into) - what matplotlib's ``mkdir -p`` and write check ask, without making it."""
    for path in (directory, *directory.parents):
        if path.exists():
            return path.is_dir() and os.access(path, os.W_OK | os.X_OK)
    return False


def private_dir(directory: Path) -> bool:
    """Whether ``directory`` is a directory (not a link) owned by this user that no one else may write."""
    try:
        info = directory.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


def give_matplotlib_a_writable_dir() -> None:
    """Set ``MPLCONFIGDIR`` to this user's directory under the temporary directory where it is unset and
    matplotlib's default directories are unusable (see the module docstring)."""
    if os.environ.get("MPLCONFIGDIR") or not hasattr(os, "getuid"):
        return
    defaults = default_dirs()
    if defaults is not None and all(usable(directory) for directory in defaults):
        return
    try:
        directory = Path(tempfile.gettempdir()) / f"{PREFIX}{os.getuid()}"
        directory.mkdir(mode=0o700, exist_ok=True)
    except OSError:  # no writable temporary directory: matplotlib's own fallback fails and says so, as before
        return
    if private_dir(directory):
        os.environ["MPLCONFIGDIR"] = str(directory)
