"""``hydra/launcher=submitit_slurm`` against the fake SLURM of tests/fake_slurm/ (no cluster needed): the fake as
submitit's SLURM executor uses it, and a sweep of train.py through it."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import time

import pytest
from conftest import FAKE_SLURM

SUBMITIT_SLURM = "hydra/launcher=submitit_slurm"


def sacct(*job_ids: str) -> dict[str, dict[str, str]]:
    """The fake's sacct, as submitit calls it, by job id."""
    output = subprocess.run(["sacct", "-o", "JobID,State,ExitCode,Restarts", "--parsable2",
                             *(arg for job_id in job_ids for arg in ("-j", job_id))],
                            capture_output=True, text=True, check=True).stdout
    header, *lines = [line.split("|") for line in output.splitlines()]
    return {line[0]: dict(zip(header, line, strict=True)) for line in lines}


def wait_until_ended(*job_ids: str, timeout: float = 60) -> dict[str, dict[str, str]]:
    deadline = time.monotonic() + timeout
    while True:
        states = sacct(*job_ids)
        if all(row["State"] in ("COMPLETED", "FAILED", "CANCELLED") for row in states.values()):
            return states
        assert time.monotonic() < deadline, states
        time.sleep(0.2)


def test_submitits_slurm_executor_runs_an_array_and_reads_its_states(fake_slurm, tmp_path):
    """submitit's own calls: sbatch of an array, srun in the batch script, its result pickles, sacct's states."""
    import submitit
    from submitit.core.utils import FailedJobError

    executor = submitit.AutoExecutor(folder=tmp_path / "logs" / "%j", cluster="slurm")
    assert executor.cluster == "slurm"
    jobs = executor.map_array(math.sqrt, [4.0, -1.0])
    assert [job.job_id for job in jobs] == ["1000_0", "1000_1"]
    assert jobs[0].result() == 2.0
    with pytest.raises(FailedJobError, match="math domain error"):
        jobs[1].result()
    states = wait_until_ended("1000")
    assert {key: row["State"] for key, row in states.items()} == {"1000_0": "COMPLETED", "1000_1": "FAILED"}


def test_each_task_of_a_job_sees_slurms_variables(fake_slurm, tmp_path):
    """A job of two tasks (tasks_per_node=2): srun starts the command twice, with the ranks submitit reads."""
    import submitit

    executor = submitit.AutoExecutor(folder=tmp_path / "logs" / "%j", cluster="slurm")
    executor.update_parameters(tasks_per_node=2, nodes=1)
    job = executor.submit(subprocess.check_output, ["env"], text=True)  # the task's environment, as it printed it
    environments = [dict(line.split("=", 1) for line in output.splitlines() if "=" in line) for output in job.results()]
    assert [env["SLURM_PROCID"] for env in environments] == ["0", "1"]
    for env in environments:
        assert (env["SLURM_JOB_ID"], env["SLURM_NTASKS"], env["SLURM_JOB_NUM_NODES"]) == (job.job_id, "2", "1")
        assert env["SUBMITIT_EXECUTOR"] == "slurm" and env["SLURM_JOB_NODELIST"] == "localhost"
        assert "SLURM_ARRAY_JOB_ID" not in env  # a single job, not an array


def test_scontrol_requeue_starts_the_job_again_under_its_id(fake_slurm, tmp_path):
    """The batch script asks for its requeue and fails; the fake starts it again, SLURM_RESTART_COUNT one higher."""
    script = tmp_path / "job.sh"
    script.write_text(f"#!/bin/bash\n#SBATCH --output={tmp_path}/%j.out\n"
                      'echo "restart $SLURM_RESTART_COUNT"\n'
                      'if [ "$SLURM_RESTART_COUNT" = 0 ]; then scontrol requeue "$SLURM_JOB_ID"; exit 1; fi\n')
    submitted = subprocess.run(["sbatch", str(script)], capture_output=True, text=True, check=True).stdout
    assert submitted == "Submitted batch job 1000\n"
    assert wait_until_ended("1000")["1000"] == {"JobID": "1000", "State": "COMPLETED", "ExitCode": "0:0",
                                               "Restarts": "1"}
    assert (tmp_path / "1000.out").read_text() == "restart 0\nrestart 1\n"


def test_the_fake_names_what_it_does_not_emulate(fake_slurm):
    result = subprocess.run(["scontrol", "show", "job", "1"], capture_output=True, text=True)
    assert result.returncode == 1 and "only 'scontrol requeue <job id>' is emulated" in result.stderr
    assert (FAKE_SLURM / "bin" / "srun").stat().st_mode & 0o111  # executable, as checked out


@pytest.mark.slow  # ~15 s on 2 cores: two job processes that each import Lightning
def test_a_submitit_slurm_sweep_trains_every_job_and_writes_the_summary(train_subprocess, fake_slurm, tmp_path):
    sweep = tmp_path / "sweep"
    result = train_subprocess("-m", "seed=1,2", SUBMITIT_SLURM, "debug=limit", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = sorted(path for path in sweep.iterdir() if path.name[0].isdigit())
    assert [path.name for path in jobs] == ["0_data.source=bundled,seed=1", "1_data.source=bundled,seed=2"]
    assert [json.loads((job / "status.json").read_text())["status"] for job in jobs] == ["completed", "completed"]
    with open(sweep / "summary.csv", newline="") as summary:
        assert [(row["seed"], row["status"]) for row in csv.DictReader(summary)] == [("1", "completed"),
                                                                                     ("2", "completed")]
    assert sorted(path.name for path in (sweep / ".submitit").iterdir() if path.is_dir()) == [
        "1000", "1000_0", "1000_1"]  # an array job of SLURM: its batch script, then a folder per task
    assert "SLURM auto-requeueing enabled" in (jobs[0] / "train.log").read_text()  # Lightning saw a SLURM job
