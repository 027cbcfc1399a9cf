"""The words a printed ``trainlab ...`` command (a hint, the line that finishes an interrupted ``trainlab reproduce``)
starts with: ``trainlab`` where that word runs the command's own installation, else ``<python> -m trainlab``.

The printed lines said ``trainlab ...`` whatever ran the command. Run the README's way - ``.venv/bin/python
train.py``, the venv not activated - ``trainlab`` is not on PATH (``command not found``), or is another
installation's. ``python -m trainlab`` is the same command (:mod:`trainlab.__main__`), so it stands in, with the
interpreter as :func:`~trainlab.printed_python.printed_python` prints it (``python`` where that word is the same
installation, else its path).

``trainlab`` on PATH belongs to the command's installation when the interpreter its script starts - the ``#!`` line
pip writes, or the ``exec`` line of the ``/bin/sh`` preamble it writes instead for a long path or one with spaces -
runs in the same installation (:func:`~trainlab.printed_python.installation`), or when the script lies in the
interpreter's venv (``<venv>/bin/trainlab``). A file that says neither (a pyenv shim, another program called
``trainlab``) does not.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path
from typing import Any

from trainlab.printed_python import command_python, installation, printed_python

COMMAND = "trainlab"


def script_interpreter(script: str | Path) -> str | None:
    """The interpreter a console script starts (its ``#!`` line, or pip's ``'''exec' "<python>" "$0" "$@"``
    preamble under ``#!/bin/sh``); None for a file that names none or cannot be read."""
    try:
        with open(script, "rb") as file:
            head = file.read(4096).decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    if not head or not head[0].startswith("#!"):
        return None
    words = head[0][2:].split()
    if words and words[0] in ("/bin/sh", "/usr/bin/sh") and len(head) > 1 and head[1].startswith("'''exec' "):
        try:
            words = shlex.split(head[1][len("'''exec' "):])
        except ValueError:
            return None
    return words[0] if words else None


def same_installation(script: str, executable: str) -> bool:
    """Does the console script ``script`` run in ``executable``'s installation (module docstring)?"""
    own = installation(executable)
    started = script_interpreter(script)
    return installation(script) == own or (started is not None and installation(started) == own)


def printed_trainlab() -> str:
    """The words a printed ``trainlab`` command starts with (module docstring)."""
    executable = command_python()
    on_path = shutil.which(COMMAND)
    if on_path is not None and (not executable or same_installation(on_path, executable)):
        return COMMAND
    return f"{printed_python()} -m {COMMAND}"


def trainlab_command(*words: Any) -> str:
    """``trainlab <words>`` as it can be pasted here: :func:`printed_trainlab`, then ``words`` shell-quoted."""
    return " ".join([printed_trainlab(), *([shlex.join(str(word) for word in words)] if words else [])])
