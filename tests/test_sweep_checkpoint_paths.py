"""A multirun whose ``ckpt_path`` names no checkpoint file is refused by the command before any job starts, with
every launcher and in a search (trainlab/checkpoint_path.py, trainlab/sweep/first_job.py; the stacked launcher and
the Optuna search ask the same functions): one ``error:`` line, exit status 2, nothing left.

Before: the command left it to the jobs. With joblib or submitit_local each job started in a process of its own,
spent seconds importing torch and Lightning, refused, and only then did the command print the line (7-11 s for a
two-job sweep on 2 cores, against about half a second now); the basic launcher started its first job in-process.
The stacked launcher started its jobs one by one (a job with a ``ckpt_path`` runs alone): ``ckpt_path=last`` for a
sweep whose first job had a checkpoint and second none resumed and trained the first before the second's task
refused it. A search made its study (``optuna.journal``) and its first trial's directory before that trial refused.
"""

from __future__ import annotations

import os

import pytest
from conftest import ROOT

# the jobs import trainlab from this checkout, whatever the environment's editable install points at
JOB_PYTHONPATH = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
LAUNCHERS = {"joblib": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
             "submitit_local": ["hydra/launcher=submitit_local"],
             "stacked": ["hydra/launcher=stacked"]}


def refused_before_any_job(result, line: str, sweep_dir) -> None:
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr == f"error: {line}\n", result.stderr[-3000:]
    assert "#0 :" not in result.stdout, result.stdout[-3000:]  # Hydra's launch line: no job was started
    assert not sweep_dir.exists()  # no job directory, status.json or .submitit/


@pytest.mark.slow  # over 4 s on 2 cores: the default run stays near 4 min
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


@pytest.mark.slow  # over 4 s on 2 cores: the default run stays near 4 min
@pytest.mark.parametrize("launcher", ["joblib", "stacked"])
def test_ckpt_path_last_without_the_jobs_last_checkpoint_is_refused_before_any_job_starts(train_subprocess,
                                                                                           tmp_path, launcher):
    sweep_dir = tmp_path / "sweep"
    result = train_subprocess("-m", "seed=1,2", *LAUNCHERS[launcher], "debug=limit", f"hydra.sweep.dir={sweep_dir}",
                              "hydra.sweep.subdir=job${hydra.job.num}", "ckpt_path=last",
                              env={"PYTHONPATH": JOB_PYTHONPATH})
    refused_before_any_job(result, f"ckpt_path=last: no checkpoint file at {sweep_dir}/job0/checkpoints/last.ckpt "
                                   "(ckpt_path=last resumes the run in hydra.run.dir / hydra.sweep.dir)", sweep_dir)


@pytest.mark.slow  # over 4 s on 2 cores: the default run stays near 4 min
def test_a_stacked_sweep_is_refused_before_its_job_with_a_checkpoint_resumes_when_another_has_none(train_subprocess,
                                                                                                  tmp_path):
    """``ckpt_path=last`` where job 0 has its ``last.ckpt`` and job 1 none: the stacked launcher resumed job 0 and
    trained it on to ``trainer.max_epochs=2`` before job 1's task refused; now no job starts, and job 1 is named
    as the basic launcher names it."""
    sweep_dir = tmp_path / "sweep"
    args = ["hydra/launcher=stacked", "debug=limit", "hydra.sweep.subdir=job${hydra.job.num}",
            f"hydra.sweep.dir={sweep_dir}"]
    trained = train_subprocess("-m", "seed=1", *args, "trainer.max_epochs=1", env={"PYTHONPATH": JOB_PYTHONPATH})
    assert trained.returncode == 0, trained.stderr[-3000:]
    job0 = {path: path.read_bytes() for path in (sweep_dir / "job0").rglob("*") if path.is_file()}
    assert sweep_dir / "job0" / "checkpoints" / "last.ckpt" in job0
    recorded = (sweep_dir / "multirun.yaml").read_bytes()

    result = train_subprocess("-m", "seed=1,2", *args, "trainer.max_epochs=2", "ckpt_path=last",
                              env={"PYTHONPATH": JOB_PYTHONPATH})
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr == (f"error: ckpt_path=last: no checkpoint file at {sweep_dir}/job1/checkpoints/last.ckpt "
                             "(ckpt_path=last resumes the run in hydra.run.dir / hydra.sweep.dir; the newest run here "
                             f"with one: hydra.run.dir={sweep_dir}/job0) (in job job1 of the sweep; no job was "
                             "run)\n"), result.stderr[-3000:]
    assert "#0 :" not in result.stdout, result.stdout[-3000:]
    assert {path: path.read_bytes() for path in (sweep_dir / "job0").rglob("*") if path.is_file()} == job0
    assert not (sweep_dir / "job1").exists()
    # Hydra's sweeper had rewritten multirun.yaml with the refused command's overrides: put back, so that the sweep
    # that trained here still resumes as itself
    assert (sweep_dir / "multirun.yaml").read_bytes() == recorded
    resumed = train_subprocess("-m", "seed=1", *args, "trainer.max_epochs=1", "resume_sweep=true",
                               env={"PYTHONPATH": JOB_PYTHONPATH})
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "1 completed before, skipped (resume_sweep=true)" in resumed.stdout + resumed.stderr


@pytest.mark.slow  # over 4 s on 2 cores: the default run stays near 4 min
def test_a_search_whose_ckpt_path_names_no_file_is_refused_before_its_study_exists(train_subprocess, tmp_path):
    """Its trials train on the stacked launcher (hparams_search=random); any launcher is refused the same way, by the
    search's own check of its trials' config. (``ckpt_path=last`` is left to the trials: each trains in a directory
    made for it, which holds no checkpoint.)"""
    sweep_dir = tmp_path / "sweep"
    result = train_subprocess("hparams_search=random", "hydra.sweeper.n_trials=2", "debug=limit",
                              f"hydra.sweep.dir={sweep_dir}", f"ckpt_path={tmp_path / 'nope.ckpt'}",
                              env={"PYTHONPATH": JOB_PYTHONPATH})
    refused_before_any_job(result, f"ckpt_path={tmp_path / 'nope.ckpt'}: no checkpoint file at "
                                   f"{tmp_path / 'nope.ckpt'}", sweep_dir)  # no optuna.journal, no trial directory


def test_ckpt_path_last_in_a_search_is_refused_before_its_study_exists(train_in_process, tmp_path):
    """Each trial refused it (no checkpoint in the directory made for it) once the study, ``multirun.yaml`` and two
    'interrupted' trials were written; a search's trials never resume."""
    sweep_dir = tmp_path / "sweep"
    result = train_in_process("hparams_search=random", "hydra.sweeper.n_trials=2", "debug=limit",
                              f"hydra.sweep.dir={sweep_dir}", "ckpt_path=last")
    # the presets keep no checkpoint in their trials (callbacks.last_checkpoint: null): no trial to train on alone
    refused_before_any_job(result, "ckpt_path=last: a search's trials never resume - each trains in a new directory, "
                           "which holds no checkpoint; allowed: resume_sweep=true hydra.sweep.dir=<the search's "
                           "directory> to finish a stopped search, or ckpt_path=<a checkpoint file> to start every "
                           "trial from it (this search's trials keep no checkpoint to train one on alone: "
                           "callbacks.last_checkpoint is null)", sweep_dir)  # no optuna.journal, multirun.yaml or trial
    # directory; a search whose trials keep last.ckpt may train one on alone
    result = train_in_process("hparams_search=random", "hydra.sweeper.n_trials=2", "debug=limit",
                              f"hydra.sweep.dir={sweep_dir}", "ckpt_path=last",
                              "callbacks.last_checkpoint={_target_:lightning.pytorch.callbacks.ModelCheckpoint}")
    refused_before_any_job(result, "ckpt_path=last: a search's trials never resume - each trains in a new directory, "
                           "which holds no checkpoint; allowed: resume_sweep=true hydra.sweep.dir=<the search's "
                           "directory> to finish a stopped search, ckpt_path=<a checkpoint file> to start every trial "
                           "from it, or python train.py ckpt_path=last hydra.run.dir=<a trial's directory> to train "
                           "one trial on alone", sweep_dir)
