"""A second Ctrl-C (SIGINT) or SIGTERM while a multirun's jobs in worker processes save and stop: the command ends
at once, as a second Ctrl-C ends a lone run.

The first signal makes every worker's job save its ``last.ckpt`` and stop, and the command's process waits for them
(:mod:`trainlab.sweep.worker_stop`; a search's :class:`~trainlab.search.stop_signals.StopSignals`). A second one
met Python's own handler there: a KeyboardInterrupt traceback from inside joblib's or submitit's wait (or, where a
worker had already died of it, joblib's ``TerminatedWorkerError`` or submitit's ``UncompletedJobError`` and exit
status 1), and the sweep's stop mark left behind. Instead, :func:`stop_sweep_at_once`:

* says so in one line - ``SIGINT again: stopped at once; jobs still saving may have no checkpoint`` (a search's
  trials: ``trials still saving ...``) - and the command that finishes the sweep (``resume_sweep=true`` runs what
  did not complete). A search says its own last words instead, once the workers are gone: it closes the trials
  they ran, as a resume would (:func:`trainlab.signal_exit.last_words`, :mod:`trainlab.search.stale_trials`), then
  writes the results of its finished trials and prints the command that continues it, from a fresh program the
  process becomes on its way out (:func:`trainlab.signal_exit.way_out`, :mod:`trainlab.search.results_at_once`);
* ends the worker processes and what they started (SIGKILL): the jobs got the signal too, from the terminal, and
  stop at once themselves (:mod:`trainlab.callbacks.graceful_shutdown`); what is left - workers waiting for a job,
  submitit's controllers (which never see the signal: :mod:`trainlab.sweep.submitit_local_stop`), workers of a
  signal sent to the command's process alone - would otherwise run on, or start queued jobs, after the command.
  A job killed while saving keeps the checkpoint it had (checkpoints are written to a temporary file and renamed).
  A multiprocessing resource tracker is left to end itself: it ends once the processes it tracks for have, and
  removes what they left (joblib's shared-memory folders, loky's semaphores) - with a warning for each kind, ``There
  appear to be 8 leaked semlock objects to clean up at shutdown``, printed on the terminal after the command's last
  line. Those are the workers this stop killed: :func:`quiet_resource_trackers`, at the start of a multirun whose
  jobs train in worker processes, keeps the trackers it starts from saying so;
* removes the stop mark, and ends the process by the signal (:func:`trainlab.signal_exit.end_as_signal`: exit
  status 128 + signal, 130 for SIGINT), without exit handlers - a search's once its results are written.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import NoReturn

from trainlab.process_tree import command_line, descendants
from trainlab.signal_exit import end_as_signal

#: in a process's command line: a multiprocessing (or loky) resource tracker, which is left to end itself
RESOURCE_TRACKER = "resource_tracker"
#: the warnings filters (PYTHONWARNINGS) of the resource trackers' "leaked ... objects to clean up at shutdown"
TRACKER_LEAK_WARNINGS = ("ignore::UserWarning:multiprocessing.resource_tracker",
                         "ignore::UserWarning:joblib.externals.loky.backend.resource_tracker")


def quiet_resource_trackers() -> None:
    """Add :data:`TRACKER_LEAK_WARNINGS` to ``PYTHONWARNINGS`` in this process's environment, which the resource
    trackers it starts from here on inherit (see the module docstring). The filters name the trackers' modules
    alone: no other warning of any process is affected."""
    given = [entry for entry in os.environ.get("PYTHONWARNINGS", "").split(",") if entry]
    os.environ["PYTHONWARNINGS"] = ",".join(dict.fromkeys([*given, *TRACKER_LEAK_WARNINGS]))


def at_once_line(signum: int, search: bool = False) -> str:
    """The line a second signal ends the command with."""
    return (f"{signal.Signals(signum).name} again: stopped at once; {'trials' if search else 'jobs'} still saving may "
            "have no checkpoint")


def end_worker_processes() -> None:
    """SIGKILL every process this one started, and theirs, but a resource tracker (see the module docstring)."""
    for pid in descendants(os.getpid()):
        if RESOURCE_TRACKER in command_line(pid):
            continue
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:  # ended meanwhile
            pass


def stop_sweep_at_once(signum: int, sweep_dir: Path, search: bool = False) -> NoReturn:
    """The command's answer to a second stop signal while its jobs train in worker processes (module docstring)."""
    from trainlab.shell_override import finish_sweep_line
    from trainlab.sweep.worker_stop import clear_stop_mark

    print(at_once_line(signum, search), file=sys.stderr, flush=True)
    end_worker_processes()
    if not search:  # a search's last words say how to continue it, after closing its trials (module docstring)
        print(finish_sweep_line(sweep_dir), file=sys.stderr, flush=True)
    clear_stop_mark(sweep_dir)  # the workers are gone: no queued job is left to keep from starting
    end_as_signal(signum)
