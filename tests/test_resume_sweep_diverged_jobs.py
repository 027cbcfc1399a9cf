"""``resume_sweep=true`` skips a job recorded ``diverged``, as it skips a completed one, whatever the launcher
(trainlab/run_dir.py ``job_to_skip``): with the same config and seed a diverged job diverges again.

Before: the resume trained every diverged job again - it diverged again at the same step -, moved its first
records (``status.json``, event files, ``last.ckpt``) to ``<job>/attempts/0/`` and, with ``ckpt_path=last``, went on
from the diverged job's ``last.ckpt``. A resumed sweep's ``summary.csv``, the objective each job returns to the
sweeper and the command's exit status stay those of the sweep that ran: a sweep in which every job diverged still
exits 3.

The sweep is ``-m optimizer=sgd optimizer.lr=0.01,1000 debug=limit``: job 0 completes (10 steps), job 1's loss is NaN
at step 3.
"""

from __future__ import annotations

import csv
import json
from hashlib import sha256

import pytest
from conftest import JOB_PYTHONPATH
from test_resume_sweep_checkpoints import LAUNCHERS

from trainlab.errors import RunDirInUseError
from trainlab.run_status import read_status, write_status

SWEEP = ["-m", "optimizer=sgd", "debug=limit", "hydra.sweep.subdir=job${hydra.job.num}"]
RECORD = "+hydra.callbacks.record={{_target_:job_return_recorder.RecordJobReturns,path:{}}}"
SKIPPED = ("resume_sweep=true: {} diverged before; skipping it (with the same config and seed it diverges "
           "again)")
ALL_DIVERGED = "diverged: every job of the sweep diverged (2); {} lists them"
HYDRA_WRITES = (".hydra", "train.log")  # rewritten / appended to by Hydra's run_job before the task skips the job


def job_files(job_dir, but: tuple[str, ...] = ()) -> dict[str, tuple[int, str]]:
    """Every file under ``job_dir`` - its path there, its mtime and a digest of its bytes -, but those under the
    names ``but``."""
    return {path.relative_to(job_dir).as_posix(): (path.stat().st_mtime_ns, sha256(path.read_bytes()).hexdigest())
            for path in sorted(job_dir.rglob("*"))
            if path.is_file() and path.relative_to(job_dir).parts[0] not in but}


def summary_rows(sweep_dir) -> list[dict[str, str]]:
    with (sweep_dir / "summary.csv").open() as handle:
        return list(csv.DictReader(handle))


def returned(path) -> dict[int, object]:
    """What each job returned to the sweeper (tests/job_return_recorder.py), by job number."""
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return {record["job_num"]: record["return_value"] for record in records}


def resume(train_in_process, train_subprocess, launcher: str, *args: str):
    if launcher in ("joblib", "submitit_local"):  # jobs in processes of their own
        return train_subprocess(*args, env={"PYTHONPATH": JOB_PYTHONPATH})
    return train_in_process(*args)


ALL_LAUNCHERS = ("basic", "stacked", "joblib", "submitit_local")  # a case ~7 s in process, ~25-50 s in processes


@pytest.mark.parametrize(("launcher", "ckpt_path"), [
    pytest.param(launcher, ckpt_path, id=f"{launcher}{'-ckpt_path_last' if ckpt_path else ''}",
                 marks=() if (launcher, ckpt_path) == ("basic", []) else pytest.mark.slow)  # the fast suite: one
    for launcher in ALL_LAUNCHERS for ckpt_path in ([], ["ckpt_path=last"])])
def test_resume_sweep_skips_a_diverged_job_and_keeps_its_records_and_what_it_returned(
        train_in_process, train_subprocess, tmp_path, launcher, ckpt_path):
    sweep_dir, returns = tmp_path / "sweep", tmp_path / "returns.jsonl"
    first_launcher = LAUNCHERS[launcher] if launcher == "stacked" else []  # joblib, submitit: the resume is theirs
    args = [*SWEEP, "optimizer.lr=0.01,1000", f"hydra.sweep.dir={sweep_dir}"]
    first = train_in_process(*args, *first_launcher, RECORD.format(tmp_path / "first.jsonl"))
    assert first.returncode == 0, first.stderr[-3000:]
    done, diverged = sweep_dir / "job0", sweep_dir / "job1"
    assert [read_status(job)["status"] for job in (done, diverged)] == ["completed", "diverged"]
    assert (diverged / "checkpoints" / "last.ckpt").is_file()
    first_returns, rows = returned(tmp_path / "first.jsonl"), summary_rows(sweep_dir)
    assert first_returns == {0: read_status(done)["metrics"]["val/acc"], 1: 0.0}  # 0.0: objective_on_failure
    kept = "" if launcher == "stacked" else HYDRA_WRITES  # the stacked launcher leaves a skipped job's files alone
    before = {job.name: job_files(job, but=kept) for job in (done, diverged)}

    resumed = resume(train_in_process, train_subprocess, launcher, *args, *LAUNCHERS[launcher], *ckpt_path,
                     "resume_sweep=true", RECORD.format(returns))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "error:" not in resumed.stderr
    assert not (diverged / "attempts").exists()
    assert {job.name: job_files(job, but=kept) for job in (done, diverged)} == before
    said = resumed.stdout + resumed.stderr if launcher == "stacked" else (diverged / "train.log").read_text()
    assert SKIPPED.format(diverged.name) in said
    assert "Restored all states from the checkpoint" not in said + (done / "train.log").read_text()
    assert returned(returns) == first_returns
    assert summary_rows(sweep_dir) == rows


@pytest.mark.parametrize("launcher", ["basic", pytest.param("stacked", marks=pytest.mark.slow)])  # ~5 s each
def test_a_resumed_sweep_whose_jobs_all_diverged_trains_nothing_and_still_exits_3(train_in_process, tmp_path,
                                                                                 launcher):
    sweep_dir = tmp_path / "sweep"
    args = [*SWEEP, "optimizer.lr=1e12,1e13", *LAUNCHERS[launcher], f"hydra.sweep.dir={sweep_dir}"]
    first = train_in_process(*args)
    assert first.returncode == 3, first.stderr[-3000:]
    assert first.stderr.strip().splitlines()[-1] == ALL_DIVERGED.format(sweep_dir / "summary.csv")
    jobs = [sweep_dir / "job0", sweep_dir / "job1"]
    kept = "" if launcher == "stacked" else HYDRA_WRITES
    before, rows = {job.name: job_files(job, but=kept) for job in jobs}, summary_rows(sweep_dir)

    resumed = train_in_process(*args, "resume_sweep=true")
    assert resumed.returncode == 3, resumed.stderr[-3000:]
    assert resumed.stderr.strip().splitlines()[-1] == ALL_DIVERGED.format(sweep_dir / "summary.csv")
    assert not [job for job in jobs if (job / "attempts").exists()]
    assert {job.name: job_files(job, but=kept) for job in jobs} == before
    assert summary_rows(sweep_dir) == rows
    if launcher == "stacked":
        assert "Launching 2 jobs as 0 runs: 0 stacked, 0 alone; 2 diverged before, skipped (resume_sweep=true)" in (
            resumed.stdout + resumed.stderr)


def test_a_diverged_job_returns_this_sweeps_objective_on_failure_and_one_of_another_sweep_is_refused(tmp_path):
    """What a diverged job returns when it runs (trainlab.train.objective_value): ``objective_on_failure``, none
    without an ``optimized_metric`` - this command's, as a completed job returns this command's metric."""
    from trainlab.run_dir import SkippedJob, job_to_skip

    write_status(tmp_path, "diverged", ["optimizer.lr=1000"], {"train/loss": float("nan"), "val/acc": 0.1}, 0.0, 1.0)
    assert job_to_skip(tmp_path, ["optimizer.lr=1000"], [], "val/acc", 0.0) == SkippedJob("diverged", 0.0)
    assert job_to_skip(tmp_path, ["optimizer.lr=1000"], [], "val/acc", -1.0) == SkippedJob("diverged", -1.0)
    assert job_to_skip(tmp_path, ["optimizer.lr=1000"], [], None, 0.0) == SkippedJob("diverged", None)
    with pytest.raises(RunDirInUseError) as refused:
        job_to_skip(tmp_path, ["optimizer.lr=0.1"], [], "val/acc", 0.0)
    assert str(refused.value).startswith(f"{tmp_path} holds a diverged job with other overrides (optimizer.lr=1000) "
                                         "than this one (optimizer.lr=0.1)")
    for unfinished in ("failed", "interrupted"):
        write_status(tmp_path, unfinished, ["optimizer.lr=1000"], {}, None, 1.0)
        assert job_to_skip(tmp_path, ["optimizer.lr=1000"], [], "val/acc", 0.0) is None


@pytest.mark.slow  # ~6 s on 2 cores
def test_a_diverged_job_recorded_before_batch_norm_eps_existed_keeps_the_eps_of_the_sweep_it_finishes(
        train_in_process, tmp_path):
    """A diverged job is kept by the resume as a completed one is: its ε (1e-5, recorded before the key existed)
    is the sweep's, and the unfinished job would train with today's 1e-6 beside it - the refusal of
    tests/test_sweeps.py, which names the override that finishes the sweep. A completed job alone raised it; here
    the general comparison refused the resume instead, naming job 0 and asking for the config files as they were."""
    sweep_dir = tmp_path / "sweep"
    args = [*SWEEP, "model.net.batch_norm=custom", "optimizer.lr=0.01,1e12", f"hydra.sweep.dir={sweep_dir}"]
    assert train_in_process(*args).returncode == 0
    unfinished, diverged = sweep_dir / "job0", sweep_dir / "job1"
    assert read_status(diverged)["status"] == "diverged"
    (unfinished / "status.json").unlink()  # as if the sweep had been killed while job 0 trained
    for config in sweep_dir.glob("*/.hydra/config.yaml"):  # as the previous version recorded them
        config.write_text(config.read_text().replace("    batch_norm_eps: 1.0e-06\n", ""))
    refused = train_in_process(*args, "resume_sweep=true")
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert refused.stderr.strip().splitlines()[-1].startswith(
        f"error: resume_sweep=true finishes the sweep in hydra.sweep.dir={sweep_dir}: its job job1 trained its "
        "BatchNorm with ε 1e-05 (recorded before model.net.batch_norm_eps existed), this command's jobs would use "
        "1e-06; nothing was changed.")
