"""Where a stand-alone experiment writes: ``--out`` if given, else ``outputs/experiments/<name>/<date>_<time>/`` (under
``$TRAINLAB_ROOT`` when set, else the current directory) - as an absolute path, which the experiment prints.

An earlier result is never overwritten: a directory that already holds any of the files the experiment writes is
refused (``--out`` may still point at a folder that collects other files, e.g. the figures of A and C together).
A ``--out`` that cannot be a directory (a file, a path through a file, an unwritable place) is refused before
anything is written, as ``trainlab report --out`` is; a leading ``~`` is the home directory, as there.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from trainlab.checkout import given_root
from trainlab.errors import OutputLocationError, RunDirInUseError
from trainlab.output_locations import location_problem


def experiment_output_dir(name: str, out: str | None, writes: Iterable[str]) -> Path:
    """Create and return the output directory of experiment ``name``, which will write the files ``writes``.

    Raises:
        OutputLocationError: ``out`` cannot be a directory this process writes into (why, in the message).
        RunDirInUseError: the directory already holds one of ``writes`` (named in the message).
    """
    if out == "":  # `--out "$OUT"` with OUT unset: it wrote into the current directory
        raise OutputLocationError(f"--out '' names no directory; allowed: --out <a directory>, or no --out for "
                                  f"outputs/experiments/{name}/<date>_<time>")
    if out is not None:
        out = os.path.expanduser(out)  # `--out=~/figs`: the shell leaves that ~ as typed (not a directory named ~)
        problem = location_problem(out)
        if problem is not None:
            raise OutputLocationError(f"--out {out} is unusable: {problem}")
        path = Path(out).absolute()  # the paths it prints: absolute, as the other commands print theirs
    else:
        root = Path(given_root() or ".")  # TRAINLAB_ROOT='~/lab': the home directory's
        path = (root / "outputs" / "experiments" / name / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")).absolute()
        problem = location_problem(path)
        if problem is not None:  # a read-only directory it was started in: the way out is --out
            raise OutputLocationError(f"{path} (where {name} writes without --out) is unusable: {problem}; allowed: "
                                      "--out <a directory this process can write to>")
    clashes = sorted(file for file in writes if (path / file).exists())
    if clashes:
        raise RunDirInUseError(f"{path} already holds {', '.join(clashes)} from an earlier run of {name}; choose a "
                               "new --out (or move those files away)")
    path.mkdir(parents=True, exist_ok=True)
    return path
