"""A joblib sweep that joblib stopped - a worker process killed (SIGKILL, as the out-of-memory killer does), or a job
past ``hydra.launcher.timeout`` - ends in one ``error:`` line, the tables of what ran and the command that finishes
the sweep (trainlab/sweep/joblib_stop.py), not in joblib's traceback."""

import csv
import os
import shlex
import subprocess
import sys

import pytest
from conftest import JOB_PYTHONPATH, ROOT
from omegaconf import OmegaConf

from trainlab.run_status import read_status
from trainlab.sweep.joblib_stop import WORKER_DIED, joblib_stop_message

KILL_JOB_1 = {"TRAINLAB_TEST_SIGNALS": "1:SIGKILL", "PYTHONPATH": JOB_PYTHONPATH}
SIGNAL_CALLBACK = "+callbacks.s={_target_:signal_in_job.SignalInJob}"


def summary_statuses(sweep_dir) -> dict[str, str]:
    with (sweep_dir / "summary.csv").open() as handle:
        return {row["seed"]: row["status"] for row in csv.DictReader(handle)}


def test_loky_s_dead_worker_error_is_told_by_its_class_and_names_the_exit_codes():
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    error = TerminatedWorkerError("A worker process managed by the executor was unexpectedly terminated. ...\n\n"
                                  "The exit codes of the workers are {SIGKILL(-9)}\nDetailed tracebacks ...")
    assert joblib_stop_message(error) == WORKER_DIED.format(codes="exit code SIGKILL(-9)")
    assert joblib_stop_message(TerminatedWorkerError("no codes")) == WORKER_DIED.format(codes="no exit code given")
    assert joblib_stop_message(RuntimeError("The exit codes of the workers are {SIGKILL(-9)}")) is None


@pytest.mark.slow  # ~40 s on 2 cores: two joblib sweeps (make test-slow; the default run stays ~4 min)
def test_a_sweep_whose_joblib_worker_is_killed_says_so_keeps_what_ran_and_finishes_with_the_printed_command(
        train_subprocess, tmp_path):
    """A SIGKILLed worker ended the command in loky's TerminatedWorkerError traceback (exit 1), the other worker's job
    killed unsaved, the queued job never started, no summary.csv and no word of how to finish the sweep."""
    sweep = tmp_path / "sweep"
    killed = train_subprocess("-m", "seed=1,2,3", "debug=limit", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                              "hydra.sweep.subdir=seed${seed}", f"hydra.sweep.dir={sweep}", SIGNAL_CALLBACK,
                              env=KILL_JOB_1)
    assert killed.returncode == 1, killed.stderr[-3000:]
    assert "Traceback" not in killed.stderr, killed.stderr[-3000:]
    lines = killed.stderr.strip().splitlines()
    error = lines.index(f"error: {WORKER_DIED.format(codes='exit code SIGKILL(-9)')}")
    assert lines[-1].startswith("Finish the sweep with: python train.py -m "), lines[-1]
    assert not (sweep / "seed2" / "status.json").exists()  # job 1, killed at its first step
    statuses = summary_statuses(sweep)  # what recorded its end: job 0, if it completed before the pool broke
    assert "2" not in statuses and set(statuses.values()) <= {"completed"}, statuses
    unrecorded = sorted({"seed1", "seed2", "seed3"} - {f"seed{seed}" for seed in statuses} & {
        path.name for path in sweep.iterdir()})
    assert lines[error + 1:-1] == [
        f"{len(unrecorded)} job{'s' if len(unrecorded) > 1 else ''} stopped without recording an end (no status.json), "
        f"so summary.csv has no row for {'them' if len(unrecorded) > 1 else 'it'}: {', '.join(unrecorded)}"], lines

    words = shlex.split(lines[-1].removeprefix("Finish the sweep with: "))
    assert {"seed=1,2,3", "hydra/launcher=joblib", "resume_sweep=true", "ckpt_path=last",
            f"hydra.sweep.dir={sweep}"} <= set(words), words
    finished = subprocess.run([sys.executable, *words[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONPATH": JOB_PYTHONPATH})
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert summary_statuses(sweep) == {"1": "completed", "2": "completed", "3": "completed"}
    assert [read_status(sweep / f"seed{seed}")["status"] for seed in (1, 2, 3)] == ["completed"] * 3


@pytest.mark.slow  # ~15 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_joblib_timeout_is_one_line_keeps_what_ran_and_says_how_to_finish(train_subprocess, tmp_path):
    """joblib's hydra.launcher.timeout ended the command with a multiprocessing TimeoutError traceback (exit 1)."""
    sweep = tmp_path / "sweep"
    result = train_subprocess("-m", "seed=1,2", "hydra/launcher=joblib", "hydra.launcher.timeout=3",
                              "trainer.max_epochs=1000", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-3] == (
        "error: a job ran longer than hydra.launcher.timeout, and joblib stopped the sweep: the jobs still training "
        "stopped where they were, unsaved; allowed: a larger hydra.launcher.timeout, or null (no limit)")
    assert lines[-2].startswith("2 jobs stopped without recording an end (no status.json), so summary.csv has no "
                                "row for them: 0_"), lines[-2]
    assert lines[-1].startswith("Finish the sweep with: python train.py -m "), lines[-1]
    assert "seed=1,2 trainer.max_epochs=1000 hydra/launcher=joblib hydra.launcher.timeout=3" in lines[-1], lines[-1]
    assert (sweep / "multirun.yaml").is_file()  # kept
    assert summary_statuses(sweep) == {}  # summary.csv: its header, no job recorded an end


@pytest.mark.slow  # ~25 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_search_whose_joblib_worker_is_killed_records_its_trials_and_says_how_to_continue(train_subprocess, tmp_path):
    """A search's batch in joblib workers, one killed: the same traceback as a grid sweep's, the trials told
    interrupted but no optimization_results.yaml / summary.csv and no word of how to continue the search."""
    sweep = tmp_path / "sweep"
    killed = train_subprocess("hparams_search=random", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                              "hydra.sweeper.n_trials=3", "trainer.max_epochs=2", f"hydra.sweep.dir={sweep}",
                              SIGNAL_CALLBACK, env=KILL_JOB_1)
    assert killed.returncode == 1, killed.stderr[-3000:]
    assert "Traceback" not in killed.stderr, killed.stderr[-3000:]
    lines = killed.stderr.strip().splitlines()
    assert lines[-3] == f"error: {WORKER_DIED.format(codes='exit code SIGKILL(-9)')}"
    assert lines[-2].startswith("the search stopped with "), lines[-2]
    assert lines[-1].startswith("Continue the search with: python train.py -m "), lines[-1]
    assert "resume_sweep=true" in lines[-1] and "ckpt_path" not in lines[-1]
    results = OmegaConf.load(sweep / "optimization_results.yaml")
    assert results.trials.interrupted >= 1 and results.trials.running == 0, OmegaConf.to_yaml(results.trials)
    assert (sweep / "summary.csv").is_file()
    # the killed trial trained (it was killed at its first step): it has the records a killed job gets, a row in
    # summary.csv, and is not counted among the trials that "never trained" (it was)
    killed_job = next(path for path in sweep.iterdir() if path.name.startswith("1_"))
    status = read_status(killed_job)
    assert status["status"] == "interrupted", status
    assert status["error"].startswith("trial 1: joblib stopped the batch while this job trained: a joblib worker "
                                      "process died while its job trained (exit code SIGKILL(-9))"), status
    with (sweep / "summary.csv").open() as handle:
        interrupted_rows = [row["job"] for row in csv.DictReader(handle) if row["status"] == "interrupted"]
    assert killed_job.name in interrupted_rows
    never = results.trials.interrupted - len(interrupted_rows)  # queued trials the stop kept from starting
    if never:
        assert f"; {never} of them never trained, so summary.csv has no row for " in lines[-2], lines[-2]
    else:
        assert "never trained" not in lines[-2], lines[-2]
