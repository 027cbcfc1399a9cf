"""A config error that only a job of submitit's launchers (``hydra/launcher=submitit_local`` or ``submitit_slurm``)
finds: one line and exit status 2, as with the basic launcher.

Some refusals come from the job itself, once it composes and starts: a key of a config group (checked against its
target's arguments, which the command leaves to the jobs so as not to import torch: ``+trainer.max_epoch=1``), a
``data.train_size`` larger than the data, a ``ckpt_path`` that names no file. With the basic launcher the job ends
the command with ``error: <key>=<value> ...; allowed: ...`` and exit status 2 (``train.py``'s
:func:`~trainlab.errors.exit_for_user_error`); joblib's worker passes that ``SystemExit`` on to the command. A
submitit job's process is submitit's own (``python -m submitit.core._submit``, started by submitit's local
controller or by ``srun`` in SLURM's batch script): the job's ``SystemExit(2)`` ended it without submitit's result
file, so the command waited for the file ~15 s (``Job._results_timeout_s``, submitit's grace for a slow file system)
and ended with submitit's ``UncompletedJobError``, a traceback and exit status 1 - the error line only in the job's
log under ``<sweep>/.submitit/`` -, and the sweep directory stayed behind.

So a refusal travels as submitit's result instead of as an exit:

* **the job** (:func:`hand_refusal_to_the_command`) writes its error line to its own log, as before, and raises
  :class:`JobRefusal`, which carries the message: Hydra's ``run_job`` records it in the job's ``JobReturn``, which
  submitit writes as the job's result at once;
* **the command** (:func:`raise_job_refusal`, around the launcher's ``launch``: :func:`report_job_refusals_in_one_line`)
  raises it itself once every job has ended - before the sweeper reads the results, which would add Hydra's line
  ``Error executing job with overrides: ...`` - when it is the first job, in job order, that did not complete;
  ``train.py`` reports it as any :class:`~trainlab.errors.UserError` (``error: <message>``, exit status 2), and a
  sweep directory that holds nothing but Hydra's and submitit's files is removed
  (:func:`trainlab.preflight.remove_refused_output_dir`), as one of the basic or joblib launcher is.

Real failures stay what they were: a job that fails at run time is recorded ``failed`` and the sweep goes on, as with
every launcher; one that raised anything else ends the sweep with Hydra's report of it (a traceback, exit status
1), and one whose process died (killed, the interpreter crashed) with submitit's ``UncompletedJobError``.

Both launchers run a job through submitit's ``process_job``, which pickles the job's ``JobReturn`` as its result
whether submitit's local controller or SLURM's ``srun`` started the process, so the refusal travels alike (a SLURM
job is no worker of :mod:`trainlab.sweep.worker_stop`: :func:`in_a_submitit_job` asks submitit's environment
variable instead). A job of several submitit tasks (``hydra.launcher.tasks_per_node``) refuses in every task, and
the command reads task 0's result, as the launcher does. The SLURM side is tested with the fake SLURM of
``tests/fake_slurm/``.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from trainlab.errors import UserError, print_error_line
from trainlab.sweep.submitit_local_stop import LOCAL_LAUNCHER

LAUNCHER_MODULE = "hydra_plugins.hydra_submitit_launcher.submitit_launcher"


#: the launchers of hydra-submitit-launcher; both run each job as submitit's ``process_job``, which writes the job's
#: ``JobReturn`` as its result pickle - the same for the local executor and SLURM
SLURM_LAUNCHER = f"{LAUNCHER_MODULE}.SlurmLauncher"
SUBMITIT_LAUNCHERS = (LOCAL_LAUNCHER, SLURM_LAUNCHER)
#: what submitit's executors set in a job's environment: ``local`` or ``slurm`` (submitit's JobEnvironment.activated)
EXECUTOR_VARIABLE = "SUBMITIT_EXECUTOR"


class JobRefusal(UserError):
    """A submitit job's refusal of its config, handed to the command as the job's result: the job's error
    message (``str()``) and the traceback the job formatted (the command prints it with ``HYDRA_FULL_ERROR=1``).
    Its arguments are plain strings, so that it pickles whatever the error it carries."""

    def __init__(self, message: str, job_traceback: str = "") -> None:
        super().__init__(message, job_traceback)
        self.message, self.job_traceback = message, job_traceback

    def __str__(self) -> str:
        return self.message


def is_submitit(launcher: Any) -> bool:
    """Whether ``launcher`` (a config's ``hydra.launcher`` node) is one of submitit's (local or SLURM)."""
    return launcher is not None and hasattr(launcher, "get") and launcher.get("_target_") in SUBMITIT_LAUNCHERS


def in_a_submitit_job() -> bool:
    """Whether this process runs a multirun's job for one of submitit's launchers (not the command's process, in
    which submitit's launchers never run a job)."""
    from trainlab.sweep.multirun_launcher import multirun_launcher

    return bool(os.environ.get(EXECUTOR_VARIABLE)) and is_submitit(multirun_launcher())


def hand_refusal_to_the_command(error: UserError) -> None:
    """In a job of submitit's launchers: say ``error`` in the job's log (``error: <message>``, after its
    traceback with ``HYDRA_FULL_ERROR=1``) and raise :class:`JobRefusal`, which the command reports. Anywhere else
    it returns: the caller exits as a refusal does."""
    if not in_a_submitit_job():
        return
    print_error_line(str(error), error)
    job_traceback = "".join(traceback.format_exception(error))
    raise JobRefusal(str(error), job_traceback) from error


def raise_job_refusal(results: Sequence[Any]) -> None:
    """The command's side, with the jobs' ``JobReturn`` s once all have ended: raise the :class:`JobRefusal` of the
    first job that did not complete, if that job was refused; a job that failed otherwise is left to the sweeper,
    which reports it as it reports any failed job."""
    from hydra.core.utils import JobStatus

    first_failed = next((result for result in results if result.status != JobStatus.COMPLETED), None)
    refusal = getattr(first_failed, "_return_value", None)  # a failed JobReturn holds the job's exception there
    if not isinstance(refusal, JobRefusal):
        return
    if os.environ.get("HYDRA_FULL_ERROR") == "1" and refusal.job_traceback:
        print(f"the job's traceback:\n{refusal.job_traceback}", end="", file=sys.stderr)
    raise refusal


def report_job_refusals_in_one_line() -> None:
    """Make submitit's launchers raise a refused job's :class:`JobRefusal` in the command
    (:func:`raise_job_refusal`), once its jobs have ended. Installed when a submitit multirun starts (the launcher is
    made after that), on the launchers' common class - the local and the SLURM launcher inherit its ``launch``;
    idempotent."""
    import importlib

    launcher_class = importlib.import_module(LAUNCHER_MODULE).BaseSubmititLauncher
    launch = launcher_class.launch
    if getattr(launch, "raises_job_refusals", False):
        return

    def launch_raising_refusals(self: Any, job_overrides: Any, initial_job_idx: int) -> Any:
        results = launch(self, job_overrides, initial_job_idx)
        raise_job_refusal(results)
        return results

    launch_raising_refusals.raises_job_refusals = True
    launch_raising_refusals.__doc__ = launch.__doc__
    launcher_class.launch = launch_raising_refusals
