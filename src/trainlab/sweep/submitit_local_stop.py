"""Ctrl-C (SIGINT) or SIGTERM while a multirun's jobs train under ``hydra/launcher=submitit_local``.

submitit's local executor starts, for each job, a controller process of its own (``python -m
submitit.local._local``), which starts the job's process and waits for it. Both are in the command's process group,
so a terminal's Ctrl-C reached the controllers too: Python's KeyboardInterrupt ended each of them with a traceback,
and their clean-up sent the job SIGINT again - a second Ctrl-C, on which the job stops at once, without its
checkpoint and status - and SIGKILL a second later. A SIGTERM to the group reached a job twice as well (the
controller passes its SIGTERM on). Where the command's SIGINT was ignored (a script's background job) the jobs
saved, but each then ended its process (exit status 130) without submitit's result file: the command waited for it
~15 s (submitit's grace for a slow file system) and ended with submitit's ``UncompletedJobError`` and a traceback.

The controllers are submitit's code; what they inherit is not. A signal blocked in the thread that starts a process
stays blocked in that process, across ``exec``, and in the processes it starts. So:

* **the command blocks SIGINT and SIGTERM in its main thread**, where Hydra's launcher starts the controllers
  (:func:`keep_stop_signals_from_controllers`, at the start of the multirun), and a thread of its own takes them
  for the process (``sigwait``) and hands each to the main thread's handler (``_thread.interrupt_main``): Python
  runs it there within one of submitit's one-second polls. The controllers never see them: blocked there, they
  stay pending. The thread counts them: two that came before the handler ran are one to Python (a flag per signal
  number), so a handler of :class:`~trainlab.search.stop_signals.StopSignals` is handed them together
  (:func:`received_signals`) - two fast Ctrl-Cs are two, and the second stops the sweep at once. A signal whose
  handler is the default action ends the process as it would have (``SIG_IGN``: nothing);
* **each job's process unblocks them** once its handlers are installed (:func:`let_stop_signals_in`, by
  :class:`trainlab.sweep.worker_stop.WorkerJobSignals`): a Ctrl-C that came while the job was starting is answered
  then, not lost; they are blocked again when its training has ended, so that submitit can write the job's result.
  From there on the job is a worker like joblib's (:mod:`trainlab.sweep.worker_stop`): it saves, records
  ``interrupted`` and returns, so that submitit writes its result and the launch ends at once;
* **the command**, which deferred the signal meanwhile, ends the sweep with the jobs' own lines - their output goes
  to ``<sweep>/.submitit/``, not to the terminal - read back from their ``status.json`` (:func:`stopped_jobs`), the
  command that finishes the sweep once, and exit status 128 + signal. A second signal while it waits for the jobs
  ends it at once, as with joblib (:mod:`trainlab.sweep.stop_at_once`; the jobs stop at once, as a second Ctrl-C
  stops a run), also where both came before the command's handler ran.

What is not an interrupt still ends the sweep as submitit ends it: a job that crashed without writing a result, or
one submitit did not requeue (``UncompletedJobError``, :mod:`trainlab.submitit_requeue`). A job that refuses its
config hands the refusal to the command, which says it in one line (:mod:`trainlab.sweep.submitit_refusal`).
"""

from __future__ import annotations

import _thread
import collections
import os
import re
import signal
import threading
from pathlib import Path
from typing import Any

from trainlab.run_status import STATUS_FILE, read_status
from trainlab.signal_exit import raise_in_this_thread

SIGNALS = (signal.SIGINT, signal.SIGTERM)
LOCAL_LAUNCHER = "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher"
#: how a job records its stop in ``status.json`` (``TrainingInterrupted``): ``SIGINT at step 40; saved <file>``
RECORDED_STOP = re.compile(r"(?P<signal>SIG\w+) at step (?P<step>\d+); saved (?P<checkpoint>.+)")

#: the thread that receives the stop signals while the main thread blocks them (one per process, kept)
RECEIVER: threading.Thread | None = None
#: the signals the receiving thread took that a counting handler has not been handed yet (received_signals)
RECEIVED: collections.deque[int] = collections.deque()
RECEIVED_LOCK = threading.RLock()  # a handler may run while the main thread holds it
#: on a handler that takes the signals the receiving thread counted (received_signals): set to True
COUNTS_RECEIVED = "takes_received_signals"


def is_submitit_local(launcher: Any) -> bool:
    """Whether ``launcher`` (a config's ``hydra.launcher`` node) is submitit's local launcher."""
    return launcher is not None and hasattr(launcher, "get") and launcher.get("_target_") == LOCAL_LAUNCHER


def is_counting(handler: Any) -> bool:
    """Whether ``handler`` (a Python signal handler) takes its signals from :func:`received_signals`."""
    return bool(getattr(getattr(handler, "__self__", None), COUNTS_RECEIVED, False))


def receive_stop_signals() -> None:
    """The receiving thread's life: it takes each stop signal (``sigwait``; it blocks them, as the main thread
    does) and hands it to the main thread's handler. For a counting handler (:func:`is_counting`) the signal is
    queued, and the main thread is interrupted only when none was queued: the handler takes the queue whole, so
    that two signals before it ran reach it as two. A default action ends the process as the signal would have."""
    signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    while True:
        signum = signal.sigwait(SIGNALS)
        handler = signal.getsignal(signum)
        if handler == signal.SIG_IGN or handler is None:
            continue
        if handler == signal.SIG_DFL:
            raise_in_this_thread(signum)  # its default action: the process ends (or not)
            signal.pthread_sigmask(signal.SIG_BLOCK, [signum])
            continue
        interrupt = True
        if is_counting(handler):
            with RECEIVED_LOCK:
                RECEIVED.append(signum)
                interrupt = len(RECEIVED) == 1  # otherwise the main thread is interrupted already
        if interrupt:
            _thread.interrupt_main(signum)


def received_signals(signum: int) -> list[int]:
    """In a counting handler (:func:`is_counting`), called with ``signum``: the signals it answers - every one the
    receiving thread took since a handler last asked, or ``signum`` alone where none (it reached the process
    otherwise)."""
    with RECEIVED_LOCK:
        taken = list(RECEIVED)
        RECEIVED.clear()
    return taken or [signum]


def keep_stop_signals_from_controllers() -> None:
    """In the command's main thread, before the launcher starts submitit's controllers: block SIGINT and SIGTERM
    there (the controllers and the jobs' processes inherit the block) and let a thread of this process receive
    them instead (see the module docstring)."""
    global RECEIVER
    if threading.current_thread() is not threading.main_thread():
        return
    with RECEIVED_LOCK:
        RECEIVED.clear()  # an earlier multirun's, never taken
    signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    if RECEIVER is None or not RECEIVER.is_alive():
        RECEIVER = threading.Thread(target=receive_stop_signals, name="trainlab-stop-signals", daemon=True)
        RECEIVER.start()


def let_stop_signals_in() -> None:
    """Unblock SIGINT and SIGTERM in this thread: in a job's process once its handlers are installed (a signal that
    came meanwhile is handled at once), in the command's when the multirun ends. Harmless where they were not
    blocked."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)


def stopped_jobs(job_dirs: list[Path], since: float) -> list[str]:
    """What each job of ``job_dirs`` that a signal stopped after ``since`` (a time stamp) said - ``SIGINT: stopped
    at step 40, saved <its last.ckpt>``, as a job in the command's own process says it -, read from its
    ``status.json``; a job that wrote none (it was not run) says nothing."""
    lines = []
    for job_dir in job_dirs:
        path = job_dir / STATUS_FILE
        try:
            if path.stat().st_mtime < since:  # an earlier command's
                continue
            status = read_status(job_dir)
        except (OSError, ValueError):  # none, or damaged (RecordedFileError): the summary says so
            continue
        if status is None or status.get("status") != "interrupted":
            continue
        recorded = str(status.get("error") or "")
        stop = RECORDED_STOP.fullmatch(recorded)
        lines.append(f"{stop['signal']}: stopped at step {stop['step']}, saved {stop['checkpoint']}" if stop
                     else f"{os.path.basename(job_dir)}: interrupted ({recorded or 'no checkpoint'})")
    return lines
