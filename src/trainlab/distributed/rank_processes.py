"""Train one job as ``trainer.devices`` DDP processes that the job starts itself from its resolved config.

Lightning's own launchers do not fit a Hydra job: its ``ddp`` launcher re-runs ``sys.argv`` in every extra process,
which under Hydra starts a new run directory - or, in a multirun, the whole sweep again in each process - and its
``ddp_spawn`` pickles the trainer into processes that a signal to the job does not reach. So the job's own process
(the one Hydra runs, in the job's directory) supervises its ranks:

1. it writes the job's resolved config and Hydra context (:class:`~trainlab.job_context.JobContext`) to a
   temporary directory - never into the job's directory -, with the data source it resolved for
   ``data.source=auto`` (:func:`~trainlab.distributed.job_checks.check_ddp_job`): the ranks use it, never trying
   the download again nor deciding on their own;
2. it starts ``python -m trainlab.distributed.rank_process`` once per rank, with the variables Lightning reads for
   processes it did not create (``MASTER_ADDR``, ``MASTER_PORT``, ``WORLD_SIZE``, ``NODE_RANK``, ``LOCAL_RANK``).
   Every rank trains the same job in the same directory; rank 0 alone writes ``status.json``, the TensorBoard
   run, the checkpoints and the log lines, and Hydra's ``.hydra/`` stays the job's;
3. it waits, forwarding SIGINT and SIGTERM to every rank (they agree on a step, save ``last.ckpt`` together and
   stop; a rank still starting ends at once, and the job then ends as a lone run's start-up does:
   :func:`stopped_before_training`; a second signal while they stop ends them at once, without a checkpoint, and
   the job then ends as a lone run's second Ctrl-C does: :func:`stopped_at_once`). When a rank fails, the others
   get :data:`GRACE_S` seconds to end and are then killed, so that no rank waits for ever in a collective
   operation; a rank also dies with the job's process (``PR_SET_PDEATHSIG``);
4. it reads each rank's outcome and ends as the job would have in one process: it returns the objective, or raises
   the same :class:`~trainlab.errors.UserError`, :class:`~trainlab.callbacks.divergence_guard.RunDiverged` or
   :class:`~trainlab.callbacks.graceful_shutdown.TrainingInterrupted`. A failed rank is recorded ``failed`` in
   ``status.json`` with its error; in a multirun the sweep goes on.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from trainlab.distributed.process_world import OWN_RANKS_VARIABLE
from trainlab.job_context import JobContext
from trainlab.signal_exit import end_as_signal
from trainlab.startup_interrupt import end_startup
from trainlab.submitit_requeue import hand_on_to_submitit, note_requeue, one_stop, submitit_signal
from trainlab.sweep.between_jobs import StopBetweenJobs

log = logging.getLogger(__name__)

GRACE_S = 5.0  # how long the other ranks may take to end by themselves after one failed
POLL_S = 0.1
OUTCOME_FILE = "rank{rank}.json"  # in the temporary directory: what each rank's train() ended with
#: beside it, created by a rank as its training starts: a rank that the signal passed on ended without it died
#: starting (nothing trained); with it, a second signal passed on stopped its training at once
TRAINING_FILE = "rank{rank}.training"


class RankFailed(RuntimeError):
    """A rank process ended with an error that is not the user's to fix (its traceback is in the job's log)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


#: the signal a rank ignores because the job's process passes it on (submitit's requeue signal, which SLURM may
#: send every process of the job: by default it would end a rank at once)
PASSED_ON_SIGNAL_VARIABLE = "TRAINLAB_PASSED_ON_SIGNAL"


def rank_environment(rank: int, world_size: int, port: int) -> dict[str, str]:
    """The variables of one rank process: Lightning's ``LightningEnvironment`` reads them instead of launching."""
    env = dict(os.environ)
    env.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(world_size), NODE_RANK="0",
               LOCAL_RANK=str(rank), **{OWN_RANKS_VARIABLE: "1"})
    env.pop("RANK", None)
    requeue = submitit_signal()
    if requeue is not None:  # SLURM may signal every process of the job: the ranks leave it to this one
        env[PASSED_ON_SIGNAL_VARIABLE] = str(int(requeue))
    return env


def prepare_rank() -> None:
    """In the child, before it runs: SIGINT and SIGTERM take their default action - the job's process passes them
    on, so a rank must not inherit them ignored (``python train.py ... &`` in a shell script starts the job with
    SIGINT ignored: its ranks then trained on, after the job said it passed a SIGINT on) nor blocked (a multirun's
    job process may hold them blocked, :mod:`trainlab.sweep.blocked_stop_signals`: they would stay pending in the
    rank); and :func:`die_with_parent`."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT, signal.SIGTERM])
    die_with_parent()


def die_with_parent() -> None:
    """In the child, before it runs: the kernel kills it when the job's process dies (Linux; elsewhere a no-op)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def job_log_file() -> str | None:
    """The Hydra job's log file (``<job dir>/<job name>.log``), where rank 0 appends its lines, or None."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            return handler.baseFilename
    return None


def start_ranks(payload_file: Path, world_size: int) -> list[subprocess.Popen]:
    port = free_port()
    command = [sys.executable, "-m", "trainlab.distributed.rank_process", str(payload_file)]
    # A new session: a Ctrl-C in the terminal reaches the job's process alone, which forwards it once to each rank
    # (a rank that got it twice would stop at once instead of saving a checkpoint).
    return [subprocess.Popen(command, env=rank_environment(rank, world_size, port), start_new_session=True,
                             preexec_fn=prepare_rank) for rank in range(world_size)]


def wait_for_ranks(ranks: list[subprocess.Popen]) -> tuple[list[int], dict[int, tuple[float, float]], set[int]]:
    """Wait for every rank; once one has failed, kill those still running after :data:`GRACE_S` seconds.

    Returns the exit statuses, when each rank was last seen running and seen ended (rank -> the ``time.time()`` at
    the start of the last poll that found it running, and of the poll that found it ended: the first to fail is
    the cause; the others often fail only because it left their collective operations) and the ranks killed here.
    The first time bounds a death from below however late a poll comes on a busy machine.
    """
    failed_at: float | None = None
    alive: dict[int, float] = {}
    ended: dict[int, tuple[float, float]] = {}
    stopped: set[int] = set()
    while True:
        polled_at = time.time()
        codes = [rank.poll() for rank in ranks]
        for index, code in enumerate(codes):
            if code is None:
                alive[index] = polled_at
            elif index not in ended:
                ended[index] = (alive.get(index, polled_at), polled_at)
        if all(code is not None for code in codes):
            return codes, ended, stopped
        if failed_at is None and any(code not in (None, 0) for code in codes):
            failed_at = time.monotonic()
        if failed_at is not None and time.monotonic() - failed_at > GRACE_S:
            for index, rank in enumerate(ranks):
                if rank.poll() is None:
                    rank.kill()
                    stopped.add(index)
        time.sleep(POLL_S)


def signal_name(number: int) -> str:
    """``SIGKILL`` for 9; ``signal 40`` for a number the signal module has no name for (real-time signals)."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def unrecorded_outcome(code: int, stopped: bool) -> dict[str, str]:
    """The outcome of a rank that ended without recording one: ``stopped`` here after another rank failed, or
    ``killed`` - by a signal from outside (the out-of-memory killer, a ``kill``) or a crash of the interpreter."""
    if stopped:
        return {"kind": "stopped", "error": f"killed by the job {GRACE_S:g} s after another rank failed"}
    if code == -signal.SIGKILL:
        return {"kind": "killed", "error": "killed by SIGKILL before recording an outcome (no traceback: the "
                                          "out-of-memory killer, or a kill from outside)"}
    if code < 0:
        return {"kind": "killed", "error": f"killed by {signal_name(-code)} before recording an outcome"}
    return {"kind": "killed", "error": f"exited with status {code} before recording an outcome"}


class ForwardedSignals:
    """While the ranks run, SIGINT and SIGTERM to the job's process are passed on to every rank; in a submitit job,
    so is submitit's requeue signal, as SIGTERM (the ranks run outside submitit's job environment: they stop and
    save, and this process hands the signal on to submitit, :mod:`trainlab.submitit_requeue`)."""

    def __init__(self, ranks: list[subprocess.Popen]) -> None:
        self.ranks = ranks
        self.received: int | None = None
        self.passed: int | None = None  # the signal the ranks got: ``received``, or SIGTERM for submitit's
        self.count = 0
        self.requeue: int | None = None  # submitit's requeue signal, in a submitit job
        self._previous: dict[int, Any] = {}
        self._pending: list[int] = []  # signals that came while _forward ran, to pass on after it
        self._passing = False

    def _forward(self, signum, frame) -> None:
        """Pass ``signum`` on. A signal that comes while this handler runs - Python runs a handler within another,
        as where a Ctrl-C reaches the job twice ~1 ms apart (the terminal's process group and ``timeout``) - is
        passed on once this one is done: run within its log line, its own line was a ``Logging error`` traceback (a
        reentrant write to the stream)."""
        self._pending.append(signum)
        if self._passing:
            return
        self._passing = True
        try:
            while self._pending:
                self._pass_on(self._pending.pop(0))
        finally:
            self._passing = False

    def _pass_on(self, signum: int) -> None:
        if self.received is not None and one_stop(self.received, signum, self.requeue):  # SLURM's pair: one stop,
            self.received = self.requeue  # passed on once; submitit requeues the job after the ranks save
            return
        self.received, self.count = signum, self.count + 1
        log.warning("received %s: passing it to the %d DDP processes", signal.Signals(signum).name, len(self.ranks))
        self.passed = signum if signum in (signal.SIGINT, signal.SIGTERM) else signal.SIGTERM
        for rank in self.ranks:
            if rank.poll() is None:
                rank.send_signal(self.passed)

    def __enter__(self) -> ForwardedSignals:
        end_startup()  # the ranks train: their handlers answer a signal, this one passes it on
        self.requeue = requeue = submitit_signal()
        for signum in (signal.SIGINT, signal.SIGTERM) if requeue is None else (signal.SIGINT, signal.SIGTERM, requeue):
            self._previous[signum] = signal.signal(signum, self._forward)
        return self

    def _again(self, signum, frame) -> None:
        """A Ctrl-C after the ranks ended on a signal passed on, while this process ends too: a second Ctrl-C, which
        stops at once (exit status 130) - not a KeyboardInterrupt with its traceback wherever the process is (its
        stop line, its exit handlers)."""
        log.warning("received %s again: stopping at once", signal.Signals(signum).name)
        end_as_signal(signum)

    def __exit__(self, *exc_info) -> None:
        stopping = self.received in (signal.SIGINT, signal.SIGTERM)  # the ranks stopped on it: so does this process
        for signum, handler in self._previous.items():
            again = stopping and signum == signal.SIGINT and (handler is signal.default_int_handler
                                                               or isinstance(handler, StopBetweenJobs))
            signal.signal(signum, self._again if again else handler)


#: a DDP job's scratch directory under the temporary directory: ``trainlab-ddp-<the job's pid>-<random>``
SCRATCH_PREFIX = "trainlab-ddp-"


def remove_scratch_of_dead_jobs(temp_dir: Path) -> None:
    """Remove the scratch directories (``job.json``, the ranks' marks) that DDP jobs killed outright left in
    ``temp_dir``: their ranks die with them (:func:`die_with_parent`), and nothing removed the directory, so a machine
    whose out-of-memory killer ends jobs now and then collected them. A directory whose job's process still runs (or
    whose name carries no process id: an older version's) is left alone."""
    for scratch in temp_dir.glob(f"{SCRATCH_PREFIX}*-*"):
        pid = scratch.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or not scratch.is_dir() or scratch.is_symlink():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:  # that job's process is gone
            shutil.rmtree(scratch, ignore_errors=True)  # another job's cleaning it at once: whoever is first
        except PermissionError:  # another user's live process
            continue


def run_rank_processes(cfg: DictConfig, context: JobContext, world_size: int,
                       data_source: str | None = None) -> list[dict[str, Any]]:
    """Start the ranks and wait for them; returns each rank's outcome (:mod:`trainlab.distributed.rank_process`)
    in the order the ranks ended."""
    payload = {"config": OmegaConf.to_container(cfg, resolve=True), "context": asdict(context),
               "log_file": job_log_file(), "data_source": data_source}
    remove_scratch_of_dead_jobs(Path(tempfile.gettempdir()))
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as scratch:
        payload_file = Path(scratch) / "job.json"
        payload_file.write_text(json.dumps(payload))
        log.info("training with %d DDP processes (%s)", world_size, cfg.trainer.get("accelerator"))
        ranks = start_ranks(payload_file, world_size)
        try:
            with ForwardedSignals(ranks) as forwarded:
                codes, ended, stopped = wait_for_ranks(ranks)
        finally:
            for rank in ranks:  # an exception here (a second Ctrl-C) must not leave ranks behind
                if rank.poll() is None:
                    rank.kill()
                    rank.wait()
        outcomes = []
        for rank, code in enumerate(codes):
            outcome_file = Path(scratch) / OUTCOME_FILE.format(rank=rank)
            outcome = (json.loads(outcome_file.read_text()) if outcome_file.is_file()
                       else unrecorded_outcome(code, rank in stopped))
            training = (Path(scratch) / TRAINING_FILE.format(rank=rank)).exists()
            if outcome["kind"] == "killed" and code == -(forwarded.passed or 0) and not training:
                outcome["on_signal"] = forwarded.received  # ended by the signal passed on (once or more) while starting
            elif outcome["kind"] == "killed" and code == -(forwarded.passed or 0) and forwarded.count > 1:
                outcome["at_once"] = forwarded.received  # in training: the signal passed on again stopped it at once
            if outcome["kind"] == "interrupted" and forwarded.received not in (None, signal.SIGINT, signal.SIGTERM):
                outcome["signum"] = forwarded.received  # submitit's signal, passed on as SIGTERM: the job's stop
            if outcome["kind"] in ("completed", "diverged") and forwarded.received in (signal.SIGINT, signal.SIGTERM):
                outcome["late_signal"] = forwarded.received  # came as the rank's training ended: it stopped nothing
            outcomes.append({**outcome, "rank": rank, "exit_status": code})
        return [{**outcomes[rank], "alive_at": alive_at, "ended_at": ended_at}
                for rank, (alive_at, ended_at) in sorted(ended.items(), key=lambda e: e[1][1])]


def failure_time(outcome: dict[str, Any]) -> float:
    """When a rank failed, as near as is known: the time it recorded its error (``failed_at``), else the earliest
    it can have died - when a poll last found it running (``alive_at``; a poll that comes late, on a busy machine,
    moves only the time it was seen ended, ``ended_at``)."""
    return outcome.get("failed_at", outcome.get("alive_at", outcome.get("ended_at", 0.0) - POLL_S))


#: what a rank's error says when a peer it was exchanging with went away: the effect of another rank's end
LOST_PEER = ("Connection reset by peer", "Connection closed by peer", "Broken pipe")


def says_a_peer_was_lost(error: str) -> bool:
    """Whether a rank's error is the loss of a peer it was exchanging with (:data:`LOST_PEER`)."""
    return any(words in error for words in LOST_PEER)


def lost_a_peer(outcome: dict[str, Any]) -> bool:
    return outcome["kind"] == "failed" and says_a_peer_was_lost(str(outcome.get("error", "")))


def first_failure(outcomes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The outcome that explains a failed job: a user error; else the rank that failed or was killed from outside
    first (:func:`failure_time`) - the ranks it left inside a collective operation fail after it, of a lost
    connection, and are not the cause: such a failure (:data:`LOST_PEER`) comes after any other whatever the
    times, as a killed rank's sockets close while it is still dying, before a poll can see it ended; else the first
    the job stopped."""
    users = [o for o in outcomes if o["kind"] == "user_error"]
    if users:
        return users[0]
    failures = [o for o in outcomes if o["kind"] in ("killed", "failed")]
    if failures:
        return min(failures, key=lambda outcome: (lost_a_peer(outcome), failure_time(outcome)))
    stopped = [o for o in outcomes if o["kind"] == "stopped"]
    return stopped[0] if stopped else None


def stopped_before_training(outcomes: list[dict[str, Any]]) -> int | None:
    """The signal the job passed on to its ranks, when they ended on it before training: a rank still starting
    dies of it without recording an outcome (:func:`trainlab.startup_interrupt.stop_silently_until_training`; in
    training it saves and records ``interrupted``) nor its :data:`TRAINING_FILE` - whether the signal came once or,
    as where both the terminal's process group and a ``timeout`` around the command pass on a Ctrl-C, twice -, and
    the others, when not killed by it too, failed only because a peer was gone or were stopped by the job after it.
    None otherwise."""
    on_signal = [outcome for outcome in outcomes if "on_signal" in outcome]
    if on_signal and all(outcome in on_signal or lost_a_peer(outcome) or outcome["kind"] == "stopped"
                         for outcome in outcomes):
        return on_signal[0]["on_signal"]
    return None


def stopped_at_once(outcomes: list[dict[str, Any]]) -> int | None:
    """The signal the job passed on again while its ranks stopped on it: a rank in training that gets a second
    stop signal dies of it at once, with neither a checkpoint nor an outcome
    (:func:`trainlab.callbacks.graceful_shutdown.stop_at_once`), and the others, when not killed by it too, had
    saved and recorded their stop, lost a peer, or were stopped by the job after it. The job then ends as a lone
    run's second Ctrl-C ends it - no ``status.json`` written, the signal's exit status -, not as a failed job with
    a ``RankFailed`` traceback. None otherwise."""
    at_once = [outcome for outcome in outcomes if "at_once" in outcome]
    if at_once and all(outcome in at_once or lost_a_peer(outcome) or outcome["kind"] in ("stopped", "interrupted")
                       for outcome in outcomes):
        return at_once[0]["at_once"]
    return None


def train_in_rank_processes(cfg: DictConfig, context: JobContext, world_size: int, started: float,
                            data_source: str | None = None) -> float | None:
    """Train the job as ``world_size`` rank processes and end as :func:`trainlab.train.train` ends in one process;
    ``data_source``: the one this process resolved, which every rank uses (None: each rank's data module decides).

    The ranks train as a single run (they raise rather than return an objective on failure); this process applies
    the job's multirun rules to what they recorded.
    """
    from trainlab.callbacks.divergence_guard import RunDiverged
    from trainlab.callbacks.graceful_shutdown import TrainingInterrupted
    from trainlab.errors import ConfigError, UserError
    from trainlab.run_status import read_status, write_status
    from trainlab.sweep.between_jobs import stop_now_if_between_jobs
    from trainlab.sweep.worker_stop import StartupStop
    from trainlab.train import missing_objective_message, objective_value

    output_dir = Path(cfg.paths.output_dir)
    outcomes = run_rank_processes(cfg, replace(context, multirun=False), world_size, data_source)
    signum = stopped_before_training(outcomes)
    if signum is not None:  # as a Ctrl-C during a lone run's start-up: no status.json, the signal's exit status
        hand_on_to_submitit(signum, output_dir)  # submitit's signal: it requeues the job, which then trains anew
        raise StartupStop(signum)
    signum = stopped_at_once(outcomes)
    if signum is not None:  # the ranks logged "received SIGINT again: stopping at once, without a checkpoint"
        end_as_signal(signum)
    cause = first_failure(outcomes)
    if cause is not None and cause["kind"] == "user_error":
        raise UserError(cause["message"])
    interrupted = next((o for o in outcomes if o["kind"] == "interrupted" and o["rank"] == 0), None)
    if cause is None and interrupted is not None:
        stop = TrainingInterrupted(interrupted["signum"], Path(interrupted["checkpoint"]), interrupted["step"])
        stop.requeued = note_requeue(output_dir, stop.signum, stop.checkpoint)  # submitit's signal: it requeues
        raise stop
    recorded = read_status(output_dir) or {"metrics": {}}
    if cause is not None:
        error = f"DDP rank {cause['rank']} of {world_size}: {cause['error']}"
        write_status(output_dir, "failed", context.overrides, recorded["metrics"], None,
                     time.monotonic() - started, error, data_source=recorded.get("data_source"),
                     drawn_seed=context.drawn_seed)
        if not context.multirun:
            logged = cause["kind"] == "failed" and not lost_a_peer(cause)  # its traceback; a killed rank wrote none
            raise RankFailed(f"{error} (its traceback is in the log above)" if logged else error)
        log.error("job %s failed (%s); the sweep goes on", output_dir.name, error)
        return objective_value(cfg.get("optimized_metric"), {}, "failed", cfg.get("objective_on_failure"))
    late = next((o["late_signal"] for o in outcomes if "late_signal" in o), None)
    if late is not None:  # a Ctrl-C as the ranks ended: a sweep here stops now, not after its next job
        stop_now_if_between_jobs(late)
    if recorded.get("status") == "diverged":
        diverged = next(o for o in outcomes if o["kind"] == "diverged")
        if not context.multirun:
            raise RunDiverged(diverged["step"], str(output_dir), diverged.get("initial_weights"))
        return recorded["objective"]
    objective = recorded.get("objective")
    name = cfg.get("optimized_metric")
    if context.multirun and name and objective is None:  # the sweeper needs a number for this job
        raise ConfigError(missing_objective_message(name, recorded["metrics"]))
    return objective
