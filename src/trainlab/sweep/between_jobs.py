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
    ``optimized_metric``: the sweep's, for its ``ranking.csv``; ``last_job``: the number of its last job (None: not
    known), after whose end nothing is left to finish. While a job trains without a handler of its own
    (``callbacks=none``: :class:`~trainlab.callbacks.startup_end.StartupEnd` marks the fit), it answers as the handler
    it stands in for: Lightning's (a KeyboardInterrupt for SIGINT; a SIGTERM is Lightning's, which calls this one
    after its own)."""

    def __init__(self, optimized_metric: str | None, last_job: int | None = None) -> None:
        self.optimized_metric = optimized_metric
        self.last_job = last_job

    def __call__(self, signum: int, frame: object) -> None:
        from hydra.core.hydra_config import HydraConfig

        from trainlab.run_status import STATUS_FILE
        from trainlab.shell_override import finish_sweep_line
        from trainlab.sweep.stopped_sweep import record_stopped_sweep

        if FIT.running:
            if signum == signal.SIGINT:
                signal.default_int_handler(signum, frame)
            if signal.getsignal(signum) is not self:  # Lightning's SIGTERM handler called it: Lightning stops the run
                return
            end_as_signal(signum)
        name = signal.Signals(signum).name
        hydra_config = HydraConfig.get()  # the job that ended or the one starting: the same sweep
        job_dir = Path(str(hydra_config.runtime.output_dir))
        if hydra_config.job.num == self.last_job and (job_dir / STATUS_FILE).is_file():
            print(f"{name} after the sweep's last job: its jobs had ended", file=sys.stderr, flush=True)
            record_stopped_sweep(hydra_config, self.optimized_metric)
            end_as_signal(signum)
        print(f"{name} between the sweep's jobs: stopped before the next job trained", file=sys.stderr, flush=True)
        record_stopped_sweep(hydra_config, self.optimized_metric)
        print(finish_sweep_line(Path(str(hydra_config.sweep.dir)).absolute()), file=sys.stderr, flush=True)
        end_as_signal(signum)


class FitState:
    """Whether a job's ``fit`` runs in this process (set by :class:`~trainlab.callbacks.startup_end.StartupEnd`)."""

    running = False


FIT = FitState()


def retire_between_jobs() -> None:
    """Python's handler and SIGTERM's default action back where :class:`StopBetweenJobs` is installed: the sweep's
    end is reached (its end records have their own handling), or a job's stop ends the command (a second Ctrl-C
    is the stop's to answer, not this handler's, which would record the sweep again)."""
    usual = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    for signum, handler in usual.items():
        if isinstance(signal.getsignal(signum), StopBetweenJobs):
            signal.signal(signum, handler)


def stop_now_if_between_jobs(signum: int) -> None:
    """A stop signal that a job received as its training ended, and that stopped nothing (a DDP job whose ranks
    were already done): given to the sweep's handler, where one is installed - the sweep stops, rather than going
    on to its next job as if no one had asked."""
    if isinstance(signal.getsignal(signum), StopBetweenJobs):
        signal.raise_signal(signum)
