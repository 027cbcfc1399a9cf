"""A signal to a DDP job (``trainer=ddp``) while its rank processes still start: the job ends as a lone run's
start-up does - one line, the signal's exit status, no ``status.json`` - however the signal came, and a rank that
dies of a signal is not said to have left a traceback.

The runs are real ``train.py`` commands of 2 CPU ranks; the signal comes ~1 s after the job says it starts them,
while they import for seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, TRAIN_PY, train_command

SHORT = ["trainer.max_steps=12", "trainer.max_epochs=-1", "data.train_size=768", "data.val_size=200",
         "callbacks.progress_bar=null"]


def stop_line(run_dir: Path) -> str:
    """The job's last line: what its process wrote in the run directory named, as a lone run's start-up names it."""
    return ("SIGINT while the DDP processes started: stopped before training; nothing was trained; "
            f"written in {run_dir}: .hydra/, train.log")


def sigint_as_from_a_terminal(ignored: bool = False) -> None:
    """In a child before it runs: SIGINT unblocked and at its default action (``ignored``: ignored), whatever this
    test process holds (an earlier in-process multirun may leave it blocked, which a child inherits)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
    signal.signal(signal.SIGINT, signal.SIG_IGN if ignored else signal.SIG_DFL)


def interrupt_while_ranks_start(run_dir: Path, tmp_path: Path, data_dir: Path, signals: int,
                                sigint_ignored: bool = False) -> tuple[int, str]:
    """Start a DDP job and send its process a SIGINT once it starts its ranks - ``signals=2``: another as soon as it
    says it passed the first on (as a Ctrl-C on ``timeout ... python train.py`` reaches it twice, ~1 ms apart, yet
    not as one); its exit status and output. ``sigint_ignored``: the job is started with SIGINT ignored, as ``cmd &``
    in a shell script starts it."""
    args = ["trainer=ddp", *SHORT, f"hydra.run.dir={run_dir}"]
    job = subprocess.Popen([sys.executable, str(TRAIN_PY), *train_command(args, tmp_path, data_dir)], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                           env={**os.environ, "PYTHONUNBUFFERED": "1"},
                           preexec_fn=lambda: sigint_as_from_a_terminal(ignored=sigint_ignored))
    lines = []
    try:
        sent = 0
        for line in job.stdout:
            lines.append(line)
            if "training with 2 DDP processes" in line:
                time.sleep(1.0)  # the job's process passes signals on by now; its ranks import for seconds more
            if sent < signals and ("training with 2 DDP processes" in line or "passing it to the" in line):
                job.send_signal(signal.SIGINT)
                sent += 1
        return job.wait(timeout=120), "".join(lines)
    finally:
        if job.poll() is None:
            job.kill()


@pytest.mark.slow  # ~10 s: a DDP job interrupted while its ranks import
def test_a_ctrl_c_passed_on_twice_while_the_ranks_start_stops_the_job_in_one_line(tmp_path, data_dir):
    """Ctrl-C on ``timeout 300 python train.py trainer=ddp`` reaches the job twice (from the terminal's process
    group, and from ``timeout``, which passes it on): the job passes both on to its ranks, which die of the first as
    they start. That is a stop before training (exit status 130, no status.json), not a failed job with a
    ``RankFailed`` traceback."""
    run_dir = tmp_path / "run"
    status, output = interrupt_while_ranks_start(run_dir, tmp_path, data_dir, signals=2)
    assert status == 128 + signal.SIGINT, output[-3000:]
    assert output.count("received SIGINT: passing it to the 2 DDP processes") == 2, output[-3000:]
    assert output.splitlines()[-1] == stop_line(run_dir), output[-3000:]
    assert "Traceback" not in output and "RankFailed" not in output, output[-5000:]
    assert sorted(path.name for path in run_dir.iterdir()) == [".hydra", "train.log"]  # no status.json


@pytest.mark.slow  # ~10 s: a DDP job interrupted while its ranks import
def test_a_sigint_passed_on_stops_ranks_started_by_a_job_that_ignored_sigint(tmp_path, data_dir):
    """``python train.py trainer=ddp ... &`` in a script starts the job with SIGINT ignored; the job's process
    handles SIGINT once it starts its ranks and says it passes it on to them - so they must not inherit the ignored
    SIGINT (they trained to the end, exit status 0)."""
    run_dir = tmp_path / "run"
    status, output = interrupt_while_ranks_start(run_dir, tmp_path, data_dir, signals=1, sigint_ignored=True)
    assert status == 128 + signal.SIGINT, output[-3000:]
    assert "received SIGINT: passing it to the 2 DDP processes" in output
    assert output.splitlines()[-1] == stop_line(run_dir), output[-3000:]
    assert "completed; final metrics" not in output
    assert sorted(path.name for path in run_dir.iterdir()) == [".hydra", "train.log"]  # no status.json


def test_a_rank_killed_by_a_signal_is_not_said_to_have_left_a_traceback(make_cfg, monkeypatch):
    """A rank that died of a signal before recording its outcome wrote no traceback: the job's error says so,
    where a rank that failed and recorded it points to its traceback in the log."""
    import trainlab.distributed.rank_processes as rank_processes
    from trainlab.job_context import JobContext

    cfg = make_cfg("trainer=ddp")
    ended = {"alive_at": 10.0, "ended_at": 10.1}
    for code, outcome, said in [
        (-signal.SIGSEGV, rank_processes.unrecorded_outcome(-signal.SIGSEGV, stopped=False),
         "DDP rank 0 of 2: killed by SIGSEGV before recording an outcome"),
        (1, {"kind": "failed", "error": "RuntimeError: boom", "failed_at": 10.0},
         "DDP rank 0 of 2: RuntimeError: boom (its traceback is in the log above)"),
    ]:
        outcomes = [{**outcome, "rank": 0, "exit_status": code, **ended},
                    {"kind": "completed", "rank": 1, "exit_status": 0, **ended}]
        monkeypatch.setattr(rank_processes, "run_rank_processes", lambda *args, outcomes=outcomes: outcomes)
        with pytest.raises(rank_processes.RankFailed) as failed:
            rank_processes.train_in_rank_processes(cfg, JobContext(), 2, time.monotonic())
        assert str(failed.value) == said


SECOND_CTRL_C = """
import os, signal, sys, time
from trainlab.distributed.rank_processes import ForwardedSignals

with ForwardedSignals([]):  # the job's ranks: ended on the first Ctrl-C, passed on
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.2)
print("the ranks ended; the job prints its stop line", flush=True)
os.kill(os.getpid(), signal.SIGINT)  # the second Ctrl-C, while the job ends
time.sleep(2)
print("not reached", flush=True)
"""


def test_a_second_ctrl_c_while_the_job_ends_after_its_ranks_stops_it_at_once_without_a_traceback():
    """A second Ctrl-C a moment after the first, once the ranks have ended and while the job's process ends (its
    stop line, its exit handlers): it stops at once, as a second Ctrl-C stops a run - before, Python's
    KeyboardInterrupt came with a traceback from wherever the process was (torch's exit handlers), exit status 1."""
    result = subprocess.run([sys.executable, "-c", SECOND_CTRL_C], capture_output=True, text=True, timeout=60,
                            preexec_fn=sigint_as_from_a_terminal)
    assert result.returncode == -signal.SIGINT, result.stderr[-3000:]
    assert result.stdout == "the ranks ended; the job prints its stop line\n"
    assert "received SIGINT again: stopping at once" in result.stderr
    assert "Traceback" not in result.stderr and "KeyboardInterrupt" not in result.stderr


def test_a_signal_that_comes_while_the_job_passes_one_on_is_passed_on_after_it(monkeypatch):
    """Python runs a signal handler within another: the second of a Ctrl-C that reaches the job twice ~1 ms apart
    came while the first one's line was written, and its own line - written within it, to the same stream - was a
    ``--- Logging error ---`` traceback (a reentrant write). It is passed on, and said, once the first is done."""
    import trainlab.distributed.rank_processes as rank_processes

    forwarded = rank_processes.ForwardedSignals([])
    said = []

    def warning(message: str, *args) -> None:
        said.append(f"start {args[0]}")
        if len(said) == 1:
            forwarded._forward(signal.SIGINT, None)  # the second one lands while the first is being said
        said.append(f"end {args[0]}")

    monkeypatch.setattr(rank_processes.log, "warning", warning)
    forwarded._forward(signal.SIGINT, None)
    assert said == ["start SIGINT", "end SIGINT", "start SIGINT", "end SIGINT"]
    assert forwarded.count == 2 and forwarded.received == signal.SIGINT


def test_a_rank_starts_with_the_stop_signals_unblocked_and_at_their_default_action():
    """A multirun's job process may hold SIGINT and SIGTERM blocked (trainlab.sweep.blocked_stop_signals), or
    ignored; a process inherits both: a rank started so kept every signal its job passed on pending, or ignored."""
    from trainlab.distributed.rank_processes import prepare_rank

    def blocked_and_ignored_then_prepared() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT, signal.SIGTERM])
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        prepare_rank()

    seen = subprocess.run([sys.executable, "-c", "import signal; blocked = signal.pthread_sigmask(signal.SIG_BLOCK, "
                           "[]); print(signal.SIGINT in blocked, signal.SIGTERM in blocked, signal.getsignal("
                           "signal.SIGINT) is signal.default_int_handler, "
                           "signal.getsignal(signal.SIGTERM) == signal.SIG_DFL)"],
                          preexec_fn=blocked_and_ignored_then_prepared, capture_output=True, text=True, timeout=60)
    assert seen.stdout.split() == ["False", "False", "True", "True"], seen.stderr
