"""``resume_sweep=true`` of a grid sweep: every job that ran there ran with the settings this command composes for it.

A resume finishes a sweep: the finished jobs - completed or diverged - are skipped, the others run. The command
line's overrides are compared with the sweep's (:func:`~trainlab.sweep.job_dirs.check_resumed_sweep`), but a config
file edited since the sweep ran (``lr: 0.01`` -> ``0.1`` in ``conf/optimizer/sgd.yaml``), or an override of a key the
job names leave out (``callbacks=early_stopping``), composed other jobs under the same overrides: the unfinished jobs
trained with the new settings beside the finished ones, ``summary.csv`` ranked them as one sweep, and Hydra rewrote each
skipped job's ``.hydra/config.yaml`` with the new config while its ``hparams.yaml`` and its results were the old
one's - exit status 0, no word.

:func:`check_resumed_configs` compares each job of the command that ran in the sweep before - its directory holds a
run's files, except one that failed without a checkpoint (nothing of it is kept or resumed), and one whose
``status.json`` records other overrides (another sweep's job, refused in those words by the job) - by its recorded
``.hydra/config.yaml`` with the config the command composes for it, as a search compares its study's settings
(:mod:`trainlab.run_settings`: not ``hydra``, ``paths.*``, ``logger``, ``resume_sweep``, ``ckpt_path``, the other
keys job names leave out nor the speed and display switches such as ``trainer.enable_progress_bar`` or
``optimizer.foreach``; nor ``optimized_metric`` and ``objective_on_failure``, what the sweep returns, which a resume
may change: :data:`RETURNED_KEYS`). With ``ckpt_path=last`` too: the budget (``trainer.max_epochs``,
``trainer.max_steps``), which a single run's resume may raise, is a setting of the sweep - the finished jobs,
skipped, keep the budget they ran to, and a larger one makes another sweep. A difference is refused before Hydra's
sweeper writes anything: one line naming the job, the keys and both values, exit status 2.

The jobs are those the preflight composed once for the first-job check
(:func:`~trainlab.sweep.first_job.composed_sweep_jobs`, from templates; the stacked launcher's, which that check leaves
out, are composed for this one: ~0.5 s for 100 jobs on 2 cores),
and each recorded file is read with libyaml where it is there (:func:`~trainlab.recorded_yaml.read_recorded_mapping`):
the comparison adds ~2 ms a job.
"""

from __future__ import annotations

import os
from pathlib import Path

from omegaconf import DictConfig

from trainlab.config_keys import override_lines
from trainlab.errors import RunDirInUseError
from trainlab.recorded_yaml import read_recorded_mapping
from trainlab.run_dir import artifacts, failed_without_checkpoint, naming_overrides
from trainlab.run_settings import config_settings, differing_settings, left_out_keys, listed_differences
from trainlab.run_status import read_status

#: what the sweep returns to its sweeper, not what a job trains: a resume may change it (a skipped completed job
#: returns its recorded value of this command's optimized_metric, a skipped diverged job this command's
#: objective_on_failure: trainlab.run_dir.job_to_skip) - a search's trials report it to the sampler, where it is a
#: setting of the study
RETURNED_KEYS = ("optimized_metric", "objective_on_failure")
SHOWN_DIFFERENCES = 3


def ran_before(job_dir: Path, overrides: list[str], exclude_keys: list[str]) -> bool:
    """Whether the job in ``job_dir`` ran as this job (``overrides``: its override lines) - its directory holds a
    run's files - and left something that is kept or resumed: not a job that failed without a checkpoint (its
    attempt is set aside and it trains anew). A job whose ``status.json`` records other overrides is another sweep's
    (``hydra.sweep.subdir=${hydra.job.num}``), refused in those words by the job (or the sweep's ``multirun.yaml``:
    :func:`~trainlab.sweep.job_dirs.check_resumed_sweep`)."""
    if not artifacts(job_dir) or failed_without_checkpoint(job_dir):  # the caller found its .hydra/config.yaml
        return False
    status = read_status(job_dir)
    return status is None or (naming_overrides(status.get("overrides", []), exclude_keys)
                              == naming_overrides(overrides, exclude_keys))


def check_resumed_configs(config: DictConfig, jobs: list[tuple[int, Path, DictConfig]] | None) -> None:
    """Refuse (:class:`~trainlab.errors.RunDirInUseError`) a ``resume_sweep=true`` of a basic sweep one of whose jobs
    ran with other settings than the command composes for it (see the module docstring). ``config``: the
    multirun's config, as ``on_multirun_start`` gets it; ``jobs``: its jobs, as
    :func:`~trainlab.sweep.first_job.composed_sweep_jobs` composed them for it (None: not a basic sweep)."""
    if not jobs:
        return
    exclude_keys = list(config.hydra.job.config.override_dirname.exclude_keys)
    left_out = left_out_keys(RETURNED_KEYS, exclude_keys)
    sweep_dir = Path(os.path.abspath(str(config.hydra.sweep.dir)))  # as job_output_dir makes the jobs'
    for _, job_dir, job in jobs:
        recorded_file = job_dir / ".hydra" / "config.yaml"
        if not recorded_file.is_file() or not ran_before(job_dir, override_lines(job.hydra.overrides.task),
                                                         exclude_keys):
            continue
        differing = differing_settings(config_settings(read_recorded_mapping(recorded_file), left_out),
                                       config_settings(job, left_out))
        if not differing:
            continue
        name = job_dir.relative_to(sweep_dir).as_posix() if sweep_dir in job_dir.parents else str(job_dir)
        changes = listed_differences(differing, SHOWN_DIFFERENCES, "{before} -> {now}")
        raise RunDirInUseError(
            f"resume_sweep=true finishes the sweep in hydra.sweep.dir={sweep_dir}: its job {name} ran with other "
            f"settings than this command composes for it (recorded in its .hydra/config.yaml -> now: {changes}"
            f") - a config file or override changed since; the jobs still to run would train otherwise than "
            "those that ran, in one summary.csv; nothing was changed. allowed: the config the sweep ran with (its "
            "config files as they were), or a new hydra.sweep.dir for this configuration")
