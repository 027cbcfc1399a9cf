"""Where the project's checkout is - the directory that holds ``train.py`` and ``conf/`` - for the ``trainlab``
console script, which ``train.py`` does not start.

``train.py`` knows its own directory and sets ``TRAINLAB_ROOT`` to it unless the user set it (``paths.root_dir``:
``outputs/`` and ``data/`` go there). ``trainlab reproduce`` runs ``train.py`` and ``trainlab evaluate`` rebuilds a
run's data, so they need the same two places without it. They used the directory two levels above this file, which
is the checkout for an editable install (``make install``, ``pip install -e .``) but the virtualenv's
``lib/python3.X`` for a package installed from the checkout (``pip install .``, which copies no ``train.py`` or
``conf/``): ``trainlab reproduce`` wrote there, then failed at its first sweep looking for ``train.py`` in it.

:func:`checkout_dir` looks, in order, two levels above this file (an editable install), at ``TRAINLAB_ROOT``, then
at the current directory and each one above it; :func:`root_dir` is ``TRAINLAB_ROOT`` where set, else the
checkout, as ``paths.root_dir`` of a run that ``train.py`` started.
"""

from __future__ import annotations

import os
from pathlib import Path

from trainlab.errors import UserError

TRAIN_SCRIPT = "train.py"
EDITABLE_ROOT = Path(__file__).resolve().parents[2]


def is_checkout(directory: Path) -> bool:
    return (directory / TRAIN_SCRIPT).is_file() and (directory / "conf" / "train.yaml").is_file()


def given_root() -> str | None:
    """``TRAINLAB_ROOT`` as given, a leading ``~`` made the home directory (``TRAINLAB_ROOT='~/lab'``: a shell leaves
    a quoted ``~`` as typed, and the runs went to a directory named ``~`` in the current one - ``~`` on the command
    line, ``paths.root_dir='~/lab'``, is the home directory's too: :mod:`trainlab.data.absolute_data_dirs`); None
    where it is unset. An empty one stays empty: ``train.py`` refuses it
    (:func:`trainlab.output_locations.check_root_dir`)."""
    given = os.environ.get("TRAINLAB_ROOT")
    return os.path.expanduser(given) if given else given


def checkout_dir() -> Path | None:
    """The checkout (see the module docstring), or None where none is found."""
    given = given_root()
    here = Path.cwd()
    for directory in (EDITABLE_ROOT, *([Path(given).resolve()] if given else []), here, *here.parents):
        if is_checkout(directory):
            return directory
    return None


def required_checkout(command: str) -> Path:
    """The checkout, or a :class:`~trainlab.errors.UserError` saying where ``command`` looked and what to do."""
    found = checkout_dir()
    if found is None:
        raise UserError(f"{command} runs the project's {TRAIN_SCRIPT} and conf/, and found no directory holding both "
                        f"(this package is installed without them, at {EDITABLE_ROOT}; none in {Path.cwd()} or above "
                        "it): run it inside the checkout, or set TRAINLAB_ROOT=<the checkout>")
    return found


def root_dir() -> Path:
    """``paths.root_dir`` as a run that ``train.py`` started has it: ``TRAINLAB_ROOT``, else the checkout (else the
    current directory, as the config's own default)."""
    given = given_root()
    return Path(given) if given else (checkout_dir() or Path("."))
