"""Ctrl-C while ``train.py`` starts: one line and the signal's exit status, not a traceback from inside an import.

``python train.py`` spends seconds before it trains: importing torch, Lightning and torchmetrics, composing and
checking the config, loading the data, building the model. Python answers a Ctrl-C there with a KeyboardInterrupt
raised wherever the interpreter is - mostly inside an import: a traceback of a hundred lines, or, where a
half-imported module caught it, a RecursionError that Hydra reported as a failed run after writing its ``.hydra/``.

:func:`stop_quietly_until_training` replaces that for the start-up: a SIGINT - or a SIGTERM, whose default action
ended the process without a word, leaving ``.hydra/`` half-written - ends the process at once, as the
signal's default action does (:func:`trainlab.signal_exit.end_as_signal`: exit status 130 in a shell, -2 to a parent
process, as the second Ctrl-C of a stopping run), after one line on stderr saying that nothing was trained and what
the command had written by then::

    SIGINT during start-up: stopped before training; nothing was trained or written
    SIGINT during start-up: stopped before training; nothing was trained; written in /x/run: .hydra/, train.log

What was written is read from the disk: the entries of the run or sweep directory (:func:`note_output_dir`, called by
the ``preflight`` Hydra callback before Hydra writes anything) holding a file modified since the process started.

Start-up ends (:func:`end_startup`) where a handler of the project takes over: at the start of ``fit`` (the
interrupt handler of :class:`~trainlab.callbacks.graceful_shutdown.GracefulShutdown`, or without it the
:class:`~trainlab.callbacks.startup_end.StartupEnd` callback that ``train`` adds), at the start of a search
(:class:`~trainlab.search.stop_signals.StopSignals`), of a DDP job's ranks
(:class:`~trainlab.distributed.rank_processes.ForwardedSignals`) and of a multirun whose launcher starts processes
for its jobs (:mod:`trainlab.preflight`). Python's own handler is back from there on - or, in a sweep whose jobs
train in this process, the sweep's handler between its jobs (:func:`hand_over_after_startup`).

Only an interpreter started to run ``train.py`` installs it (before its imports, so the first ~50 ms of the
interpreter's own start and of this module's import still answer Python's way): a process that runs ``train.py``
within itself - the tests, ``trainlab reproduce`` - keeps its own handling. A SIGINT ignored by the process that
started this one (``nohup``, a background job of a script) stays ignored. This module imports only the standard
library.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from trainlab.signal_exit import end_as_signal

LISTED = 8  # entries named in the line; more are counted


class StartupInterrupt:
    """The SIGINT handler of the start-up (see the module docstring); a ``silent`` one says nothing (a DDP rank's:
    the job's process, which passed the signal on, says it). ``on_end`` is called where the start-up ends
    (:func:`end_startup`)."""

    def __init__(self, silent: bool = False, on_end: Callable[[], None] | None = None) -> None:
        self.started_ns = time.time_ns()
        self.output_dirs: list[Path] = []
        self.over = False
        self.silent = silent
        self.on_end = on_end
        #: what answers once the start-up ends, instead of Python's handler (:func:`hand_over_after_startup`)
        self.successor: Callable[[int, object], None] | None = None

    def __call__(self, signum: int, frame: object) -> None:
        if self.over and self.successor is not None:  # put back by a handler that had saved it: its successor's
            self.successor(signum, frame)
        if self.over:  # put back by a handler that had saved it: past start-up, Python's answer
            if signum == signal.SIGINT:
                signal.default_int_handler(signum, frame)
            end_as_signal(signum)  # SIGTERM's default action
        if not self.silent:
            print(f"{signal.Signals(signum).name} during start-up: stopped before training; {self.written()}",
                  file=sys.stderr, flush=True)
        end_as_signal(signum)

    def written(self) -> str:
        """'nothing was trained or written', or what the noted directories hold that this process wrote."""
        parts = []
        for directory in dict.fromkeys(self.output_dirs):
            entries = self.new_entries(directory)
            if entries:
                named = ", ".join(entries[:LISTED]) + (f" and {len(entries) - LISTED} more" if len(entries) > LISTED
                                                       else "")
                parts.append(f"written in {directory}: {named}")
        return "; ".join(["nothing was trained", *parts]) if parts else "nothing was trained or written"

    def new_entries(self, directory: Path) -> list[str]:
        """The entries of ``directory`` that are, or hold, something modified since the process started (a
        directory's name ends in ``/``)."""
        if not directory.is_dir():
            return []
        found = []
        for entry in sorted(directory.iterdir()):
            paths = [entry, *(entry.rglob("*") if entry.is_dir() and not entry.is_symlink() else ())]
            if any(self.modified_since_start(path) for path in paths):
                found.append(entry.name + ("/" if entry.is_dir() else ""))
        return found

    def modified_since_start(self, path: Path) -> bool:
        try:
            return path.lstat().st_mtime_ns >= self.started_ns
        except FileNotFoundError:  # removed while we looked: nothing of it is there
            return False


HANDLER: StartupInterrupt | None = None  # this process's, while installed
ENDED: StartupInterrupt | None = None  # this process's last one whose start-up ended (end_startup)
IMPORTED_NS = time.time_ns()  # train.py imports this module first, before it writes anything
#: how many times this process's start-up ended (training, or a handler of the project, took over): a joblib worker
#: runs several jobs, and tells by it whether one's training has begun (trainlab.sweep.worker_stop)
STARTUP_ENDS = 0


def started_as_program(script: str) -> bool:
    """Whether this interpreter was started to run ``script`` (``python train.py ...``), not a process that runs it
    within itself (``runpy``) with its own command line."""
    return (len(sys.argv) <= len(sys.orig_argv) and sys.orig_argv[-len(sys.argv):] == sys.argv
            and Path(sys.argv[0]).resolve() == Path(script).resolve())


def stop_quietly_until_training(script: str) -> None:
    """Install the start-up's handler when the interpreter runs ``script``: for SIGINT where it has Python's own
    handler, for SIGTERM where it has its default action (see the module docstring)."""
    global HANDLER
    if not started_as_program(script):
        return
    # each where it has its usual handler: a SIGINT the shell set ignored stays ignored (a background job of a
    # script), and the SIGTERM that stops such a job - kill, a scheduler - still says what it leaves
    usual = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    handled = [signum for signum, handler in usual.items() if signal.getsignal(signum) is handler]
    if handled:
        HANDLER = StartupInterrupt()
        for signum in handled:
            signal.signal(signum, HANDLER)


def stop_silently_until_training(on_end: Callable[[], None] | None = None) -> None:
    """In a DDP rank that its job's process started (:mod:`trainlab.distributed.rank_process`): a SIGINT - the one
    the job's process passes on - ends the rank by the signal until training starts, without the traceback of a
    KeyboardInterrupt inside an import; the job's process says what happened. ``on_end`` is called when training
    starts (the rank tells its job's process so: a rank that dies of the signal after it did not die starting)."""
    global HANDLER
    HANDLER = StartupInterrupt(silent=True, on_end=on_end)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, HANDLER)


def written_since_start(directory: str | os.PathLike) -> str:
    """What a stop before training says of ``directory``, as this module's handler says it (``nothing was trained
    or written``, or ``nothing was trained; written in <dir>: .hydra/, train.log``): its entries modified since the
    process started (since it imported this module, where it installed no handler). For a command whose start-up
    went on in other processes - a DDP job's ranks, stopped as they started."""
    reference = HANDLER or ENDED
    reader = StartupInterrupt(silent=True)
    reader.started_ns = reference.started_ns if reference is not None else IMPORTED_NS
    reader.output_dirs = [Path(directory)]
    return reader.written()


def note_output_dir(path: str | os.PathLike) -> None:
    """The run or sweep directory the command writes into: what a start-up interrupt names as written there."""
    if HANDLER is not None:
        HANDLER.output_dirs.append(Path(path))


def hand_over_after_startup(successor: Callable[[int, object], None]) -> None:
    """Where this process's start-up handler is installed, ``successor`` answers SIGINT and SIGTERM once the
    start-up ends, instead of Python's handler and SIGTERM's default action: a sweep whose jobs train in this process
    stops between them with its tables (:class:`trainlab.sweep.between_jobs.StopBetweenJobs`)."""
    if HANDLER is not None:
        HANDLER.successor = successor


def end_startup() -> None:
    """Training (or a handler of the project) takes over: Python's SIGINT handler is back, or the successor
    :func:`hand_over_after_startup` named. Idempotent."""
    global ENDED, HANDLER, STARTUP_ENDS
    STARTUP_ENDS += 1
    if HANDLER is None:
        return
    handler, HANDLER = HANDLER, None
    ENDED = handler
    handler.over = True
    if signal.getsignal(signal.SIGINT) is handler:
        signal.signal(signal.SIGINT, handler.successor or signal.default_int_handler)
    if signal.getsignal(signal.SIGTERM) is handler:
        signal.signal(signal.SIGTERM, handler.successor or signal.SIG_DFL)
    if handler.on_end is not None:
        handler.on_end()
