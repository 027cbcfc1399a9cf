"""A sweep whose end-of-sweep files could not be written ends with exit status 1, after every one of them was tried.

Hydra turns what a callback raises into a warning and goes on (``hydra/_internal/callbacks.py``), so a sweep whose
``summary.csv`` / ``ranking.csv`` or HPARAMS experiment could not be written - a full disk, a bug - printed
``UserWarning: Callback SweepSummary.on_multirun_end raised ...`` among its log lines and exited 0, as if its tables
were there: ``train.py -m ... && trainlab report ...`` went on to a report of a sweep without them.

:func:`ends_the_command_on_failure` wraps such a callback method. What it raises is said at once - a refusal (a
:class:`~trainlab.errors.UserError`, such as the disk's ``cannot write <file> (No space left on device)``) in one
``error:`` line, anything else with its traceback, as a bug - and recorded; Hydra's other end-of-sweep callbacks
still run, so each file is written or said missing on its own. :func:`exit_if_the_sweep_end_failed`, called once
Hydra's multirun has returned (:func:`trainlab.hydra_errors.report_config_errors_in_one_line`), then ends the
command with exit status 1. The jobs' own outputs are kept; the same command with ``resume_sweep=true`` skips
the jobs that ended and writes the sweep's files again.
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from typing import Any

from omegaconf import DictConfig

from trainlab.errors import UserError

KEPT = ("the jobs ran and their outputs are kept; once the cause is mended, the same command with resume_sweep=true "
        "writes the sweep's files again")
FAILED: list[str] = []  # what could not be written at the end of this process's current multirun


def ends_the_command_on_failure(what: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Wrap a Hydra callback's ``on_multirun_end`` that writes ``what`` (e.g. "the sweep's summary.csv")."""

    def wrap(callback_method: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(callback_method)
        def guarded(self: Any, config: DictConfig, **kwargs: Any) -> None:
            try:
                callback_method(self, config, **kwargs)
            except UserError as error:
                print(f"error: {error}: {what} not written; {KEPT}", file=sys.stderr)
                FAILED.append(what)
            except Exception as error:
                traceback.print_exception(error)
                print(f"error: writing {what} failed unexpectedly ({type(error).__name__}: {error}) - a bug to report, "
                      f"with the traceback above; {KEPT}", file=sys.stderr)
                FAILED.append(what)

        return guarded

    return wrap


def forget_earlier_failures() -> None:
    """At the start of a command: an earlier command of this process (one stopped by another exit) is not this one."""
    FAILED.clear()


def exit_if_the_sweep_end_failed() -> None:
    """Exit status 1 when an end-of-sweep file of the multirun that just returned could not be written (each failure
    was said when it happened)."""
    if FAILED:
        FAILED.clear()
        raise SystemExit(1)
