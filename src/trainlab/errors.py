"""Errors that are the user's to fix (a config value, a data file, a directory) rather than bugs.

``train.py`` prints a :class:`UserError` as one line and exits with status 2; with ``HYDRA_FULL_ERROR=1`` the full
traceback comes before that line and the exit status stays 2, so a script that tells config errors apart by the
status reads the same either way. In a multirun a user error stops the sweep instead of being recorded as a failed job.
"""

import os
import sys
import traceback
from typing import NoReturn


class UserError(Exception):
    """Base of the errors reported to the user as a single line."""


class ConfigError(UserError, ValueError):
    """A config key holds a value of the wrong type, out of range, or is not a key of its target."""


class DataError(UserError, ValueError):
    """A dataset file or cache is missing, truncated or corrupt."""


class RunDirInUseError(UserError, RuntimeError):
    """The output directory already holds another run's artifacts."""


class CheckpointNotFoundError(UserError, FileNotFoundError):
    """``ckpt_path`` names no checkpoint file."""


class CheckpointError(UserError, ValueError):
    """``ckpt_path`` / ``--ckpt`` names a file that is not a checkpoint, not trainlab's, or not this run's model."""


class RecordedFileError(UserError, ValueError):
    """A file a run or sweep recorded (``status.json``, ``.hydra/*.yaml``) is damaged: not what trainlab wrote."""


class OutputLocationError(UserError, OSError):
    """A directory the run writes into is a file, not writable, or on a full disk."""


def print_error_line(message: str, error: BaseException) -> None:
    """Print ``error: <message>`` on one line to stderr, after ``error``'s traceback with ``HYDRA_FULL_ERROR=1``."""
    if os.environ.get("HYDRA_FULL_ERROR") == "1":
        traceback.print_exception(error)
    print(f"error: {message}", file=sys.stderr)


def exit_with_error_line(message: str, error: BaseException) -> NoReturn:
    """:func:`print_error_line`, then exit with status 2."""
    print_error_line(message, error)
    raise SystemExit(2) from error


def exit_for_user_error(error: UserError) -> NoReturn:
    """:func:`exit_with_error_line` with the error's own message."""
    exit_with_error_line(str(error), error)
