"""Ctrl-C (SIGINT) or SIGTERM while a multirun's jobs train in worker processes of this machine (joblib, submitit's
local launcher).

A terminal's Ctrl-C reaches every process of the command's process group: each worker's job saves its
``last.ckpt``, writes ``status.json`` (``interrupted``) and ends (:mod:`trainlab.callbacks.graceful_shutdown`). The
command's own process waits in the launcher meanwhile; had the signal stopped it there (a KeyboardInterrupt, or a
search's stop), the worker pool ended the workers while they were saving - a job left without its status or
checkpoint - and so did the pool when a worker's job ended the worker with exit status 130, the way a job in the
command's own process ends the sweep. So, where the jobs train in worker processes (:func:`jobs_train_in_workers`):

* **the command's process defers the first signal** until the launch returns, and marks the stop in the sweep
  directory (:data:`STOP_MARK`); then the sweep stops with exit status 128 + signal and the command that finishes it.
  A search's :class:`~trainlab.search.stop_signals.StopSignals` defers it around each launch; for Hydra's basic
  sweeper, whose loop is not the project's, :func:`defer_stop_for_workers` (at the end of the preflight callback's
  start) and the :class:`WaitForWorkers` callback (first of ``hydra.callbacks``, so its end comes after the
  summary's) do. A second signal, until the launch has returned and the sweep stopped, ends the command at once: one
  line, the command that finishes the sweep, the worker processes ended, exit status 128 + signal
  (:mod:`trainlab.sweep.stop_at_once`).
* **a worker's job returns** instead of ending its process, so that the pool waits for every worker
  (:func:`in_a_worker`): interrupted while training, or after it (its test, its status being written), after
  recording itself ``interrupted`` with its checkpoint; interrupted before its training began (:class:`StartupStop`),
  or started after the stop was marked - a job the pool had queued, which got no signal - without training and
  without a status, so that ``resume_sweep=true`` runs it. Training "began" where the job's start-up ended
  (:func:`trainlab.startup_interrupt.end_startup`, at the start of ``fit``): a job whose status.json was not written
  yet is not a job in its start-up - one stopped after training, its checkpoint saved, was told "not run".
  Between its jobs a worker ignores the stop signals: the command answers them (the first by starting no further
  job, the second by ending its workers); Python's handler there raised a KeyboardInterrupt in the idle worker,
  which printed a traceback or ended it - and with it the pool's launch.

The workers get the signal themselves where it goes to the process group (``kill -INT -- -<pgid>``), as a
terminal's Ctrl-C and SLURM's ``scancel`` send it; the command's process does not forward it (a worker given it twice
would stop at once, without saving). One sent to the command alone (``kill -INT <pid>``) reaches the jobs that train
through the stop mark, which they look at while they train (:class:`SweepStopWatch`). With
``hydra.launcher.n_jobs=1`` joblib runs the jobs one after another in the command's process, and under its
``threading`` backend in threads of it, which get no signal: there a Ctrl-C stops the sweep as with the basic
launcher. The processes the launcher starts get the stop signals blocked until their job's handlers
are installed (:mod:`trainlab.sweep.blocked_stop_signals`): a joblib worker still importing Lightning ended with a
KeyboardInterrupt traceback, and the command with exit status 1 and joblib's; submitit's local launcher starts a
controller process of submitit's own beside each job, which must not take the signal at all
(:mod:`trainlab.sweep.submitit_local_stop`, which also prints the jobs' lines, which went to
``<sweep>/.submitit/``, when the sweep stops).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from trainlab import startup_interrupt
from trainlab.atomic_files import write_text_atomically
from trainlab.search.stop_signals import StopSignals
from trainlab.sweep.blocked_stop_signals import keep_stop_signals_from_processes, let_stop_signals_in
from trainlab.sweep.stop_at_once import quiet_resource_trackers, stop_sweep_at_once
from trainlab.sweep.submitit_local_stop import is_submitit_local, stopped_jobs

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: joblib's launcher; with submitit's local launcher (whose controller processes are kept from the signal:
#: sweep/submitit_local_stop.py), the launchers whose jobs train in worker processes of this machine that share the
#: command's process group (jobs_train_in_workers)
JOBLIB_LAUNCHER = "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"
#: joblib backends whose workers are processes (joblib's default is loky)
PROCESS_BACKENDS = (None, "loky", "multiprocessing")
#: the file in the sweep directory that tells a worker's job starting after a stop not to train
STOP_MARK = ".stop_requested"
#: the command's process id, handed to its workers: a job in any other process is a worker's
COMMAND_PID = "TRAINLAB_MULTIRUN_PID"


def jobs_train_in_workers(launcher: Any) -> bool:
    """Whether ``launcher`` (a config's ``hydra.launcher`` node) trains the jobs in worker processes of this machine:
    joblib with a process backend and more than one job at a time, or submitit's local launcher (a process per job)."""
    if launcher is None or not hasattr(launcher, "get"):
        return False
    if is_submitit_local(launcher):
        return True
    return (launcher.get("_target_") == JOBLIB_LAUNCHER and launcher.get("backend") in PROCESS_BACKENDS
            and launcher.get("n_jobs", -1) not in (1, None))


def in_a_worker() -> bool:
    """Whether this process runs a multirun's job as a worker of such a launcher (not the command's own process)."""
    from trainlab.sweep.multirun_launcher import multirun_launcher

    command = os.environ.get(COMMAND_PID)
    return jobs_train_in_workers(multirun_launcher()) and command is not None and command != str(os.getpid())


def mark_stop(sweep_dir: Path, signum: int = signal.SIGINT, by_command: bool = True) -> None:
    """Mark the sweep stopped by ``signum``: the mark says the signal and whether the command got it (``SIGINT
    command``) or a worker alone (``SIGINT worker``), see :class:`SweepStopWatch`. Written whole (a temporary file
    renamed): a job looking at it never reads half of it."""
    try:
        sweep_dir.mkdir(parents=True, exist_ok=True)
        write_text_atomically(sweep_dir / STOP_MARK,
                              f"{signal.Signals(signum).name} {'command' if by_command else 'worker'}")
    except OSError as error:  # the jobs already training stop all the same; queued ones would train
        log.warning("could not mark the stop in %s (%s): jobs the pool starts from now on will train", sweep_dir, error)


def clear_stop_mark(sweep_dir: Path) -> None:
    try:
        (sweep_dir / STOP_MARK).unlink(missing_ok=True)
    except OSError as error:  # left: this sweep's queued jobs would not start; said, so that it can be removed
        log.warning("could not remove %s (%s): remove it, or this sweep's jobs will not start",
                    sweep_dir / STOP_MARK, error)


def stop_marked(sweep_dir: Path) -> bool:
    return (sweep_dir / STOP_MARK).is_file()


class SweepStopWatch:
    """A worker's job watching its sweep's stop mark while it trains. The command marks the stop when it gets a stop
    signal (:func:`workers_stop`), which the job's own process may not have got: ``kill -INT <the command's pid>``,
    a script or scheduler that signals the command alone. The command said "every job saves its checkpoint and
    stops" and waited, while the running jobs trained to their end. :meth:`stopped` tells the job's interrupt
    handling (:class:`~trainlab.callbacks.graceful_shutdown.GracefulShutdown`, at each step boundary) to stop as on
    that signal; it reads the mark at most every :attr:`interval_s` seconds, so a step costs a clock reading. A mark
    a worker wrote on a signal of its own (in a job's start-up, or after its training) keeps queued jobs from
    starting but stops no other job's training: the command and the other workers got no signal."""

    def __init__(self, sweep_dir: Path, interval_s: float = 0.5) -> None:
        self.mark = sweep_dir / STOP_MARK
        self.interval_s = interval_s
        self.next_look = 0.0

    def stopped(self) -> int | None:
        """The signal the sweep was stopped by (SIGINT where the mark does not say), or None: not stopped (or not
        looked at yet)."""
        now = time.monotonic()
        if now < self.next_look:
            return None
        self.next_look = now + self.interval_s
        try:
            name, _, writer = self.mark.read_text().strip().partition(" ")
        except FileNotFoundError:
            return None
        except OSError:  # there, but unreadable: the command's stop all the same
            name, writer = "", "command"
        if writer == "worker":
            return None
        return getattr(signal, name) if name in ("SIGINT", "SIGTERM") else signal.SIGINT


def sweep_stop_watch() -> SweepStopWatch | None:
    """The :class:`SweepStopWatch` of this process's job where it trains in a worker (:func:`in_a_worker`), else
    None (a single run, a job in the command's own process: the command's signal is the job's)."""
    if not in_a_worker():
        return None
    from hydra.core.hydra_config import HydraConfig

    return SweepStopWatch(Path(os.path.abspath(str(HydraConfig.get().sweep.dir))))


#: the basic sweeper's deferral of a stop signal (one multirun at a time per process; see defer_stop_for_workers)
DEFERRED: StopSignals | None = None
#: when this process's multirun with worker processes started: a job's status.json written since is this command's
STARTED: float | None = None


def workers_stop(sweep_dir: Path, signum: int) -> None:
    """The command's answer to a deferred stop signal: mark it for the jobs - those not started yet do not start,
    those training stop as on the signal (:class:`SweepStopWatch`), whether or not it reached them too - and say
    so."""
    mark_stop(sweep_dir, signum)
    log.warning("received %s: every job saves its checkpoint and stops, and no further job starts; waiting for them "
                "(again to stop at once)", signal.Signals(signum).name)


def defer_stop_for_workers(config: DictConfig) -> None:
    """At the start of a multirun, once it is accepted (the preflight callback's last step, so that a refused one
    leaves no handler behind): for jobs in worker processes, hand the command's process id to the workers, clear an
    earlier stop's mark and, for Hydra's basic sweeper, defer the first stop signal (a search defers it itself)."""
    from trainlab.sweep.basic_sweep import BASIC_SWEEPER

    global STARTED
    launcher = OmegaConf.select(config, "hydra.launcher")
    if not jobs_train_in_workers(launcher):
        return
    sweep_dir = Path(os.path.abspath(str(config.hydra.sweep.dir)))
    os.environ[COMMAND_PID] = str(os.getpid())
    STARTED = time.time()
    clear_stop_mark(sweep_dir)
    quiet_resource_trackers()  # before keep_stop_signals_from_processes starts one: a stop at once is no leak
    keep_stop_signals_from_processes()  # the processes the launcher starts get them once their job can answer
    if OmegaConf.select(config, "hydra.sweeper._target_") == BASIC_SWEEPER:
        global DEFERRED
        if DEFERRED is not None:  # a process that runs several commands (one refused later never ended)
            DEFERRED.restore()
        DEFERRED = StopSignals(on_deferred=lambda signum: workers_stop(sweep_dir, signum),
                               on_again=lambda signum: stop_sweep_at_once(signum, sweep_dir))
        DEFERRED.__enter__()
        DEFERRED.hold()


class WaitForWorkers(Callback):
    """Hydra callback, first in ``hydra.callbacks`` so that its end comes after the summary's: puts the handlers
    back and, where the basic sweeper deferred a stop signal (:func:`defer_stop_for_workers`), ends the command as a
    stopped sweep ends - exit status 128 + signal, with the command that finishes the sweep (for submitit's local
    launcher after the lines of the jobs it stopped, whose own output went to ``<sweep>/.submitit/``)."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from trainlab.shell_override import finish_sweep_command
        from trainlab.sweep.basic_sweep import BASIC_SWEEPER
        from trainlab.sweep.job_dirs import sweep_job_dirs

        global DEFERRED
        signum = None
        if DEFERRED is not None:
            DEFERRED.restore()
            signum, DEFERRED = DEFERRED.pending, None
        launcher = OmegaConf.select(config, "hydra.launcher")
        submitit_local = is_submitit_local(launcher)
        if jobs_train_in_workers(launcher):
            let_stop_signals_in()  # blocked since the multirun started; one that came meanwhile was received
        sweep_dir = Path(os.path.abspath(str(config.hydra.sweep.dir)))
        clear_stop_mark(sweep_dir)
        if signum is None:  # a signal to some worker alone may have stopped its job; the sweep went on without it
            if (STARTED is not None and jobs_train_in_workers(launcher)
                    and OmegaConf.select(config, "hydra.sweeper._target_") == BASIC_SWEEPER):  # a search says it
                stopped = stopped_jobs(sweep_job_dirs(sweep_dir), since=STARTED)
                if stopped:
                    print(finish_report(sweep_dir, stopped, submitit_local), file=sys.stderr)
            return
        if not jobs_train_in_workers(launcher):  # held from the end's start (defer_stop_for_the_end)
            from trainlab.sweep.sweep_end_failures import FAILED

            written = (f"but {', '.join(FAILED)} could not be written (said above)" if FAILED
                       else "and its summary.csv and HPARAMS experiment are written")
            print(f"{signal.Signals(signum).name} while the sweep wrote its records: its jobs had ended, {written}",
                  file=sys.stderr)
            FAILED.clear()  # said here, with the signal's exit status
        elif submitit_local:
            stopped = stopped_jobs(sweep_job_dirs(sweep_dir), since=STARTED or 0.0)
            print(finish_report(sweep_dir, stopped, submitit_local), file=sys.stderr)
        else:  # each worker's job said what it saved, on this terminal
            print(f"{signal.Signals(signum).name}: the sweep stopped; finish it with: "
                  f"{finish_sweep_command(sweep_dir)}", file=sys.stderr)
        raise SystemExit(128 + signum)


def finish_report(sweep_dir: Path, stopped: list[str], submitit_local: bool) -> str:
    """The command's lines for a sweep whose jobs ``stopped`` (their :func:`stopped_jobs` lines): those lines for
    submitit's local launcher, whose jobs' own output went to ``<sweep>/.submitit/`` (a joblib worker's job said
    them on this terminal, and only them: train.py), then the command that finishes the sweep, once."""
    from trainlab.shell_override import finish_sweep_line

    return "\n".join([*(stopped if submitit_local else []), finish_sweep_line(sweep_dir)])


def defer_stop_for_the_end(config: DictConfig) -> None:
    """A grid sweep whose jobs trained in this process (the basic and stacked launchers), at its end: a Ctrl-C or
    SIGTERM while its ``summary.csv`` / ``ranking.csv`` and HPARAMS experiment are written waits until they are -
    it raised a KeyboardInterrupt traceback from inside them (SIGTERM: the process ended without a word), and the
    sweep whose jobs had all completed was left without its tables. Called by the first of the multirun's end
    callbacks (Hydra calls them last to first: the preflight's); :class:`WaitForWorkers`, the last, says the stop
    and ends the command by it. A sweep in worker processes holds its signals from its start already; a search
    writes its own tables."""
    from trainlab.sweep.basic_sweep import BASIC_SWEEPER

    global DEFERRED
    if DEFERRED is not None or OmegaConf.select(config, "hydra.sweeper._target_") != BASIC_SWEEPER:
        return
    callbacks = OmegaConf.select(config, "hydra.callbacks", default=None) or {}
    if not any(str(callback.get("_target_", "")).endswith(f".{WaitForWorkers.__name__}")
               for callback in callbacks.values() if isinstance(callback, DictConfig)):
        return  # a config without the callback that lets the signals in again: held for good otherwise
    if threading.current_thread() is not threading.main_thread():
        return
    from trainlab.sweep.between_jobs import retire_between_jobs

    retire_between_jobs()  # no job is left: the end's handlers answer, and Python's after them
    DEFERRED = EndSignals(on_again=stop_at_once_at_the_end)
    DEFERRED.__enter__()
    DEFERRED.hold()


def let_go_of_the_end() -> None:
    """After a command: the handlers :func:`defer_stop_for_the_end` installed are put back where the multirun's end
    did not reach :class:`WaitForWorkers` (an end callback that ended the command: a sweep whose jobs all failed
    exits non-zero after its summary). A signal held meanwhile is said; the command's own exit stands."""
    global DEFERRED
    if not isinstance(DEFERRED, EndSignals):
        return
    DEFERRED.restore()
    signum, DEFERRED = DEFERRED.pending, None
    if signum is not None:
        print(f"{signal.Signals(signum).name} while the sweep wrote its records", file=sys.stderr)


class EndSignals(StopSignals):
    """The signals held while a finished sweep writes its records (:func:`defer_stop_for_the_end`)."""


def stop_at_once_at_the_end(signum: int) -> None:
    """A second signal while a finished sweep writes its records: the command ends at once, by the signal."""
    from trainlab.signal_exit import end_as_signal

    print(f"{signal.Signals(signum).name} again: stopped at once; the sweep's records may be incomplete (the same "
          "command with resume_sweep=true writes them again)", file=sys.stderr, flush=True)
    end_as_signal(signum)


class StartupStop(BaseException):
    """A stop signal in a worker's job before its training began: the job returns without training or status."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


class WorkerJobSignals:
    """Context manager around a worker's job. Training answers a stop signal with its own handler (from ``fit``'s
    start until the job's ``status.json`` is written); outside it, a stop signal marks the stop and - before the
    job's training began - raises :class:`StartupStop`. Once training began the job ends as it does: its own
    handler answered the signal, or it records its outcome (a second signal while it saves, or a run without the
    interrupt callback). Afterwards the worker ignores the stop signals until its next job (the command answers them,
    see the module docstring).

    A worker's job starts with the stop signals blocked (:mod:`trainlab.sweep.blocked_stop_signals`): :meth:`let_in`
    unblocks them once the handlers are installed, and the end blocks them again, so that a later Ctrl-C cannot end
    the process before the launcher has its result (submitit's result file)."""

    def __init__(self, sweep_dir: Path) -> None:
        self.sweep_dir = sweep_dir
        self.installed: list[int] = []  # the signals whose handler this job set (in the main thread only)
        self.blocked: set[int] = set()  # the stop signals this thread blocked when the job started
        self.startup_ends = 0  # startup_interrupt.STARTUP_ENDS when the job started: another value, training began
        self.raised: int | None = None  # the signal :meth:`handle` raised StartupStop for, if any

    def __enter__(self) -> WorkerJobSignals:
        self.startup_ends = startup_interrupt.STARTUP_ENDS
        if threading.current_thread() is threading.main_thread():
            self.blocked = signal.pthread_sigmask(signal.SIG_BLOCK, []) & set(SIGNALS)
            for signum in SIGNALS:
                signal.signal(signum, self.handle)
            self.installed = list(SIGNALS)
        return self

    def let_in(self) -> None:
        """Unblock the stop signals where the job started with them blocked: one that came while it started is
        handled now (:meth:`handle`)."""
        if self.blocked:
            let_stop_signals_in()

    def training_began(self) -> bool:
        """Whether this job's start-up ended (its ``fit`` started) since the job started in this worker."""
        return startup_interrupt.STARTUP_ENDS != self.startup_ends

    def handle(self, signum: int, frame: object) -> None:
        mark_stop(self.sweep_dir, signum, by_command=False)
        if not self.training_began():
            self.raised = signum
            raise StartupStop(signum)

    def __exit__(self, *exc_info: object) -> None:
        if self.blocked:  # first: a signal from here on waits, blocked, instead of meeting the job's handler
            signal.pthread_sigmask(signal.SIG_BLOCK, self.blocked)
        for signum in self.installed:
            signal.signal(signum, signal.SIG_IGN)  # an idle worker's: the command ends it if need be
        self.installed = []


def not_run_hint(search: bool) -> str:
    """What becomes of a worker's job a stop kept from running: a sweep's job is run by ``resume_sweep=true``; a
    search's trial is told ``interrupted``, and the resumed search asks a new trial, with new parameters, in its
    place (:mod:`trainlab.search.trial_outcome`) - this job is never run."""
    return ("its trial counts as interrupted: resume_sweep=true asks a new trial in its place" if search
            else "resume_sweep=true runs it")


def run_worker_job(cfg: Any, train: Callable[[Any], float | None]) -> float | None:
    """``train(cfg)`` as a worker's job (see the module docstring): not at all when the sweep was stopped before it
    started; a stop before its training began returns without a status (also where the :class:`StartupStop` that
    stopped it surfaced as another exception, raised by the code it unwound). A stop while it trains is the caller's
    (:class:`~trainlab.callbacks.graceful_shutdown.TrainingInterrupted`: it returns after saying so)."""
    from hydra.core.hydra_config import HydraConfig

    from trainlab.sweep.stopped_sweep import is_search

    hydra_config = HydraConfig.get()
    sweep_dir = Path(os.path.abspath(str(hydra_config.sweep.dir)))
    job_dir = Path(hydra_config.runtime.output_dir)
    later = not_run_hint(is_search(hydra_config))
    if stop_marked(sweep_dir):
        log.warning("%s: the sweep was stopped before this job started; not run (%s)", job_dir.name, later)
        return None
    with WorkerJobSignals(sweep_dir) as signals:
        try:
            signals.let_in()  # blocked until now (as the worker started and imported), answered from here on
            return train(cfg)
        except StartupStop as stop:
            log.warning("%s: %s before this job's training began; not run (%s)", job_dir.name,
                        signal.Signals(stop.signum).name, later)
            return None
        except Exception as error:
            if signals.raised is None or signals.training_began():  # no stop at start-up, or one the job got past
                raise
            # the StartupStop met code that raised an error of its own while it unwound (OmegaConf's merge in the
            # Trainer's instantiation: "trainer is invalid; ... ConfigKeyError: 'NoneType' object has no attribute
            # '_invalidate_flags_cache'"), which then ended the command as a config error, exit status 2
            log.warning("%s: %s before this job's training began; not run (%s; the stop surfaced as %s)",
                        job_dir.name, signal.Signals(signals.raised).name, later, type(error).__name__)
            return None
