"""A second Ctrl-C while a grid sweep's job stops, where the job trains in the command's process (the basic and the
stacked launcher): the command ends at once, as before, and now says how to finish the sweep - it ended on the
warning alone, with no word of the checkpoints kept or the command that goes on (a worker's sweep said it:
:mod:`trainlab.sweep.stop_at_once`)."""

from __future__ import annotations

import signal

import pytest
from conftest import JOB_PYTHONPATH

TWICE_IN_JOB_1 = "+callbacks.twice={_target_:sigterm_at_step.SignalTwiceAtStepOfJob,step:3,job:1}"


@pytest.mark.slow  # ~10 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_second_ctrl_c_in_a_sweep_trained_in_the_commands_process_prints_the_command_that_finishes_it(
        train_subprocess, tmp_path):
    sweep = tmp_path / "sweep"
    run = train_subprocess("-m", "seed=1,2", "debug=limit", f"hydra.sweep.dir={sweep}", TWICE_IN_JOB_1,
                           env={"PYTHONPATH": JOB_PYTHONPATH})
    assert run.returncode == -signal.SIGINT, run.stderr[-3000:]
    assert "received SIGINT again: stopping at once, without a checkpoint" in run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines[-2] == ("what was training keeps the checkpoints it saved before this step (at an earlier epoch's "
                         "end), if any.")
    assert lines[-1].startswith("Finish the sweep with: python train.py -m "), lines[-1]
    assert lines[-1].endswith(f"ckpt_path=last resume_sweep=true hydra.sweep.dir={sweep}"), lines[-1]
    (first,) = sweep.glob("0_*")
    assert (first / "status.json").is_file()  # job 0 finished before the stop
