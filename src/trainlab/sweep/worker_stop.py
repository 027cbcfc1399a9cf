"""Ctrl-C (SIGINT) or SIGTERM while a multirun's jobs train in worker processes of this machine (joblib).

A terminal's Ctrl-C reaches every process of the command's process group: each worker's job saves its
``last.ckpt``, writes ``status.json`` (``interrupted``) and ends (:mod:`trainlab.callbacks.graceful_shutdown`). The
command's own process waits in the launcher meanwhile; had the signal stopped it there (a KeyboardInterrupt, or a
search's stop), the worker pool ended the workers while they were saving - a job left without its status or
checkpoint - and so did the pool when a worker's job ended the worker with exit status 130, the way a job in the
command's own process ends the sweep. So, with such a launcher:

* in a worker, an interrupted job **returns** (after recording itself ``interrupted`` and printing how to finish the
  sweep) instead of ending its process: the pool waits for every worker (:func:`returns_when_interrupted`);
* in the command's process, the first signal is **deferred**: the launch goes on until every worker has returned,
  then the sweep stops - a search's :class:`~trainlab.search.stop_signals.StopSignals` defers it around each
  launch; Hydra's basic sweeper, whose loop is not the project's, gets :data:`DEFERRED` (installed by the preflight
  callback), which the summary callback turns into exit status 128 + signal once the summary is written. The first
  signal puts the previous handlers back: a second one stops at once.

The workers must get the signal themselves: send it to the process group (``kill -INT -- -<pgid>``), as a terminal's
Ctrl-C and SLURM's ``scancel`` do; the command's process does not forward it (a worker given it twice would stop at
once, without saving).
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: launchers whose jobs train in worker processes of this machine that share the command's process group
WORKER_LAUNCHERS = ("hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher",)


#: joblib backends whose workers are processes (joblib's default is loky); under ``threading`` the jobs run in
#: threads of the command's process, which never see a signal: the command's own Ctrl-C stops the sweep
PROCESS_BACKENDS = (None, "loky", "multiprocessing")


def jobs_train_in_workers(launcher: Any) -> bool:
    """Whether ``launcher`` (a config's ``hydra.launcher`` node) trains each job in a worker process of this
    machine."""
    if launcher is None or not hasattr(launcher, "get"):
        return False
    return launcher.get("_target_") in WORKER_LAUNCHERS and launcher.get("backend") in PROCESS_BACKENDS


def returns_when_interrupted() -> bool:
    """Whether this process is a worker of such a launcher, running a multirun's job: an interrupted job returns."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized():
        return False
    hydra_config = HydraConfig.get()
    return hydra_config.mode == RunMode.MULTIRUN and jobs_train_in_workers(hydra_config.launcher)


class DeferredStop:
    """The command's handler for the first stop signal while workers train: note it and wait for them."""

    def __init__(self) -> None:
        self.previous: dict[int, Any] = {}
        self.signum: int | None = None

    def install(self) -> None:
        self.signum = None
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self.previous[signum] = signal.getsignal(signum)
                signal.signal(signum, self.handle)

    def handle(self, signum: int, frame: object) -> None:
        self.restore()
        self.signum = signum
        log.warning("received %s: every job saves its checkpoint and stops; waiting for them (again to stop at once)",
                    signal.Signals(signum).name)

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        self.previous.clear()


#: the basic sweeper's (one multirun at a time per process)
DEFERRED = DeferredStop()
