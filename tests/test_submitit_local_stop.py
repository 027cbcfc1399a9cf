"""A Ctrl-C in a submitit_local sweep: submitit's controller processes are kept from it, the command reports the jobs
it stopped (trainlab/sweep/submitit_local_stop.py; the whole command: tests/test_reliability.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from conftest import ROOT

from trainlab.sweep.submitit_local_stop import stopped_jobs

BLOCK_AND_START = """
import os, signal, subprocess, sys, threading, time
from trainlab.sweep.blocked_stop_signals import keep_stop_signals_from_processes

received = []
signal.signal(signal.SIGINT, lambda signum, frame: received.append(threading.current_thread().name))
keep_stop_signals_from_processes()
child = subprocess.run([sys.executable, "-c", "import signal; print(sorted(signal.pthread_sigmask(signal.SIG_BLOCK, "
                        "[]) & {signal.SIGINT, signal.SIGTERM}))"], capture_output=True, text=True)
os.kill(os.getpid(), signal.SIGINT)  # process-directed, as a Ctrl-C is
for _ in range(100):
    if received:
        break
    time.sleep(0.01)
print(child.stdout.strip(), received)
"""


def test_processes_started_after_the_block_inherit_it_and_the_command_still_gets_the_signal():
    """A controller submitit starts inherits SIGINT and SIGTERM blocked (a Ctrl-C stays pending there); the command's
    handler runs in its main thread all the same, the signal received by a thread of its own."""
    result = subprocess.run([sys.executable, "-c", BLOCK_AND_START], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[<Signals.SIGINT: 2>, <Signals.SIGTERM: 15>] ['MainThread']"


def write_status(job, status: str, error: str | None = None) -> None:
    job.mkdir(parents=True)
    (job / "status.json").write_text(json.dumps({"status": status, "overrides": [], "metrics": {}, "objective": None,
                                                 "wall_time_s": 1.0, **({"error": error} if error else {})}))


def test_the_stopped_jobs_say_what_they_saved_as_a_job_in_the_commands_process_says_it(tmp_path):
    since = time.time() - 60
    stopped, other = tmp_path / "0_seed=1", tmp_path / "3_seed=4"
    write_status(stopped, "interrupted", f"SIGINT at step 40; saved {stopped / 'checkpoints' / 'last.ckpt'}")
    write_status(tmp_path / "1_seed=2", "completed")
    write_status(other, "interrupted", "SIGTERM during the test")  # not the usual line: said as recorded
    earlier = tmp_path / "2_seed=3"  # an earlier command's interrupted job, not run by this one
    write_status(earlier, "interrupted", "SIGINT at step 7; saved x.ckpt")
    os.utime(earlier / "status.json", (since - 10, since - 10))
    never = tmp_path / "4_seed=5"  # not run: no status
    never.mkdir()
    jobs = [stopped, tmp_path / "1_seed=2", earlier, other, never]
    assert stopped_jobs(jobs, since) == [
        f"SIGINT: stopped at step 40, saved {stopped / 'checkpoints' / 'last.ckpt'}",
        "3_seed=4: interrupted (SIGTERM during the test)"]
