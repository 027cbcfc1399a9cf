"""A second Ctrl-C while a DDP job (``trainer=ddp``) stops on the first: the job ends at once, as a lone run does -
the signal's exit status, no checkpoint saved for the stop, no ``status.json`` -, not as a failed job.

The job's process passes each signal on to its ranks; a rank in training that gets a second one dies of it at once
(:func:`trainlab.callbacks.graceful_shutdown.stop_at_once`). The job recorded that as a failure: ``status.json``
``failed`` with "DDP rank 0 of 2: killed by SIGINT before recording an outcome", a ``RankFailed`` traceback and exit
status 1, where the same two Ctrl-C on a lone run end it with status 130 and nothing recorded.
"""

from __future__ import annotations

import json
import signal
import time

import pytest
from conftest import JOB_PYTHONPATH, restored_logging

import trainlab.distributed.rank_processes as rank_processes
import trainlab.train
from trainlab.distributed import rank_process
from trainlab.job_context import JobContext

ENDED = {"alive_at": 10.0, "ended_at": 10.1}
AT_ONCE = {"kind": "killed", "error": "killed by SIGINT before recording an outcome", "at_once": signal.SIGINT}
SAVED = {"kind": "interrupted", "signum": signal.SIGINT, "checkpoint": "last.ckpt", "step": 7}
LOST = {"kind": "failed", "error": "RuntimeError: Connection reset by peer", "failed_at": 10.0}
STOPPED = {"kind": "stopped", "error": "killed by the job 5 s after another rank failed"}
CRASHED = {"kind": "killed", "error": "killed by SIGSEGV before recording an outcome"}


def test_a_rank_killed_by_the_signal_passed_on_again_is_a_stop_at_once_when_the_others_stopped_too():
    at_once = rank_processes.stopped_at_once
    assert at_once([AT_ONCE, AT_ONCE]) == signal.SIGINT
    assert at_once([AT_ONCE, SAVED]) == signal.SIGINT  # rank 1 had saved and recorded its stop before the second
    assert at_once([AT_ONCE, LOST]) == signal.SIGINT  # rank 1 lost its peer
    assert at_once([AT_ONCE, STOPPED]) == signal.SIGINT  # the job killed rank 1 after rank 0 died
    assert at_once([AT_ONCE, CRASHED]) is None  # a crash of another rank is a failure still
    assert at_once([CRASHED, LOST]) is None
    assert at_once([SAVED, SAVED]) is None  # one signal: the ranks saved; the job is interrupted, not stopped at once


def test_the_job_ends_as_the_signal_and_writes_no_status(make_cfg, monkeypatch, tmp_path):
    cfg = make_cfg("trainer=ddp")
    outcomes = [{**AT_ONCE, "rank": 0, "exit_status": -signal.SIGINT, **ENDED},
                {**SAVED, "rank": 1, "exit_status": 0, **ENDED}]
    monkeypatch.setattr(rank_processes, "run_rank_processes", lambda *args: outcomes)

    class Ended(Exception):
        pass

    def end_as_signal(signum):
        raise Ended(signum)

    monkeypatch.setattr(rank_processes, "end_as_signal", end_as_signal)
    with pytest.raises(Ended) as ended:
        rank_processes.train_in_rank_processes(cfg, JobContext(), 2, time.monotonic())
    assert ended.value.args == (signal.SIGINT,)
    assert not (tmp_path / "run" / "status.json").exists()


@pytest.mark.slow  # ~15 s: a real DDP job of 2 CPU ranks, interrupted twice while it trains
def test_a_second_ctrl_c_while_a_ddp_job_stops_ends_it_at_once_as_a_lone_run(train_subprocess, tmp_path):
    """Rank 0 sends the job's process the two Ctrl-C from inside a step (``SigintTwiceToParentAtStep``): the
    second reaches the ranks while they stop after that step, as a second Ctrl-C typed while the job stops does."""
    run_dir = tmp_path / "run"
    result = train_subprocess("trainer=ddp", "trainer.max_steps=50", "trainer.max_epochs=-1",
                              "data.train_size=768", "data.val_size=200", f"hydra.run.dir={run_dir}",
                              "+callbacks.twice={_target_:sigterm_at_step.SigintTwiceToParentAtStep,step:3}",
                              env={"PYTHONPATH": JOB_PYTHONPATH})
    output = result.stdout + result.stderr
    assert result.returncode == -signal.SIGINT, output[-3000:]  # died of it: exit status 130 in a shell
    assert output.count("received SIGINT: passing it to the 2 DDP processes") == 2, output[-3000:]
    assert "received SIGINT again: stopping at once, without a checkpoint" in output, output[-3000:]
    assert "Traceback" not in output and "RankFailed" not in output, output[-5000:]
    assert not (run_dir / "status.json").exists()  # as a lone run's second Ctrl-C: nothing recorded
    assert not (run_dir / "checkpoints" / "last.ckpt").exists()  # step 3: before the first epoch's end


@pytest.mark.parametrize(("error", "traceback_logged"), [
    (RuntimeError("[pair.cc:545] Read error [127.0.0.1]:913: Connection reset by peer. This is typically caused by a "
                  "remote worker hanging"), False),
    (RuntimeError("boom"), True),
])
def test_a_rank_that_lost_its_peer_says_so_in_a_line_where_another_failure_logs_its_traceback(
        tmp_path, monkeypatch, error, traceback_logged):
    """A rank whose peer stopped at once (or died) failed in gloo with "Connection reset by peer": the job ends on
    the peer's end and names it, so the rank's traceback through Lightning's loops was noise after a Ctrl-C."""
    def train(*args, **kwargs):
        raise error

    monkeypatch.setattr(trainlab.train, "train", train)
    log_file = tmp_path / "train.log"
    payload = tmp_path / "job.json"
    payload.write_text(json.dumps({"config": {}, "context": {}, "log_file": str(log_file), "data_source": None}))
    with restored_logging():
        outcome, status = rank_process.run(payload, 0)
    assert (outcome["kind"], status) == ("failed", 1)
    assert outcome["error"] == f"RuntimeError: {error}"
    logged = log_file.read_text()
    assert ("Traceback" in logged) is traceback_logged, logged
    if not traceback_logged:
        assert logged.rstrip().endswith(f"DDP rank 0 lost its peer (RuntimeError: {error}): another rank ended first")
