"""A multirun whose ``ckpt_path`` names no checkpoint file is refused by the command before any job starts, with
every launcher (trainlab/checkpoint_path.py, trainlab/sweep/first_job.py): one ``error:`` line, exit status 2,
nothing left.

Before: the command left it to the jobs. With joblib or submitit_local each job started in a process of its own,
spent seconds importing torch and Lightning, refused, and only then did the command print the line (7-11 s for a
two-job sweep on 2 cores, against about half a second now); the basic launcher started its first job in-process.
"""

from __future__ import annotations

import os

import pytest
from conftest import ROOT

# the jobs import trainlab from this checkout, whatever the environment's editable install points at
JOB_PYTHONPATH = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
LAUNCHERS = {"joblib": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
             "submitit_local": ["hydra/launcher=submitit_local"]}


def refused_before_any_job(result, line: str, sweep_dir) -> None:
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr == f"error: {line}\n", result.stderr[-3000:]
    assert "#0 :" not in result.stdout, result.stdout[-3000:]  # Hydra's launch line: no job was started
    assert not sweep_dir.exists()  # no job directory, status.json or .submitit/


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_a_ckpt_path_naming_no_file_is_refused_before_any_job_starts(train_subprocess, tmp_path, launcher):
    sweep_dir = tmp_path / "sweep"
    result = train_subprocess("-m", "seed=1,2", *LAUNCHERS[launcher], "debug=limit", f"hydra.sweep.dir={sweep_dir}",
                              f"ckpt_path={tmp_path / 'nope.ckpt'}", env={"PYTHONPATH": JOB_PYTHONPATH})
    refused_before_any_job(result, f"ckpt_path={tmp_path / 'nope.ckpt'}: no checkpoint file at "
                                   f"{tmp_path / 'nope.ckpt'}", sweep_dir)


def test_a_ckpt_path_naming_a_directory_is_refused_before_any_job_starts(train_subprocess, tmp_path):
    sweep_dir, directory = tmp_path / "sweep", tmp_path / "runs"
    directory.mkdir()
    result = train_subprocess("-m", "seed=1,2", *LAUNCHERS["joblib"], "debug=limit", f"hydra.sweep.dir={sweep_dir}",
                              f"ckpt_path={directory}", env={"PYTHONPATH": JOB_PYTHONPATH})
    refused_before_any_job(result, f"ckpt_path={directory}: no checkpoint file at {directory}: it is a directory",
                           sweep_dir)


def test_ckpt_path_last_without_the_jobs_last_checkpoint_is_refused_before_any_job_starts(train_subprocess,
                                                                                           tmp_path):
    sweep_dir = tmp_path / "sweep"
    result = train_subprocess("-m", "seed=1,2", *LAUNCHERS["joblib"], "debug=limit", f"hydra.sweep.dir={sweep_dir}",
                              "hydra.sweep.subdir=job${hydra.job.num}", "ckpt_path=last",
                              env={"PYTHONPATH": JOB_PYTHONPATH})
    refused_before_any_job(result, f"ckpt_path=last: no checkpoint file at {sweep_dir}/job0/checkpoints/last.ckpt "
                                   "(ckpt_path=last resumes the run in hydra.run.dir / hydra.sweep.dir)", sweep_dir)
