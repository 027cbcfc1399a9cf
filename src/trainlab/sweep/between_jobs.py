"""Ctrl-C (or SIGTERM) between the jobs of a sweep that trains them in the command's own process (the basic and
stacked launchers): the sweep stops with its tables and the command that finishes it.

A job's training answers a stop signal itself (:mod:`trainlab.callbacks.graceful_shutdown`, a DDP job's
:class:`~trainlab.distributed.rank_processes.ForwardedSignals`), and the command's start-up until the first job
trains has its own handler (:mod:`trainlab.startup_interrupt`). Between a job's end and the next job's training -
Hydra composing the next job, its data and model being built, a stack's members being set up - Python's own
handler answered: a ``KeyboardInterrupt`` traceback from inside Hydra or OmegaConf, no ``summary.csv`` and no
``Finish the sweep with:`` line (SIGTERM: the process ended without a word). :class:`StopBetweenJobs`, installed
where the start-up's handler ends, answers there instead::

    SIGINT between the sweep's jobs: stopped before the next job trained
    sweep summary so far: /x/sweep/summary.csv (2 jobs, 0 interrupted)
    Finish the sweep with: python train.py -m ... resume_sweep=true hydra.sweep.dir=/x/sweep

and ends the process by the signal (exit status 130 for a Ctrl-C). A job's training puts it back when it ends, as
it found it. A search is left to its own handling (:mod:`trainlab.search.stop_signals`).
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from trainlab.signal_exit import end_as_signal


class StopBetweenJobs:
    """The stop-signal handler of a sweep in this process between its jobs (see the module docstring);
    ``optimized_metric``: the sweep's, for its ``ranking.csv``."""

    def __init__(self, optimized_metric: str | None) -> None:
        self.optimized_metric = optimized_metric

    def __call__(self, signum: int, frame: object) -> None:
        from hydra.core.hydra_config import HydraConfig

        from trainlab.shell_override import finish_sweep_line
        from trainlab.sweep.stopped_sweep import record_stopped_sweep

        print(f"{signal.Signals(signum).name} between the sweep's jobs: stopped before the next job trained",
              file=sys.stderr, flush=True)
        hydra_config = HydraConfig.get()  # the job that ended or the one starting: the same sweep
        record_stopped_sweep(hydra_config, self.optimized_metric)
        print(finish_sweep_line(Path(str(hydra_config.sweep.dir)).absolute()), file=sys.stderr, flush=True)
        end_as_signal(signum)


def stop_now_if_between_jobs(signum: int) -> None:
    """A stop signal that a job received as its training ended, and that stopped nothing (a DDP job whose ranks
    were already done): given to the sweep's handler, where one is installed - the sweep stops, rather than going
    on to its next job as if no one had asked."""
    if isinstance(signal.getsignal(signum), StopBetweenJobs):
        signal.raise_signal(signum)
