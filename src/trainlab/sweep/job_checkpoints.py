"""Every checkpoint a sweep's jobs resume from, read and checked before Hydra writes anything in the sweep.

A job of ``ckpt_path=last`` (with ``resume_sweep=true`` or without) resumes from its ``checkpoints/last.ckpt``. The
checks made before a sweep starts asked only whether the file is there
(:func:`~trainlab.sweep.first_job.check_checkpoint_path`); whether it is a checkpoint that fits the job, with
something left to train, was the job's task's to find. A truncated ``last.ckpt`` of job 1 was refused by job 1
(``error: ckpt_path=last (.../1_.../checkpoints/last.ckpt) is not a checkpoint ...``, exit status 2) after Hydra had
rewritten ``multirun.yaml``, each job's ``.hydra/`` and ``train.log`` up to it (a completed job skipped on the way),
and the refusal had rewritten the sweep's HPARAMS experiment: a refused command changed the sweep it refused to
finish. :func:`check_job_checkpoints` asks of each job that is to resume what a single run's preflight asks of its
checkpoint (:func:`~trainlab.checkpoint_check.check_resume`), before the sweeper writes anything - the basic,
joblib and submitit launchers from the preflight, on the jobs it composed once; the stacked launcher for its batch
(:meth:`StackedLauncher._check_checkpoint_paths`) before any job writes its files. A refusal names the job
(:func:`~trainlab.sweep.first_job.raise_first_refusal`). A job ``resume_sweep=true`` skips (completed or diverged)
is not asked: it does not train, and its checkpoint stays as it was.

Reading a checkpoint imports torch and Lightning (seconds, once): only a command with a ``ckpt_path`` pays it.
"""

from __future__ import annotations

from pathlib import Path

from hydra.core.utils import env_override
from omegaconf import DictConfig

from trainlab.checkpoint_path import resolve_checkpoint, sweep_job_ckpt_path
from trainlab.config_keys import override_lines
from trainlab.errors import RunDirInUseError
from trainlab.job_view import job_view
from trainlab.run_dir import job_to_skip


def check_job_checkpoint(task: DictConfig, job: DictConfig, output_dir: Path, check_source: bool = True) -> None:
    """Refuse (:class:`~trainlab.errors.CheckpointError`, :class:`~trainlab.errors.CheckpointNotFoundError`) the
    checkpoint the job in ``output_dir`` would resume from (``task``: its task config as its task gets it; ``job``:
    its composed config, with ``hydra``) in its task's words, where this process sees the file the job would
    (:func:`~trainlab.sweep.first_job.checkpoint_path_here`). ``check_source``: the images ``data.source=auto``
    chooses, where the job trains on this machine and decides them itself (not a DDP job's ranks)."""
    from trainlab.sweep.first_job import checkpoint_path_here

    given = task.get("ckpt_path")
    ckpt_path = sweep_job_ckpt_path(given, output_dir, bool(task.get("resume_sweep")))
    if not checkpoint_path_here(ckpt_path, job):
        return
    from trainlab.checkpoint_check import check_resume  # imports Lightning
    from trainlab.distributed.process_world import shares_data_with_other_ranks

    path = resolve_checkpoint(ckpt_path, output_dir)
    check_resume(path, task, output_dir, name=f"ckpt_path={given}", overrides=override_lines(job.hydra.overrides.task),
                 check_source=check_source and not shares_data_with_other_ranks(task.trainer))


def jobs_that_train(config: DictConfig, composed: list[tuple[int, Path, DictConfig]]
                    ) -> list[tuple[int, Path, DictConfig]]:
    """The jobs of ``composed`` that are to train: under ``resume_sweep=true`` not those it skips, completed or
    diverged before (:func:`~trainlab.run_dir.job_to_skip`). A finished job with other overrides - another sweep's,
    which its job refuses - is left out too: the check of the sweep's ``multirun.yaml``
    (:func:`~trainlab.sweep.job_dirs.check_resumed_sweep`) names it in a sweep's words."""
    if not config.get("resume_sweep"):
        return composed
    exclude_keys = list(config.hydra.job.config.override_dirname.exclude_keys)

    def trains(output_dir: Path, job: DictConfig) -> bool:
        try:  # no optimized_metric: the objective is not wanted here, nor the job's warning about it
            return job_to_skip(output_dir, override_lines(job.hydra.overrides.task), exclude_keys, None, None) is None
        except RunDirInUseError:
            return False

    return [(number, output_dir, job) for number, output_dir, job in composed if trains(output_dir, job)]


def check_job_checkpoints(config: DictConfig, composed: list[tuple[int, Path, DictConfig]] | None,
                          check_source: bool = True) -> None:
    """Refuse a basic sweep (``config``: the multirun's, as ``on_multirun_start`` gets it; ``composed``: its jobs, as
    :func:`~trainlab.sweep.first_job.composed_sweep_jobs` composed them, None for another sweeper) one of whose jobs
    that train would resume from a checkpoint its task refuses (see the module docstring). ``check_source``: the
    jobs train on this machine (not SLURM's nodes)."""
    if not composed or all(job.get("ckpt_path") is None for _, _, job in composed):
        return
    from trainlab.sweep.first_job import raise_first_refusal

    jobs = jobs_that_train(config, composed)

    def check(index: int) -> None:
        _, output_dir, job = jobs[index]
        with job_view(job, str(output_dir)) as task, env_override(job.hydra.job.env_set):  # as run_job does
            check_job_checkpoint(task, job, output_dir, check_source)

    raise_first_refusal(check, [output_dir.name for _, output_dir, _ in jobs])
