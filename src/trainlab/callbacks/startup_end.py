"""``StartupEnd``: the start-up of ``train.py`` ends where training begins (:mod:`trainlab.startup_interrupt`).

Until then a Ctrl-C ends the process with one line saying nothing was trained; from ``on_fit_start`` on it is the
run's to answer. :class:`~trainlab.callbacks.graceful_shutdown.GracefulShutdown` ends the start-up itself as it
installs its own handler (no moment without either); this callback, which the training task adds to every run,
ends it where no such callback is configured (``callbacks=none``: Lightning stops the run).
"""

from __future__ import annotations

import lightning as L

from trainlab.startup_interrupt import end_startup
from trainlab.sweep.between_jobs import FIT


class StartupEnd(L.Callback):
    """Ends the start-up's SIGINT handling at the start of ``fit`` (see the module docstring), and marks the fit
    as running for a sweep's handler between its jobs (:class:`~trainlab.sweep.between_jobs.StopBetweenJobs`),
    which answers as Lightning's meanwhile."""

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        end_startup()
        FIT.running = True

    def teardown(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if stage == "fit":
            FIT.running = False

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        FIT.running = False  # a failed job: the sweep goes on to its next
