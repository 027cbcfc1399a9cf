"""Errors that are the user's to fix (a config value, a data file, a directory) rather than bugs.

``train.py`` prints a :class:`UserError` as one line and exits with status 2 (the full traceback stays available
with ``HYDRA_FULL_ERROR=1``); in a multirun a user error stops the sweep instead of being recorded as a failed job.
"""

import os
import sys
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


def exit_for_user_error(error: UserError) -> NoReturn:
    """Print ``error: <message>`` on one line to stderr and exit with status 2 (re-raised with HYDRA_FULL_ERROR=1)."""
    if os.environ.get("HYDRA_FULL_ERROR") == "1":
        raise error
    print(f"error: {error}", file=sys.stderr)
    sys.exit(2)
