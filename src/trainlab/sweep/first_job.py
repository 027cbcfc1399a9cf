"""A basic sweep's jobs, composed and checked before Hydra writes the sweep (``hydra.callbacks.preflight``).

Hydra's basic sweeper writes ``multirun.yaml`` into the sweep directory, and its basic or joblib launcher makes each
job's directory and ``.hydra/`` files, before the job's task checks its config. A config that every job is refused
for - a misspelt key (``+trainer.max_epoch=1``), a callback watching a metric the runs do not log, an
``optimized_metric`` the jobs do not report - was found there, by the first job, and left that job's directory and
the sweep directory behind. :func:`check_first_job` composes the first job as the sweeper and its launcher will
(``hydra.sweeper.params`` and the command line, the first value of each swept key) and checks it as that job's task
will (:func:`~trainlab.config_validation.validate_config` - its keys and values, the metrics its callbacks watch -
and :func:`~trainlab.config_validation.check_optimized_metric`, a budget that ends before the first validation
computes ``optimized_metric``: :func:`~trainlab.objective_budget.check_objective_reached`) and its ``ckpt_path`` as far
as the file system tells
(:func:`~trainlab.checkpoint_path.resolve_checkpoint`: no file there, a directory, ``ckpt_path=last`` without the job's
``checkpoints/last.ckpt``): a refusal names the same key in the same words, and nothing is written. A checkpoint that
exists is read and checked against the config by the job (that imports torch). The later jobs are checked the same
way (a refusal of one of them names the job and its overrides): one of them refused at its start had stopped the
sweep after the jobs before it had trained, with no ``summary.csv`` and an error that named neither the job nor the
stop. Where the jobs train in
processes of their own (joblib, submitit), the keys of each group are left to the jobs when every job would answer
them alike (:func:`key_checks_alike`): checking them imports torch and Lightning, seconds that process would spend
for nothing, and a misspelt key is then refused by every job - the command ends with exit status 2 and removes the
sweep directory, which holds only Hydra's files. Jobs that differ there (``-m optimizer=momentum,adam
++optimizer.momentum=0.9``: Adam takes no momentum; ``+init.scale=1.0,abc``: a value of another type than the
argument's annotation) are checked here in full: the jobs a key would not refuse trained
to their end in their workers, the refused one stopped the sweep after them, and their directories stayed.

Each distinct data config of the jobs is checked against the data on this machine where they train on it
(:func:`~trainlab.data.data_refusals.check_data_fits`: splits that do not fit the pool, a damaged idx file, labels other
than MNIST's digits): a basic sweep's first job refused so left ``multirun.yaml`` and its directory, event files
included. Left to the sweep itself: the other checks of this machine (its GPU, and whether the data is there:
:func:`trainlab.preflight.check_multirun_values` checks them where the sweep does not change them), the stacked
launcher (it checks every job before it writes any, its ``ckpt_path`` by :func:`check_checkpoint_path` and
:func:`raise_first_refusal`),
another sweeper (a search checks its trials' config before its study exists), the jobs ``resume_sweep=true`` skips
(completed or diverged before: they do not train) and a sweep whose expansion or composition fails (the basic
sweeper composes every job before it launches the first, and reports the error in its own words - before this check
imported Lightning). A checkpoint that exists is read by :mod:`trainlab.sweep.job_checkpoints`, after the sweep
directory's checks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hydra.core.utils import env_override
from omegaconf import DictConfig, OmegaConf, open_dict

from trainlab.checkpoint_path import resolve_checkpoint, sweep_job_ckpt_path
from trainlab.config_keys import OPTION_KEYS, override_lines
from trainlab.errors import CheckpointError, CheckpointNotFoundError, ConfigError
from trainlab.job_view import job_view
from trainlab.sweep.basic_sweep import BASIC_SWEEPER, basic_sweep_jobs, empty_sweeps
from trainlab.sweep.group_sweeps import glob_note
from trainlab.sweep.job_dirs import check_distinct_job_dirs, job_output_dir


def check_first_job(config: DictConfig, composed: list[tuple[int, Path, DictConfig]] | None,
                    check_keys: bool = True, check_data: bool = True) -> None:
    """Refuse (:class:`~trainlab.errors.ConfigError`) a basic sweep any of whose jobs' tasks would refuse its config,
    before the sweep directory is made (see the module docstring): a refusal of every job in a single run's words,
    one of some jobs naming the first such job. ``config``: the multirun's config, as
    ``on_multirun_start`` gets it (the preflight leaves the stacked launcher, which checks every job of a batch
    before it writes any, out); ``composed``: its jobs, as :func:`composed_sweep_jobs` composed them for it (None:
    not a basic sweep, or one whose composition failed - left to the sweeper). ``check_keys=False`` leaves each
    group's keys to the job (they are checked against the targets' arguments, which imports torch and Lightning:
    3-10 s on 2 cores, for nothing in a process whose jobs train in processes of their own - joblib, submitit) where
    :func:`key_checks_alike` says every job would answer them alike; they are checked here otherwise. Every job's
    directory is checked too (:func:`~trainlab.sweep.job_dirs.check_distinct_job_dirs`: one of its own, inside the
    sweep's), with ``resume_sweep=true`` as well (the jobs it skips are not checked further). ``check_data``: each
    distinct data config of the jobs against the data on this machine
    (:func:`~trainlab.data.data_refusals.check_data_fits`: splits that do not fit the pool, a damaged idx file),
    where the jobs train on it - not on SLURM's nodes."""
    if composed is None:
        return
    jobs, output_dirs = [job for _, _, job in composed], [(number, output_dir) for number, output_dir, _ in composed]
    if not jobs:
        return  # check_sweep_has_jobs refused it
    check_distinct_job_dirs(Path(str(config.hydra.sweep.dir)), output_dirs)
    if config.get("resume_sweep"):  # the jobs it skips, completed or diverged before, do not train: not asked
        from trainlab.sweep.job_checkpoints import jobs_that_train

        training = jobs_that_train(config, composed)
        jobs, output_dirs = [job for _, _, job in training], [(number, path) for number, path, _ in training]
        if not jobs:
            return
    from trainlab.config_validation import check_optimized_metric, validate_config
    from trainlab.data.data_refusals import check_data_fits_once
    from trainlab.objective_budget import check_objective_reached
    from trainlab.val_check_interval import check_interval_fits_an_epoch

    keys = check_keys or not key_checks_alike(jobs)  # else a key every job would refuse is left to the jobs
    data_checked: set[str] = set()  # the data configs checked: the files are read once for all the jobs

    def check(index: int) -> None:
        (_, output_dir), job = output_dirs[index], jobs[index]
        with job_view(job, str(output_dir)) as task, env_override(job.hydra.job.env_set):  # as run_job does
            validate_config(task, machine=False, keys=keys)
            check_optimized_metric(task, jobs="the sweep's jobs report")
            check_checkpoint_path(task.get("ckpt_path"), job, output_dir)
            check_objective_reached(task)  # a budget that ends before the first validation
            if check_data:
                check_data_fits_once(task, data_checked)
                check_interval_fits_an_epoch(task)  # Lightning's refusal as fit starts, after the job's files

    raise_first_refusal(check, [output_dir.name for _, output_dir in output_dirs])


def composed_sweep_jobs(config: DictConfig) -> list[tuple[int, Path, DictConfig]] | None:
    """Every job of a basic sweep as ``(job number, its directory, its composed config)``, in job order, composed as
    the sweeper and its launcher will (``hydra.sweeper.params`` and the command line expanded by Hydra's basic
    sweeper, each job composed by the command's config loader - from templates,
    :mod:`trainlab.sweep.composed_configs` - with its ``hydra.job.num`` and ``hydra.job.id`` set as the basic
    launcher sets them; its directory as the launcher makes it). None for another sweeper, where
    Hydra is not initialised, or where the expansion or composition fails (the sweeper expands and composes the jobs
    again before the first starts, and reports the error in its own words). Composed anew on each call: the
    preflight composes them once and hands them to the checks that read them (:func:`check_first_job`,
    :func:`~trainlab.sweep.resumed_configs.check_resumed_configs`); the sweeper composes its own."""
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    if (OmegaConf.select(config, "hydra.sweeper._target_") != BASIC_SWEEPER
            or not GlobalHydra.instance().is_initialized()):
        return None
    params, command_line = OmegaConf.select(config, "hydra.sweeper.params"), override_lines(config.hydra.overrides.task)
    loader = GlobalHydra.instance().config_loader()
    try:  # every job, as the sweeper composes them all before it launches any: an error there comes first
        composed = []
        for number, overrides in enumerate(basic_sweep_jobs(params, command_line)):
            job = loader.load_sweep_config(config, overrides)
            with open_dict(job):
                job.hydra.job.id, job.hydra.job.num = f"job_id_for_{number}", number  # as the basic launcher does
            composed.append((number, job_output_dir(job), job))
    except (HydraException, OmegaConfBaseException, ValueError):
        return None
    return composed


def raise_first_refusal(check: Callable[[int], None], job_names: list[str]) -> None:
    """Call ``check(index)`` for each job of a sweep (``job_names``: their directories' names) and raise the first
    refusal it raises (:class:`~trainlab.errors.ConfigError`, :class:`~trainlab.errors.CheckpointNotFoundError`,
    :class:`~trainlab.errors.CheckpointError`):
    in a single run's words when it is the first job's and every job is refused, else naming the job - ``... (in
    job 1_seed=1 of the sweep; no job was run)``. Used by :func:`check_first_job` and by the stacked launcher,
    before any job of the sweep is started."""

    def refusal(index: int) -> ConfigError | CheckpointNotFoundError | CheckpointError | None:
        try:
            check(index)
        except (ConfigError, CheckpointNotFoundError, CheckpointError) as error:
            return error
        return None

    for index, name in enumerate(job_names):
        error = refusal(index)
        if error is None:
            continue
        if index > 0 or any(refusal(other) is None for other in range(1, len(job_names))):
            raise ConfigError(f"{error} (in job {name} of the sweep; no job was run)") from error
        raise error


def check_checkpoint_path(ckpt_path: Any, job: DictConfig, output_dir: Path) -> None:
    """Refuse (:class:`~trainlab.errors.CheckpointNotFoundError`, in the job's own words:
    :func:`~trainlab.checkpoint_path.resolve_checkpoint`) a job's ``ckpt_path`` that names no checkpoint file -
    ``ckpt_path=last`` without ``<output_dir>/checkpoints/last.ckpt``, a path to nothing or to a directory - where
    this process sees the file the job would (:func:`checkpoint_path_here`). ``job``: the job's composed config (with
    ``hydra``). Only the file system is asked (no torch): a file that exists is read and checked by the job. A job of
    ``resume_sweep=true ckpt_path=last`` that left no ``last.ckpt`` is not refused: it trains from its start
    (:func:`~trainlab.checkpoint_path.sweep_job_ckpt_path`, as its task decides)."""
    ckpt_path = sweep_job_ckpt_path(ckpt_path, output_dir, bool(job.get("resume_sweep")))
    if checkpoint_path_here(ckpt_path, job):
        resolve_checkpoint(ckpt_path, output_dir)


def checkpoint_path_here(ckpt_path: Any, job: DictConfig) -> bool:
    """Whether ``ckpt_path`` names the same file from this process as from the job's: ``last`` (the job's own
    directory) and an absolute path do, a relative path only where the job does not change into its directory
    (``hydra.job.chdir=true``) - there it is the job's to resolve."""
    if ckpt_path is None:
        return False
    return (ckpt_path == "last" or os.path.isabs(str(ckpt_path))
            or not OmegaConf.select(job, "hydra.job.chdir", default=False))


#: the packages whose targets' values have rules of their own, checked on the command line
#: (:func:`trainlab.preflight.check_multirun_values`): an integer there stands for a float as well
CHECKED_TARGETS = ("trainlab.", "torch.")


def key_structure(value: Any) -> Any:
    """A config value's key names and ``_target_`` values, at every depth, and for the arguments of a node with a
    ``_target_`` the kind of their values (:func:`value_kind`) - what the check of the targets' annotated argument
    types (:func:`~trainlab.config_validation.check_argument_types`) answers by -, without the values themselves (a
    plain container, as ``OmegaConf.to_container`` gives it)."""
    if isinstance(value, dict):
        target = value.get("_target_")
        exact = target is not None and not str(target).startswith(CHECKED_TARGETS)
        return tuple(sorted((str(key), item if key == "_target_" else
                             key_structure(item) if isinstance(item, dict | list) or target is None else
                             value_kind(item, exact_numbers=exact))
                            for key, item in value.items()))
    if isinstance(value, list):
        return tuple(key_structure(item) for item in value)
    return None


def value_kind(value: Any, exact_numbers: bool) -> str:
    """The type of an argument's value as the type check sees it: ``'abc'`` for ``scale: float`` is refused, ``2``
    and ``0.5`` are not. ``exact_numbers``: an integer and a float are told apart (``channels: int`` of one's own
    network refuses ``16.5``); else both are a number (trainlab's and torch's targets, whose numeric keys have rules
    of their own: a sweep of ``optimizer.lr=0.1,1`` is still alike)."""
    if isinstance(value, bool) or value is None or not isinstance(value, int | float):
        return type(value).__name__
    return type(value).__name__ if exact_numbers else "number"


def key_check_inputs(job: DictConfig) -> tuple[Any, ...]:
    """What the checks that ``validate_config(keys=False)`` leaves out read of a composed job: each keyed group's key
    names and ``_target_``s (its keys against the target's arguments; the optimizer's class and first step, probed),
    the kinds of the targets' argument values (their annotated types) and whether ``model.weight_decay`` is
    positive (the probe asks whether the optimizer applies it). Values are read unresolved: a swept value is a
    literal."""
    groups = []
    for group in OPTION_KEYS:  # the groups whose keys validate_config checks against their targets' arguments
        node = job.get(group)
        groups.append(key_structure(OmegaConf.to_container(node, resolve=False) if isinstance(node, DictConfig)
                                    else node))
    decay = OmegaConf.select(job, "model.weight_decay", default=0, throw_on_resolution_failure=False)
    decays = isinstance(decay, int | float) and not isinstance(decay, bool) and decay > 0
    return (*groups, decays)


def key_checks_alike(jobs: list[DictConfig]) -> bool:
    """Whether every job would get the same answer from the key checks (:func:`key_check_inputs` the same): then a
    key refused is refused in every job, before any trains, and leaving it to the jobs leaves nothing behind. A
    sweep over values (``seed``, ``optimizer.lr``, ``model.net.dropout``) is alike; one over a group's option, a
    ``_target_`` or a key's presence, over ``model.weight_decay`` across 0, or over values of other types
    (``+init.scale=1.0,2.0,abc`` for an initializer of one's own annotated ``scale: float``: its third job was refused
    after the first two had trained), is not. An optimizer of one's own whose step fails for some of its swept
    argument values only is left to its job."""
    return len({key_check_inputs(job) for job in jobs}) <= 1


def check_sweep_has_jobs(config: DictConfig) -> None:
    """Refuse a basic sweep whose overrides expand to no job (``-m seed=range(0,0)``, ``init=glob(zz*)``), whatever
    its launcher: Hydra made the sweep directory, wrote an empty summary and exited 0."""
    if OmegaConf.select(config, "hydra.sweeper._target_") != BASIC_SWEEPER:
        return
    from hydra.errors import HydraException

    params, command_line = OmegaConf.select(config, "hydra.sweeper.params"), override_lines(config.hydra.overrides.task)
    try:
        empty = empty_sweeps(params, command_line)
    except (HydraException, ValueError):
        return  # the sweeper parses them again and reports the error in its own words
    if empty:
        notes = "".join(f" ({note})" for note in map(glob_note, empty) if note is not None)
        raise ConfigError(f"{' and '.join(o.input_line for o in empty)}: {'sweeps' if len(empty) == 1 else 'sweep'} "
                          f"over no value, so the sweep has no job{notes}; nothing was written. allowed: a range or "
                          "list of at least one value (e.g. seed=range(0,3)), or a glob() that matches an option of "
                          "its config group")
