"""Ctrl-C (SIGINT) and SIGTERM while a search runs: stop it so that no trial is left RUNNING.

Inside a trial's training (``trainer.fit``) the job's own handler takes over
(:mod:`trainlab.callbacks.graceful_shutdown`): it saves a checkpoint, marks the job ``interrupted`` and exits, and
the search tells Optuna. Everywhere else in the search the signal raises :class:`SearchInterrupted`, except inside
:meth:`StopSignals.deferred` blocks - asking for trials and telling results - where it waits until the block ends,
so a trial is never created without the search knowing it, nor half told. After the first signal the previous
handlers are back - a second Ctrl-C stops at once -, or, given ``on_again``, a handler that calls it: where the jobs
train in worker processes the command ends at once with one line (:mod:`trainlab.sweep.stop_at_once`) instead of a
KeyboardInterrupt traceback from inside the launcher's wait. Where a thread takes the signals for the main thread
(submitit's local launcher: :mod:`trainlab.sweep.submitit_local_stop`) the handlers are handed every signal it took,
also two that came before Python ran the handler, which Python's own handler counts as one.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from trainlab.startup_interrupt import end_startup
from trainlab.sweep.blocked_stop_signals import received_signals

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SearchInterrupted(BaseException):
    """A stop signal arrived while the search was between trials (a BaseException, like KeyboardInterrupt)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


class StopSignals:
    """Context manager installing the handlers for the duration of the search (main thread only)."""

    #: its handlers take the signals that blocked_stop_signals' receiving thread counted (received_signals)
    takes_received_signals = True

    def __init__(self, on_deferred: Callable[[int], None] | None = None,
                 on_again: Callable[[int], None] | None = None) -> None:
        self.previous: dict[int, Any] = {}
        self.deferring = 0
        self.pending: int | None = None
        # called with the signal when one is deferred (the stop is marked for jobs in worker processes)
        self.on_deferred = on_deferred
        # called with a second signal, until restore(); None: the previous handlers answer it
        self.on_again = on_again

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            end_startup()  # the search's handler takes over from train.py's start-up one
            for signum in SIGNALS:
                self.previous[signum] = signal.getsignal(signum)
                signal.signal(signum, self.handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.restore()

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        self.previous.clear()

    def handle(self, signum: int, frame: object) -> None:
        signum, *again = received_signals(signum)
        if self.on_again is None:
            self.restore()
        else:  # the previous handlers stay noted for restore()
            for handled in self.previous:
                signal.signal(handled, self.handle_again)
        if self.deferring:
            self.pending = signum
            if self.on_deferred is not None:
                self.on_deferred(signum)
        if again and self.on_again is not None:  # a second one came before this handler ran
            self.on_again(again[0])
        if not self.deferring:
            raise SearchInterrupted(signum)

    def handle_again(self, signum: int, frame: object) -> None:
        """A signal after the first one, with ``on_again``: its answer (which may end the process)."""
        assert self.on_again is not None
        self.on_again(received_signals(signum)[0])

    def hold(self) -> None:
        """Defer every signal from now until :meth:`restore` (which leaves it in ``pending``): Hydra's basic sweeper,
        whose loop is not the project's, waits so for its workers (:mod:`trainlab.sweep.worker_stop`)."""
        self.deferring += 1

    @contextmanager
    def deferred(self) -> Iterator[None]:
        self.deferring += 1
        try:
            yield
        finally:
            self.deferring -= 1
        if self.pending is not None and not self.deferring:
            signum, self.pending = self.pending, None
            raise SearchInterrupted(signum)
