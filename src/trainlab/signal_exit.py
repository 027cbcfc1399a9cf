"""End the process as a signal's default action ends it: the project's answer to a Ctrl-C that cannot wait.

A second Ctrl-C while a run stops (:mod:`trainlab.callbacks.graceful_shutdown`) and a Ctrl-C while ``train.py``
starts (:mod:`trainlab.startup_interrupt`) end the process at once. Raising ``KeyboardInterrupt`` instead would print
a traceback from wherever the interpreter was and, caught by Lightning, exit with status 1, which says a bug. The
process dies of the signal instead: exit status 128 + signal number in a shell (130 for SIGINT), ``-signum`` for
the ``subprocess`` module, as any program killed by Ctrl-C. Exit handlers do not run; what the process printed and
logged is flushed first. Standard library only: it serves before the slow imports of ``train.py`` too.

What must not be lost even then is registered for the time it matters (:func:`last_words`): a search running its
trials closes them - none is left ``RUNNING`` - and prints the command that continues it
(:mod:`trainlab.search.stale_trials`). Each runs once, in the process that registered it (a forked worker inherits
the list, not the duty), newest first, before the streams are flushed; one that fails is said in a line and the
process ends all the same. A further signal meanwhile meets the handler that called :func:`end_as_signal` again,
which ends the process without the words left.

What needs more than a signal handler may safely do - a search's results files, written from its study, which the
interrupted code may be reading or writing - is left to a :func:`way_out`: once the last words are said and the
streams flushed, the process replaces itself (``exec``) with a fresh Python program that does it and then ends by
the signal. The program shares nothing with the interrupted one (no lock it held, no half-updated object), and its
own handlers of the signals are the default ones: a further Ctrl-C ends it at once, and a file it was writing keeps
its earlier complete version (:mod:`trainlab.atomic_files`). Same process id, same standard streams: the shell, or
the ``subprocess`` that started the command, sees the command end by the signal as before, a moment later.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

#: (process id, hook) of each :func:`last_words` registered, oldest first
_LAST_WORDS: list[tuple[int, Callable[[], None]]] = []
#: (process id, program, what to do instead where it cannot start) of each :func:`way_out` registered, oldest first
_WAYS_OUT: list[tuple[int, list[str], Callable[[], None]]] = []


@contextmanager
def last_words(hook: Callable[[], None]) -> Iterator[None]:
    """Within the block, :func:`end_as_signal` calls ``hook`` before it ends this process (see the module
    docstring). It runs in a signal handler: keep it short, and let it touch nothing the interrupted code may hold."""
    entry = (os.getpid(), hook)
    _LAST_WORDS.append(entry)
    try:
        yield
    finally:
        if entry in _LAST_WORDS:  # gone when it ran already
            _LAST_WORDS.remove(entry)


def flush_streams() -> None:
    """Flush stdout and stderr, as far as they still take it."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stream: nothing more can reach it, the process ends anyway
            pass


def say_last_words() -> None:
    """Call this process's :func:`last_words` hooks, newest first, each once."""
    while _LAST_WORDS:
        pid, hook = _LAST_WORDS.pop()
        if pid != os.getpid():
            continue
        try:
            hook()
        except Exception as error:  # noqa: BLE001 - the process ends anyway; what is left undone is said
            print(f"while stopping at once: {type(error).__name__}: {error}", file=sys.stderr, flush=True)


@contextmanager
def way_out(program: list[str], otherwise: Callable[[], None]) -> Iterator[None]:
    """Within the block, :func:`end_as_signal` ends this process by replacing it with ``python <program...>
    <signal number>`` (see the module docstring), which must end by that signal itself. ``otherwise`` is said in
    its place where the program cannot start. The newest one of this process is taken."""
    entry = (os.getpid(), program, otherwise)
    _WAYS_OUT.append(entry)
    try:
        yield
    finally:
        if entry in _WAYS_OUT:
            _WAYS_OUT.remove(entry)


def take_way_out(signum: int) -> None:
    """Replace this process with its newest :func:`way_out` program; returns where it has none, or where the
    program cannot start (said in a line, then its ``otherwise``)."""
    ways = [(program, otherwise) for pid, program, otherwise in _WAYS_OUT if pid == os.getpid()]
    if not ways:
        return
    program, otherwise = ways[-1]
    _WAYS_OUT.clear()
    try:
        os.execv(sys.executable, [sys.executable, *program, str(signum)])
    except OSError as error:
        print(f"while stopping at once: {sys.executable} did not start ({error})", file=sys.stderr, flush=True)
    otherwise()


def raise_in_this_thread(signum: int) -> None:
    """Unblock ``signum`` in this thread and send it to this thread, so that its handler (or its default action)
    acts here: where the signal is blocked and a thread takes it (``sigwait``, under submitit's local launcher:
    :mod:`trainlab.sweep.submitit_local_stop`) a signal sent to the process would be taken there, not act."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
    signal.pthread_kill(threading.get_ident(), signum)


def end_as_signal(signum: int) -> NoReturn:
    """Say the :func:`last_words`, flush stdout, stderr and the logging handlers, then take the :func:`way_out`, or
    end the process by ``signum``'s default action."""
    say_last_words()
    flush_streams()
    logging.shutdown()
    take_way_out(signum)
    flush_streams()  # what its ``otherwise`` said
    signal.signal(signum, signal.SIG_DFL)
    raise_in_this_thread(signum)
    os._exit(128 + signum)  # not reached (the default action ends the process); its status should the kill return


@contextmanager
def stop_with_line(line: Callable[[int], str]) -> Iterator[None]:
    """Inside: a Ctrl-C (SIGINT) or SIGTERM ends the process at once (:func:`end_as_signal`) after ``line(signum)``
    on the terminal's stderr (``sys.__stderr__``: not a log the code inside may have redirected ``sys.stderr``
    into) - where Python's ``KeyboardInterrupt`` printed the traceback of wherever the interpreter was (or, raised
    while a C++ extension called back into Python, aborted the process), and SIGTERM ended it without a word. A
    handler the code inside installs (a run's :mod:`trainlab.callbacks.graceful_shutdown`) answers while it is
    installed. A signal the shell set to be ignored stays ignored; the handlers before are put back after. Main
    thread only (elsewhere: nothing changes)."""
    def stop(signum: int, frame: object) -> None:
        print(line(signum), file=sys.__stderr__ or sys.stderr, flush=True)
        end_as_signal(signum)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
        for signum, handler in previous.items():
            if handler in (signal.default_int_handler, signal.SIG_DFL):
                signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
