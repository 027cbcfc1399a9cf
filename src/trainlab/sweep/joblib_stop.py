"""A joblib sweep that joblib itself stopped: a worker process that died, or a job past ``hydra.launcher.timeout``.

A worker process that dies while its job trains - SIGKILL from the system's out-of-memory killer or a ``kill -9``,
a crash in native code - breaks loky's process pool: joblib raises ``TerminatedWorkerError`` in the command's
process, ends the other workers (their jobs stop where they are, without saving) and starts no queued job. The
command ended in that exception's 30-line traceback, exit status 1, with no ``summary.csv`` and no word of how to
finish the sweep. A job that ran longer than ``hydra.launcher.timeout`` ends a sweep the same way (joblib's
``TimeoutError``).

:func:`joblib_stop_message` names what stopped the sweep; :func:`end_joblib_stopped_sweep` says it in one
``error:`` line, writes the tables of what ran (:func:`~trainlab.sweep.stopped_sweep.record_stopped_sweep`; a job
killed where it was recorded no end, and is named instead) and prints the command that finishes the sweep
(``resume_sweep=true`` trains the jobs that did not complete; ``ckpt_path=last`` resumes those with a checkpoint).
A search does the same in its own words (:meth:`trainlab.search.optuna_search.OptunaSearch.run`). Exit status 1:
what ran is kept (a refusal's 2 would remove a sweep directory it made). joblib's exceptions are told by their class,
without importing joblib.
"""

from __future__ import annotations

import multiprocessing
import re
import sys
from typing import TYPE_CHECKING, NoReturn

from trainlab.errors import print_error_line

if TYPE_CHECKING:
    from omegaconf import DictConfig

EXIT_STATUS = 1
#: the multirun's config, kept at its start (:func:`keep_sweep_config`)
_sweep_config: list[DictConfig] = []
#: the exception loky raises where a worker process died; a subclass of ``concurrent.futures.BrokenExecutor``
TERMINATED_WORKER = ("joblib.externals.loky.process_executor", "TerminatedWorkerError")
#: loky's words for the workers' exit codes, e.g. ``{SIGKILL(-9)}``
EXIT_CODES = re.compile(r"exit codes of the workers are \{([^}]*)\}")

WORKER_DIED = ("a joblib worker process died while its job trained ({codes}), and joblib stopped the sweep: the jobs "
               "in the other workers stopped where they were, unsaved, and the queued jobs did not start. A "
               "SIGKILL comes from outside the sweep - often the system's out-of-memory killer: then run fewer "
               "jobs at once (hydra.launcher.n_jobs=1, or hydra/launcher=stacked, which trains a sweep in one "
               "process) or smaller ones")
TIMED_OUT = ("a job ran longer than hydra.launcher.timeout, and joblib stopped the sweep: the jobs still training "
             "stopped where they were, unsaved; allowed: a larger hydra.launcher.timeout, or null (no limit)")


def is_terminated_worker(error: BaseException) -> bool:
    """Whether ``error`` is loky's ``TerminatedWorkerError`` (or a subclass of it)."""
    return any((kind.__module__, kind.__name__) == TERMINATED_WORKER for kind in type(error).__mro__)


def joblib_stop_message(error: BaseException) -> str | None:
    """What stopped the sweep, for an ``error:`` line: a dead worker (with loky's exit codes) or joblib's timeout;
    ``None`` for any other exception."""
    if is_terminated_worker(error):
        codes = EXIT_CODES.search(str(error))
        return WORKER_DIED.format(codes=f"exit code {codes.group(1)}" if codes else "no exit code given")
    if isinstance(error, multiprocessing.TimeoutError):
        return TIMED_OUT
    return None


def keep_sweep_config(config: DictConfig) -> None:
    """Keep the multirun's ``config`` (its ``hydra`` node and ``optimized_metric``) for
    :func:`end_joblib_stopped_sweep`, as Hydra hands it to ``on_multirun_start`` (Hydra's end callbacks get it again;
    an exception out of its launcher does not); forget an earlier multirun's."""
    _sweep_config[:] = [config]


def forget_sweep_config() -> None:
    """At a command's start: a multirun an earlier command of this process kept (tests, ``trainlab reproduce``) is
    not this command's."""
    _sweep_config.clear()


def unrecorded_jobs(sweep_dir: str) -> list[str]:
    """The job directories of the sweep without a ``status.json``, by name: jobs the stop ended where they were."""
    from pathlib import Path

    from trainlab.run_status import STATUS_FILE
    from trainlab.sweep.job_dirs import sweep_job_dirs

    return [job.name for job in sweep_job_dirs(Path(sweep_dir)) if not (job / STATUS_FILE).is_file()]


def end_joblib_stopped_sweep(message: str, error: BaseException) -> NoReturn:
    """The command's end after joblib stopped its sweep (a grid sweep's; see the module docstring): the line, the
    tables of what ran (where the multirun's config was kept), the command that finishes the sweep; exit status 1."""
    from trainlab.shell_override import finish_sweep_line
    from trainlab.sweep.stopped_sweep import record_stopped_sweep

    print_error_line(message, error)
    if _sweep_config:
        config = _sweep_config.pop()
        record_stopped_sweep(config.hydra, config.get("optimized_metric"))
        sweep_dir = str(config.hydra.sweep.dir)
        if unrecorded := unrecorded_jobs(sweep_dir):
            print(f"{len(unrecorded)} job{'s' if len(unrecorded) > 1 else ''} stopped without recording an end (no "
                  f"status.json), so summary.csv has no row for {'them' if len(unrecorded) > 1 else 'it'}: "
                  f"{', '.join(unrecorded)}", file=sys.stderr)
        print(finish_sweep_line(sweep_dir), file=sys.stderr, flush=True)
    raise SystemExit(EXIT_STATUS) from error
