"""A joblib sweep's job refused in its worker process: one ``error:`` line, printed by the command's process.

A job that refuses its config where it starts (a key its target does not take, which the command's process leaves
to the jobs; a value only the Trainer checks) printed its ``error: ...`` line in its worker and ended with exit
status 2; joblib handed that SystemExit to the command's process, which ended the sweep with status 2 and removed
the sweep directory it had made for nothing. Every worker that had reached the refusal by then had printed the same
line: two to four copies of it under ``hydra.launcher.n_jobs=4``, where the basic launcher prints one.

In a worker, :func:`refuse_from_worker` prints nothing but the traceback (with ``HYDRA_FULL_ERROR=1``) and ends the
job with :class:`RefusedInWorker`: a ``SystemExit(2)`` that carries the message to the command's process, where
joblib raises it again and :func:`trainlab.hydra_errors.report_config_errors_in_one_line` prints it, once - the
first refusal joblib receives; it stops the other workers then. This module imports only the standard library.
"""

from __future__ import annotations

import os
import traceback
from typing import NoReturn

EXIT_STATUS = 2  # a refusal's, as train.py's


class RefusedInWorker(SystemExit):
    """A worker's job refused its config with ``message`` (exit status 2); the command's process prints it."""

    def __init__(self, message: str) -> None:
        super().__init__(EXIT_STATUS)
        self.message = message

    def __reduce__(self) -> tuple[type, tuple[str]]:  # rebuilt from its message where joblib unpickles it
        return type(self), (self.message,)


def refuse_from_worker(error: BaseException) -> NoReturn:
    """End a worker's job refused with ``error`` (a :class:`~trainlab.errors.UserError`): its traceback here with
    ``HYDRA_FULL_ERROR=1``, the ``error:`` line left to the command's process."""
    if os.environ.get("HYDRA_FULL_ERROR") == "1":
        traceback.print_exception(error)
    raise RefusedInWorker(str(error)) from error
