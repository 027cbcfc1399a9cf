"""The versions of trainlab, Python and the packages a run's numbers depend on.

``trainlab --version`` (and ``python train.py --version``) prints them, what a bug report needs to repeat a run::

    trainlab 0.1.0
    Python 3.11.7, torch 2.14.1, lightning 2.6.6, hydra-core 1.3.8, omegaconf 2.3.1, optuna 5.1.0

and every job's ``status.json`` records them (``"versions": {"trainlab": "0.1.0", "python": "3.11.7", "torch":
...}``), so that a run compared months later, after an upgrade, says what it ran with. They are read from the
installed packages' metadata (``importlib.metadata``), without importing them - the command answers at once,
where importing torch and Lightning would take seconds - and once per process. A package that is not installed
reads ``not installed``.
"""

from __future__ import annotations

import argparse
import functools
import platform
from importlib.metadata import PackageNotFoundError, version

#: the distributions whose versions decide what a run computes and records, in the order they are printed
RUN_PACKAGES = ("torch", "lightning", "hydra-core", "omegaconf", "optuna")
#: the names of :func:`run_versions` (and of status.json's ``versions``), in the order they are printed
VERSION_KEYS = ("trainlab", "python", *RUN_PACKAGES)


def installed_version(distribution: str) -> str:
    """The installed version of ``distribution`` (a name as pip knows it), or ``not installed``."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


@functools.cache
def _read_versions() -> tuple[tuple[str, str], ...]:
    return tuple((name, platform.python_version() if name == "python" else installed_version(name))
                 for name in VERSION_KEYS)


def run_versions() -> dict[str, str]:
    """``{"trainlab": ..., "python": ..., "torch": ..., ...}``: the versions of :data:`VERSION_KEYS`, in that order
    (read once per process; a new dict each call, the caller's to change)."""
    return dict(_read_versions())


def version_lines() -> str:
    """trainlab's version on the first line; Python's and :data:`RUN_PACKAGES`' on the second."""
    versions = run_versions()
    packages = ", ".join(f"{name} {versions[name]}" for name in RUN_PACKAGES)
    return f"trainlab {versions['trainlab']}\nPython {versions['python']}, {packages}"


def exit_if_versions_asked(argv: list[str]) -> None:
    """``python train.py --version``: the same two lines as ``trainlab --version`` and exit 0, before Hydra parses
    the command line (its own ``--version`` says ``Hydra 1.3.8`` alone; the second line names hydra-core's)."""
    if "--version" in argv:
        print(version_lines())
        raise SystemExit(0)


class PrintVersions(argparse.Action):
    """``--version``: print :func:`version_lines` and exit 0 (argparse's own ``version`` action takes its text when
    the parser is built, so every command would read the metadata)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0,
                         help=help or "print trainlab's version and the versions of torch, Lightning, Hydra, ...")

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(version_lines())
        parser.exit()
