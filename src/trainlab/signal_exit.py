"""End the process as a signal's default action ends it: the project's answer to a Ctrl-C that cannot wait.

A second Ctrl-C while a run stops (:mod:`trainlab.callbacks.graceful_shutdown`) and a Ctrl-C while ``train.py``
starts (:mod:`trainlab.startup_interrupt`) end the process at once. Raising ``KeyboardInterrupt`` instead would print
a traceback from wherever the interpreter was and, caught by Lightning, exit with status 1, which says a bug. The
process dies of the signal instead: exit status 128 + signal number in a shell (130 for SIGINT), ``-signum`` for
the ``subprocess`` module, as any program killed by Ctrl-C. Exit handlers do not run; what the process printed and
logged is flushed first. Standard library only: it serves before the slow imports of ``train.py`` too.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import NoReturn


def raise_in_this_thread(signum: int) -> None:
    """Unblock ``signum`` in this thread and send it to this thread, so that its handler (or its default action)
    acts here: where the signal is blocked and a thread takes it (``sigwait``, under submitit's local launcher:
    :mod:`trainlab.sweep.submitit_local_stop`) a signal sent to the process would be taken there, not act."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
    signal.pthread_kill(threading.get_ident(), signum)


def end_as_signal(signum: int) -> NoReturn:
    """Flush stdout, stderr and the logging handlers, then end the process by ``signum``'s default action."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stream: nothing more can reach it, the process ends anyway
            pass
    logging.shutdown()
    signal.signal(signum, signal.SIG_DFL)
    raise_in_this_thread(signum)
    os._exit(128 + signum)  # not reached (the default action ends the process); its status should the kill return
