"""The stop signals (SIGINT, SIGTERM) kept from the processes a multirun starts until its jobs can answer them.

A terminal's Ctrl-C reaches every process of the command's process group. The processes a multirun's launcher
starts cannot all answer it: submitit's local launcher starts a controller process of submitit's own beside each job
(Python's KeyboardInterrupt ended it with a traceback and its clean-up signalled the job again - a second Ctrl-C, on
which the job stops at once, without its checkpoint: :mod:`trainlab.sweep.submitit_local_stop`), and a joblib
worker spends its first seconds starting and importing torch, Hydra and Lightning before its job installs its
handlers (the KeyboardInterrupt ended it there with a traceback from inside an import, and the command with exit
status 1 and joblib's traceback, without the command that finishes the sweep).

A signal blocked in the thread that starts a process stays blocked in that process, across ``exec``, and in the
processes it starts. So:

* **the command blocks SIGINT and SIGTERM in its main thread**, where Hydra's launcher starts those processes
  (:func:`keep_stop_signals_from_processes`, at the start of the multirun), and a thread of its own takes them for
  the process (``sigwait``) and hands each to the main thread's handler (``_thread.interrupt_main``): Python runs it
  there within one of the launcher's polls (submitit's is one second, joblib's 10 ms). The started processes never
  see them: blocked there, they stay pending. The thread counts them: two that came before the handler ran are one
  to Python (a flag per signal number), so a handler of :class:`~trainlab.search.stop_signals.StopSignals` is
  handed them together (:func:`received_signals`) - two fast Ctrl-Cs are two, and the second stops the sweep at
  once. A signal whose handler is the default action ends the process as it would have (``SIG_IGN``: nothing);
* **each job's process unblocks them** once its handlers are installed (:func:`let_stop_signals_in`, by
  :class:`trainlab.sweep.worker_stop.WorkerJobSignals`): a Ctrl-C that came while the job was starting is answered
  then, not lost (the job returns without training, see :mod:`trainlab.sweep.worker_stop`); they are blocked again
  when its training has ended, so that the launcher can hand its result back;
* **the command unblocks them** when the multirun ends (:class:`trainlab.sweep.worker_stop.WaitForWorkers`).
"""

from __future__ import annotations

import _thread
import collections
import signal
import threading
from multiprocessing import resource_tracker
from typing import Any

from trainlab.signal_exit import raise_in_this_thread

SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: the thread that receives the stop signals while the main thread blocks them (one per process, kept)
RECEIVER: threading.Thread | None = None
#: the signals the receiving thread took that a counting handler has not been handed yet (received_signals)
RECEIVED: collections.deque[int] = collections.deque()
RECEIVED_LOCK = threading.RLock()  # a handler may run while the main thread holds it
#: on a handler that takes the signals the receiving thread counted (received_signals): set to True
COUNTS_RECEIVED = "takes_received_signals"


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


def keep_stop_signals_from_processes() -> None:
    """In the command's main thread, before the launcher starts its processes (submitit's controllers, joblib's
    workers): block SIGINT and SIGTERM there (the processes it starts inherit the block) and let a thread of this
    process receive them instead (see the module docstring). Python's own resource tracker is started first: the
    one of Python 3.11 unblocks both signals in the thread that starts it once it has (joblib's loky starts it as it
    starts its workers), which let a Ctrl-C into the workers while they imported."""
    global RECEIVER
    if threading.current_thread() is not threading.main_thread():
        return
    with RECEIVED_LOCK:
        RECEIVED.clear()  # an earlier multirun's, never taken
    resource_tracker.ensure_running()
    signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    if RECEIVER is None or not RECEIVER.is_alive():
        RECEIVER = threading.Thread(target=receive_stop_signals, name="trainlab-stop-signals", daemon=True)
        RECEIVER.start()


def let_stop_signals_in() -> None:
    """Unblock SIGINT and SIGTERM in this thread: in a job's process once its handlers are installed (a signal that
    came meanwhile is handled at once), in the command's when the multirun ends. Harmless where they were not
    blocked."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
