"""The interpreter that a printed command (resume, finish a sweep, a hint) starts ``train.py`` with: ``python`` where
that word starts the same interpreter, else its path.

The printed lines said ``python train.py ...`` whatever ran the command. Started as ``.venv/bin/python train.py``
(the README's way, the venv not activated) with another ``python`` first on PATH, the pasted line ran that other
interpreter: ``ModuleNotFoundError: No module named 'torch'``.

The interpreter is the command's: ``train.py`` records its ``sys.executable`` in ``TRAINLAB_PYTHON`` when it starts,
and the processes that run its jobs and print commands too (joblib's workers, submitit's jobs, which may run another
interpreter) inherit it. ``python`` stands for it where ``python`` on PATH runs in the same installation
(:func:`installation`). A venv's ``bin/python`` is a symlink to its base interpreter, so every venv made from one
Python resolves to the same file: the ``pyvenv.cfg`` beside the executable or one level up - where Python itself looks
for it to set ``sys.prefix`` - tells them apart. Otherwise the path, as it can be pasted here: relative to the current
directory where it lies inside it (``.venv/bin/python``), else absolute; never resolved (that would leave the venv);
shell-quoted.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

RECORDED = "TRAINLAB_PYTHON"  # set by train.py: the command's interpreter, for the processes of its jobs


def installation(executable: str | os.PathLike) -> Path:
    """What an interpreter runs in: its venv's directory (a ``pyvenv.cfg`` beside it or one level up), else its file
    with symlinks resolved (``/usr/bin/python`` and ``/usr/bin/python3`` are then one interpreter)."""
    path = Path(os.path.abspath(executable))
    for directory in (path.parent, path.parent.parent):
        if (directory / "pyvenv.cfg").is_file():
            return directory.resolve()
    return path.resolve()


def pasted_path(executable: str) -> str:
    """``executable`` as a shell runs it from the current directory: relative where inside it (``./python`` for one
    right here: a bare name would be looked up on PATH), else absolute; shell-quoted."""
    absolute = os.path.abspath(executable)
    try:
        relative = os.path.relpath(absolute)
    except (ValueError, OSError):  # another drive (Windows), a current directory that was removed
        return shlex.quote(absolute)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):  # not inside the current directory
        return shlex.quote(absolute)
    return shlex.quote(relative if os.sep in relative else os.path.join(os.curdir, relative))


def command_python() -> str:
    """The command's interpreter: the one ``train.py`` recorded (:data:`RECORDED`), else this process's; ``""`` for
    an embedded interpreter that does not know its file."""
    return os.environ.get(RECORDED) or sys.executable or ""


def printed_python() -> str:
    """The interpreter's word in a printed command (see the module docstring)."""
    executable = command_python()
    if not executable:  # an embedded interpreter that does not know its file: the usual word
        return "python"
    on_path = shutil.which("python")
    if on_path is not None and installation(on_path) == installation(executable):
        return "python"
    return pasted_path(executable)
