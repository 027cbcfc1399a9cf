"""Checks that must run before Hydra writes anything: a Hydra callback (``hydra.callbacks.preflight``).

Hydra creates the run directory (``hydra.run.dir``, or ``hydra.sweep.dir`` for a multirun) and writes ``.hydra/``
and ``train.log`` into it before the training task starts. What would make that fail, or write into a directory
that must stay untouched, is therefore checked here, on the composed config:

* ``on_run_start`` / ``on_multirun_start``: the switches read before anything else (``resume_sweep`` must be
  true or false), the run or sweep directory, ``paths.log_dir`` and the data directories
  (:mod:`trainlab.output_locations`) - a file in the way, no permission, a read-only or full disk;
* ``on_run_start``: a sweep's keys typed for a single run (``resume_sweep=true``, ``hydra.sweep.dir``: ``-m``
  forgotten, :func:`check_no_sweep_keys_in_single_run`), the config
  (:func:`~trainlab.config_validation.validate_config`), the data it names (its download, then what the data module
  would refuse as it loads: :func:`~trainlab.data.data_refusals.check_data_fits`), a run directory that is a
  sweep's (:func:`~trainlab.sweep.job_dirs.check_run_dir_not_a_sweep`) or holds another run
  (:func:`~trainlab.run_dir.check_run_dir_free`) and, with ``ckpt_path``, the checkpoint
  (:func:`~trainlab.checkpoint_check.check_checkpoint`, and :func:`~trainlab.checkpoint_check.check_data_source`
  with the source ``data.source=auto`` chooses, a download tried where the run would try it), so that a refused run
  leaves the directory it names as it was - Hydra would otherwise rewrite its ``.hydra/`` files with the refused
  config, and a config error would leave a new directory behind. A run directory whose run failed without a
  checkpoint is taken over once these checks pass: that run's files, its ``.hydra/`` and log included, are moved to
  ``attempts/<n>/`` first;
* ``on_multirun_start``: the values the command line gives to keys with a rule, each swept value of the basic
  sweeper included, the GPU and the data when the sweep does not change them (:func:`check_multirun_values`) -
  the basic and joblib launchers check a job's config only once Hydra has made the job's directory -, a basic
  sweep's first job, composed and checked as its task will check it
  (:func:`~trainlab.sweep.first_job.check_first_job`: a misspelt key, a callback watching a metric the runs do not
  log, an ``optimized_metric`` they do not report, a budget that ends before it is first computed or, where the jobs
  train on this machine, data the data module would refuse), a sweep
  directory whose job directories hold runs, unless ``resume_sweep=true``, or that holds files the sweep would
  replace (``summary.csv``, ``multirun.yaml``, ...) and is not that sweep's own being finished
  (:func:`~trainlab.sweep.job_dirs.check_sweep_dir_free`), and a ``resume_sweep=true`` with other overrides than
  the sweep it would finish (:func:`~trainlab.sweep.job_dirs.check_resumed_sweep`) or, with the basic sweeper, a job
  that ran there with other settings than the command composes for it - a config file edited since
  (:func:`~trainlab.sweep.resumed_configs.check_resumed_configs`), and each checkpoint a job that trains would resume
  from, read and checked as its task checks it (:func:`~trainlab.sweep.job_checkpoints.check_job_checkpoints`). Under
  torchrun or SLURM, where
  every rank is a ``train.py`` process, rank 0 checks the directories and the other ranks write no ``.hydra/``.

A command refused later leaves no directory it made for nothing (:func:`remove_refused_output_dir`, on exit status
2): a multirun refused at a job's config - found by the stacked launcher before it writes any job, by a search before
its first trial, or by the first job of a basic sweep in its task (a Trainer value only Lightning checks) - and a
single run refused once its data is known (``trainer.devices=3`` and a batch the processes cannot share), where the
new directory holds only Hydra's files (``multirun.yaml``, ``.hydra/``, logs) - and, for a sweep of submitit's
launchers (local or SLURM), whose jobs hand their refusal to the command (:mod:`trainlab.sweep.submitit_refusal`,
installed at the end of ``on_multirun_start``), submitit's ``.submitit/``. A sweep refused so in a directory that
existed (a ``ckpt_path=last`` or ``resume_sweep=true`` sweep of the stacked launcher or a search) gets back the
``multirun.yaml`` Hydra's sweeper had rewritten, where its launcher trains in this process and no job had started.
A directory that existed before the command (a ``hydra.run.dir`` or ``hydra.sweep.dir`` of the user's) is recorded
once the checks pass and the command holds its lock (:class:`EarlierDir`; a search's sweep directory, which its
workers share with other commands, is not locked, and nothing is taken back there), and a refusal found once Hydra
wrote there - a network of one's own that returns the wrong shape, found as a job's task builds it, whatever the
launcher - takes back what the command wrote, where that is Hydra's files alone (:func:`take_back_hydra_files`): the
files and job directories it added go, the records it rewrote are put back and the job's log (``train.log``, a
sweep's in each job directory) is cut back to its earlier length. Any other file changed there - a ``console.log``
of the user's that the command's output is appended to - keeps everything as it is. A failed run that a refused
retry moved to ``attempts/<n>/`` (:func:`set_failed_attempt_aside`, which says so) stays there.

The training task repeats these checks for its own callers (tests, launchers that run jobs in-process); in a
multirun each job's config and ``ckpt_path`` are checked there, once Hydra has made the job's directory (the
stacked launcher checks its jobs' configs before it writes any).

Once every check has passed, the process that writes there takes the directory's lock - a single run's, or a basic
sweep's - and there removes the temporary files of writes a killed process never finished (:func:`take_output_dir`,
:mod:`trainlab.stale_temporaries`): a sweep from the sweep directory and its job directories, before any job starts;
a single run from its directory before a failed run's files are moved to ``attempts/<n>/``, which keeps none there.

Both note the run or sweep directory for :mod:`trainlab.startup_interrupt`: a Ctrl-C before training names what the
command wrote there. A multirun whose launcher trains the jobs in processes of their own (joblib, submitit) ends the
start-up there: this process only waits for them, and they answer a Ctrl-C themselves.

Hydra reports an exception raised in a callback as a warning and goes on, so a
:class:`~trainlab.errors.UserError` found here is printed the way ``train.py`` prints the task's -
``error: <message>``, exit status 2 - from here (``HYDRA_FULL_ERROR=1`` adds the traceback).
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.utils import env_override
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from trainlab.atomic_files import write_atomically
from trainlab.checkpoint_path import resolve_checkpoint
from trainlab.config_keys import is_under, override_key, override_lines
from trainlab.config_switches import check_switches
from trainlab.dir_lock import check_not_locked_by_another, holds_lock_over, lock_output_dir, release_output_dirs
from trainlab.distributed.job_checks import check_launched_processes, check_search_in_one_process
from trainlab.distributed.rank_0_sweep_record import keep_sweep_record
from trainlab.distributed.rank_log_lines import leave_log_lines_to_rank_0
from trainlab.errors import ConfigError, OutputLocationError, UserError, exit_for_user_error, exit_with_error_line
from trainlab.heap_reuse import heap_reuse_wanted
from trainlab.hydra_plugin_keys import check_plugin_keys
from trainlab.job_view import job_view
from trainlab.output_locations import check_checkpoint_locations, check_run_locations
from trainlab.run_dir import check_run_dir_free, failed_without_checkpoint, killed_before_recording, set_attempt_aside
from trainlab.shadowed_options import shadowed_options_note
from trainlab.stale_temporaries import remove_stale_temporaries, run_write_dirs
from trainlab.startup_interrupt import end_startup, hand_over_after_startup, note_output_dir
from trainlab.sweep.basic_sweep import BASIC_SWEEPER, last_job_number
from trainlab.sweep.between_jobs import StopBetweenJobs
from trainlab.sweep.first_job import check_first_job, check_sweep_has_jobs, composed_sweep_jobs
from trainlab.sweep.group_sweeps import check_group_sweeps
from trainlab.sweep.job_checkpoints import check_job_checkpoints
from trainlab.sweep.job_dirs import (
    MULTIRUN_YAML,
    check_resume_names_its_sweep,
    check_resumed_nets,
    check_resumed_sweep,
    check_run_dir_not_a_sweep,
    check_sweep_dir_free,
    sweep_job_dirs,
)
from trainlab.sweep.joblib_stop import keep_sweep_config
from trainlab.sweep.single_run_of_a_sweep import check_no_sweep_config_in_single_run
from trainlab.sweep.stopped_sweep import is_search
from trainlab.sweep.submitit_local_stop import LOCAL_LAUNCHER
from trainlab.sweep.submitit_refusal import SLURM_LAUNCHER, is_submitit, report_job_refusals_in_one_line
from trainlab.sweep.worker_stop import defer_stop_for_the_end, defer_stop_for_workers


def exit_on_user_error(check: Callable[[], None]) -> None:
    """Run ``check``; a UserError ends the process with ``error: <message>`` and exit status 2."""
    try:
        check()
    except UserError as error:
        exit_for_user_error(error)


def check_single_run(config: DictConfig) -> None:
    """A single run's directory, config and ``ckpt_path``, on the task's config as Hydra will hand it to the task
    (its ``hydra.job.env_set`` in the environment)."""
    from trainlab.config_validation import validate_config
    from trainlab.distributed.process_world import shares_data_with_other_ranks

    output_dir = os.path.abspath(str(config.hydra.run.dir))
    resuming = config.get("ckpt_path") is not None
    if writes_run_files():
        check_run_dir_not_a_sweep(Path(output_dir))  # whatever the run: a sweep's files are no run's
    if writes_run_files() and not config.get("resume_sweep"):
        check_run_dir_free(Path(output_dir), resuming_checkpoint=resuming)
    with job_view(config, output_dir) as task, env_override(config.hydra.job.env_set):  # as run_job sets them
        validate_config(task)
        check_checkpoint_locations(task)  # where ${paths.output_dir} is this run's directory
        check_launched_processes(task.trainer)  # every rank alike: torchrun's process count against the config's
        # the ranks of a torchrun or SLURM job: their data is fetched and checked in the task, where rank 0 decides
        # for them all - a refusal here would end rank 0 alone, and leave the others waiting for it
        data_in_task = shares_data_with_other_ranks(task.trainer)
        if writes_run_files() and not data_in_task:
            from trainlab.config_validation import fetch_missing_data

            fetch_missing_data(task)  # a failed download leaves nothing: no run directory yet
        if resuming:
            from trainlab.checkpoint_check import check_resume  # imports Lightning

            path = resolve_checkpoint(task.ckpt_path, Path(output_dir))
            # the data source as the task's datamodule decides (the ranks of a torchrun or SLURM job: on rank 0's
            # source, in the task)
            check_resume(path, task, Path(output_dir), name=f"ckpt_path={task.ckpt_path}",
                         overrides=override_lines(config.hydra.overrides.task), check_source=not data_in_task)
        if writes_run_files() and not data_in_task:  # after the checkpoint's: other data than it trained on first
            from trainlab.data.data_refusals import check_data_fits
            from trainlab.val_check_interval import check_interval_fits_an_epoch

            check_data_fits(task)  # the data module's refusals of the files there and the splits
            check_interval_fits_an_epoch(task)  # Lightning's refusal as fit starts, after the run's files


def set_failed_attempt_aside(config: DictConfig) -> None:
    """A single run started in the directory of a run that failed before it had anything to resume
    (:func:`~trainlab.run_dir.failed_without_checkpoint`): that run's files, ``.hydra/`` and log included, go to
    ``attempts/<n>/`` before Hydra writes this run's there. Called by the process that writes the run's files,
    holding the directory's lock (:func:`take_output_dir`: a second command moves nothing, and the temporaries of
    the failed run's killed writes are removed, not kept in the attempt)."""
    output_dir = Path(os.path.abspath(str(config.hydra.run.dir)))
    if config.get("ckpt_path") is not None or config.get("resume_sweep") or not failed_without_checkpoint(output_dir):
        return
    hydra = config.hydra
    how = "was killed before its first checkpoint" if killed_before_recording(output_dir) else \
        "failed without a checkpoint"
    target = set_attempt_aside(output_dir, also=tuple(
        name for name in (hydra.output_subdir, f"{hydra.job.name}.log") if name))
    print(f"{output_dir} held a run that {how}; its files were moved to {target}", file=sys.stderr)


# the keys check_multirun_values checks (value rules, the data): a command line without them (paths.log_dir, hydra.*,
# group choices) goes on to Hydra's composition of the jobs without the checks
CHECKED_KEYS = ("seed", "test", "resume_sweep", "objective_on_failure", "optimized_metric", "ckpt_path", "data.",
                "model.", "optimizer.", "trainer.", "scheduler.", "init.", "callbacks.", "compile.", "paths.data_dir")


def check_multirun_values(config: DictConfig) -> None:
    """The values a multirun's command line gives to keys with a rule (``-m trainer.precision=17``), before the
    sweep directory is made: every job would be refused, by the basic or joblib launcher only once Hydra has made
    its directory, by a search only once it has asked its first trials into a new study. The basic sweeper's swept
    values (``optimizer.lr=0.1,-1``) too; a search checks its own space. Unless the sweep changes the trainer (a
    swept or searched ``trainer`` choice or key), the device every job would train on where its launcher trains
    them on this machine (not ``submitit_slurm``, whose jobs run on the cluster's nodes): ``trainer=gpu`` without a
    CUDA GPU. And, unless the sweep changes the data (a swept or searched key under ``data`` or ``paths``), the data
    every job would load: ``data.source=torchvision`` without its files where they cannot be downloaded."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ValueType

    lines = override_lines(config.hydra.overrides.task)
    overrides = OverridesParser.create().parse_overrides(lines)
    swept = [o.key_or_group for o in overrides if o.is_sweep_override()]
    swept += [str(key) for key in OmegaConf.select(config, "hydra.sweeper.params", default=None) or {}]
    on_this_machine = OmegaConf.select(config, "hydra.launcher._target_") in LOCAL_LAUNCHERS  # not SLURM's nodes
    if on_this_machine and not any(is_under(key, ("trainer",)) for key in swept):
        from trainlab.config_validation import check_accelerator_present

        check_accelerator_present(config)
    if not any(o.key_or_group.startswith(CHECKED_KEYS) and o.value_type != ValueType.INTERVAL_SWEEP
               for o in overrides):
        return  # only group choices and searched ranges: Hydra checks them
    from trainlab.config_validation import check_data_available, check_override_values, fetch_missing_data

    check_override_values(lines, swept=OmegaConf.select(config, "hydra.sweeper._target_") == BASIC_SWEEPER)
    if not any(is_under(key, ("data", "paths")) for key in swept):
        check_data_available(config)
        if on_this_machine and writes_run_files():  # the jobs' data, once for all of them, before the sweep directory
            fetch_missing_data(config)


def leave_hydra_files_to_rank_0(argv: list[str]) -> list[str]:
    """``train.py``'s command line for this process: a rank other than 0 of a job that torchrun or SLURM started as
    several ``train.py`` processes gets ``hydra.output_subdir=null`` - rank 0 writes ``.hydra/`` once it has checked
    the run directory, and a refused run's directory keeps the ``.hydra/`` of the run it holds."""
    return argv if writes_run_files() else [*argv, "hydra.output_subdir=null"]


def writes_run_files() -> bool:
    """Whether this process writes the run's files: all but the first rank of a job that torchrun or SLURM started
    as several ``train.py`` processes leave them to rank 0 (``train.py`` gives them ``hydra.output_subdir=null``);
    a directory the other ranks checked could already hold rank 0's first files."""
    from trainlab.distributed.process_world import process_rank

    return process_rank() == 0


def warn(message: str | None) -> None:
    """A warning line before Hydra's logging of the run is set up (``warning: <message>`` on stderr)."""
    if message:
        print(f"warning: {message}", file=sys.stderr)


def check_slurm_reachable(launcher_target: str | None) -> None:
    """``hydra/launcher=submitit_slurm`` on a machine without SLURM's commands: submitit failed after Hydra wrote
    the sweep directory, with a traceback ending in 'Could not detect "srun"' (exit 1)."""
    if launcher_target == SLURM_LAUNCHER and shutil.which("srun") is None:
        raise ConfigError("hydra/launcher=submitit_slurm submits the jobs to SLURM, and this machine has no srun (no "
                          "SLURM client here); nothing was written. allowed: the same command on the cluster's login "
                          "node, or a launcher of this machine: hydra/launcher=submitit_local, joblib or basic")


def single_run_launcher_note(hydra_overrides: list[str]) -> str | None:
    """``hydra/launcher=submitit_slurm`` typed for a single run (no ``-m``): Hydra launches only multiruns, so the
    run trained on the machine at hand without a word - on a cluster's login node."""
    given = next((line for line in hydra_overrides if line.lstrip("+").startswith("hydra/launcher=")), None)
    if given is None or given.partition("=")[2] in ("basic", ""):
        return None
    from trainlab.shell_override import python_train_py

    return (f"{given.lstrip('+')} launches the jobs of a multirun (-m); this single run trains here, in this process "
            f"({python_train_py()} -m ... to launch it)")


def check_no_run_dir_in_multirun(hydra_overrides: list[str]) -> None:
    """``hydra.run.dir`` on a multirun's command line: Hydra ignores it and starts a sweep in a new directory - an
    experiment config sets ``hydra.mode: MULTIRUN``, so resuming one of its jobs alone by ``ckpt_path=last
    hydra.run.dir=<job>`` ran a new sweep elsewhere and failed there."""
    given = next((line for line in hydra_overrides if line.lstrip("+").startswith("hydra.run.dir=")), None)
    if given is not None:
        raise ConfigError(
            f"{given.lstrip('+')}: this command runs a multirun (-m, or hydra.mode: MULTIRUN in an experiment or "
            "search config), which ignores hydra.run.dir and would start a sweep in a new directory; nothing was "
            "written. allowed: hydra.mode=RUN to run one job in that directory (a sweep's job resumed alone with "
            "ckpt_path=last), or hydra.sweep.dir for a sweep")


def check_no_sweep_keys_in_single_run(config: DictConfig) -> None:
    """``resume_sweep=true`` or ``hydra.sweep.dir`` / ``hydra.sweep.subdir`` on a single run's command line - ``-m``
    forgotten when finishing a sweep: Hydra ignores the sweep's directory and the task has no sweep to finish, so
    the command trained a new run under ``outputs/runs/`` and ended with exit status 0, without a word. The mirror
    of :func:`check_no_run_dir_in_multirun`.

    Only what the command line typed (``hydra.overrides``): a config file may set ``hydra.sweep.dir`` for every
    command, and a ``resume_sweep: true`` it sets applies to a single run as to a sweep's job (a completed run is
    skipped, another's attempt kept under ``attempts/``). ``hydra.sweep.*`` typed beside ``hydra.run.dir`` names
    the directory of either mode (a script that runs an experiment whichever mode its config sets): the run goes
    where the command said."""
    task, hydra = override_lines(config.hydra.overrides.task), override_lines(config.hydra.overrides.hydra)
    resume = [line for line in task if override_key(line) == "resume_sweep" and not line.startswith("~")
              and config.get("resume_sweep") is True]
    run_dir_typed = any(override_key(line) == "hydra.run.dir" and not line.startswith("~") for line in hydra)
    sweep_dirs = [] if run_dir_typed else [
        line for line in hydra if is_under(override_key(line), ("hydra.sweep",)) and not line.startswith("~")]
    if not resume and not sweep_dirs:
        return
    keys = " and ".join(dict.fromkeys(override_key(line) for line in [*resume, *sweep_dirs]))
    single = [*(["without resume_sweep"] if resume else []),
              *(["with hydra.run.dir=<dir> to name its directory"] if sweep_dirs else [])]
    raise ConfigError(
        f"{' '.join(line.lstrip('+') for line in [*resume, *sweep_dirs])}: this command runs a single run (no -m), "
        f"which ignores {keys} and would train in hydra.run.dir={os.path.abspath(str(config.hydra.run.dir))}; "
        f"nothing was written. allowed: -m to run or finish the sweep, or a single run {' and '.join(single)}")


# Launchers that train the jobs in this process, where the start of training ends train.py's start-up
STACKED_LAUNCHER = "hydra_plugins.trainlab_stacked_launcher.stacked_launcher.StackedLauncher"
IN_PROCESS_LAUNCHERS = ("hydra._internal.core_plugins.basic_launcher.BasicLauncher", STACKED_LAUNCHER)
# Launchers whose jobs train on this machine, in this process or in processes of their own (not on SLURM's nodes)
LOCAL_LAUNCHERS = (*IN_PROCESS_LAUNCHERS, "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher",
                   LOCAL_LAUNCHER)

# The sweep directory this process's multirun made (it did not exist at on_multirun_start), then the parents it made
# for it: Hydra writes its multirun.yaml there before any job starts, so a sweep refused at its first job left a
# directory holding nothing else.
NEW_SWEEP_DIR: list[Path] = []
# The run directory this process's single run made (it did not exist at on_run_start), then the parents it made for
# it: Hydra writes .hydra/ and the job's log there before the task runs, which refuses what only the data can tell
NEW_RUN_DIR: list[Path] = []
# The multirun.yaml a sweep found in its directory (its path and bytes), until one of its jobs starts: Hydra's sweeper
# rewrites the file before the launcher runs, and a launcher that refuses the sweep before any job starts (the
# stacked launcher checks every job first) left the refused command's overrides recorded there - a later
# resume_sweep=true of the sweep that did train there was then refused as another sweep's. None: the directory held
# none (a basic sweep's, under its lock), and the refused command's is removed - it described no sweep that ran there.
# In-process launchers only: joblib's and submitit's jobs refuse in their workers, and the multirun.yaml they leave
# is replaced by the next sweep when no job trained (trainlab.sweep.job_dirs.trained_nothing).
EARLIER_MULTIRUN_YAML: list[tuple[Path, bytes | None]] = []


def missing_parents(directory: Path) -> list[Path]:
    """``directory`` and those of its parents that do not exist yet, deepest first (empty when it exists): what
    making it creates (``outputs/multiruns/`` too, for a first sweep)."""
    missing = []
    for path in (directory, *directory.parents):
        if path.exists():
            break
        missing.append(path)
    return missing


def take_output_dir(directory: Path, key: str, sweep: bool = False) -> None:
    """Hold ``directory``'s lock (:func:`~trainlab.dir_lock.lock_output_dir`; where its file system has none, say
    so on stderr and go on), then remove the temporaries of writes a killed process never finished there
    (:mod:`trainlab.stale_temporaries`): where a run's writers write, or for a ``sweep`` in the sweep directory and
    where each job already in it writes. The one place a directory is cleaned: once the lock says no other command
    writes there, before anything in it is set aside under ``attempts/`` or written by this command."""
    warn(lock_output_dir(directory, key))
    runs = sweep_job_dirs(directory) if sweep else [directory]
    remove_stale_temporaries([directory, *(place for run in runs for place in run_write_dirs(run))], directory)


#: where submitit's launchers keep a sweep's job pickles, results and logs (hydra.launcher.submitit_folder's default)
SUBMITIT_FOLDER = ".submitit"


def hydra_file(relative: Path, is_link: bool = False) -> bool:
    """Whether the file at ``relative`` (a path inside a run or sweep directory) is one Hydra writes before a task
    trains: a sweep's ``multirun.yaml``, ``.hydra/*.yaml`` and ``*.log`` files, at any depth (a sweep's job
    directories), and the files submitit's launchers keep for the jobs in the sweep's ``.submitit/`` (a submitit
    sweep whose jobs refused their config: sweep/submitit_refusal.py) - the SLURM executor's links to its batch
    scripts there included (``is_link``: a link, only Hydra's there)."""
    if relative.parts[:1] == (SUBMITIT_FOLDER,):
        return True
    record = relative.parent.name == ".hydra" and relative.suffix == ".yaml"
    return not is_link and (relative.suffix == ".log" or record or relative == Path(MULTIRUN_YAML))


def holds_only_hydra_files(directory: Path) -> bool:
    """Whether ``directory`` holds nothing but what Hydra writes before a task trains (:func:`hydra_file`). A folder
    that cannot be listed - another process removed it meanwhile: the ranks of a DDP job share their run directory,
    and each removes it when the job is refused - holds nothing of anyone's."""
    for folder, subfolders, files in os.walk(directory):  # links to folders are listed among subfolders, not walked
        for name in [*files, *subfolders]:
            path = Path(folder, name)
            is_link = path.is_symlink()
            if name in files or is_link:
                if not hydra_file(path.relative_to(directory), is_link=is_link):
                    return False
    return True


@dataclass(frozen=True)
class EarlierDir:
    """A run or sweep directory that existed before this command (a ``hydra.run.dir`` or ``hydra.sweep.dir`` of the
    user's, a run resumed in its own), as the command found it once its checks had passed and it held the
    directory's lock - after a failed run found there was moved to ``attempts/<n>/`` (:func:`set_failed_attempt_aside`:
    a refused retry leaves it there, and says so as it moves it): each entry's path inside it with
    ``(size, mtime_ns)`` (None for a directory), the bytes of the records Hydra rewrites in place (``multirun.yaml``,
    ``.hydra/*.yaml``), the name of the job's log (``<hydra.job.name>.log``) and whether it is a sweep's (the log is
    then each job directory's, not the sweep directory's). See :func:`take_back_hydra_files`."""

    directory: Path
    entries: dict[Path, tuple[int, int] | None]
    records: dict[Path, bytes]
    job_log: str = "train.log"
    sweep: bool = False

    @classmethod
    def of(cls, directory: Path, job_log: str = "train.log", sweep: bool = False) -> EarlierDir:
        entries = directory_entries(directory)
        records = {}
        for path, state in entries.items():
            if state is not None and hydra_file(path) and path.suffix == ".yaml" and path.parts[0] != SUBMITIT_FOLDER:
                try:
                    records[path] = (directory / path).read_bytes()
                except OSError:  # unreadable: a change to it is not taken back
                    pass
        return cls(directory, entries, records, job_log, sweep)

    def is_job_log(self, relative: Path) -> bool:
        """Whether ``relative`` is the log Hydra writes for a job there: ``<job name>.log`` in the run directory, or
        in a job directory of a sweep (not the sweep directory itself). Any other log - the user's own ``console.log``
        that the command's output is appended to - is not Hydra's to cut back."""
        if relative.name != self.job_log:
            return False
        return len(relative.parts) >= 2 if self.sweep else len(relative.parts) == 1


def directory_entries(directory: Path) -> dict[Path, tuple[int, int] | None]:
    """Every path inside ``directory`` (links not followed) with ``(size, mtime_ns)``, None for a directory."""
    entries: dict[Path, tuple[int, int] | None] = {}
    for root, dirs, files in os.walk(directory):
        for name in (*dirs, *files):
            path = Path(root, name)
            try:
                info = path.lstat()
            except OSError:  # gone meanwhile
                continue
            entries[path.relative_to(directory)] = (None if stat.S_ISDIR(info.st_mode)
                                                    else (info.st_size, info.st_mtime_ns))
    return entries


#: the directory this command's single run or multirun found existing (:class:`EarlierDir`), until it ends
EARLIER_OUTPUT_DIR: list[EarlierDir] = []


def hydra_files_to_take_back(earlier: EarlierDir) -> tuple[list[Path], list[Path], list[Path]] | None:
    """What this command wrote into ``earlier``'s directory since it was recorded, where that is Hydra's files alone
    (:func:`hydra_file`; of the logs, only the job's: :meth:`EarlierDir.is_job_log`): ``(files it added, records
    and job logs it changed, directories it added)``. None where it wrote anything else (a job that trained, a
    failed attempt set aside, a ``status.json``, a line appended to a log of the user's), removed anything, or
    changed a file whose earlier content was not kept - then the refusal keeps the directory as it is."""
    directory = earlier.directory
    if not directory.is_dir():
        return None
    now = directory_entries(directory)
    if any(path not in now or (state is None) != (now[path] is None) for path, state in earlier.entries.items()):
        return None
    added = [path for path, state in now.items() if state is not None and path not in earlier.entries]
    changed = [path for path, state in now.items() if state is not None and earlier.entries.get(path, state) != state]
    def hydras(path: Path) -> bool:  # a log only where it is the job's (in .submitit/, submitit's)
        return (hydra_file(path, is_link=(directory / path).is_symlink())
                and (path.suffix != ".log" or path.parts[0] == SUBMITIT_FOLDER or earlier.is_job_log(path)))

    if not all(hydras(path) for path in added):
        return None
    for path in changed:  # a record Hydra rewrote (its earlier bytes kept), or the job's log Hydra appended to
        if path not in earlier.records and not (earlier.is_job_log(path) and now[path][0] >= earlier.entries[path][0]):
            return None
    new_dirs = sorted((path for path, state in now.items() if state is None and path not in earlier.entries),
                      key=lambda path: len(path.parts), reverse=True)
    return added, changed, new_dirs


def refusal_takes_back(directory: Path) -> bool:
    """Whether a refusal now (exit status 2) leaves ``directory``, which existed before this command, as the command
    found it once it held its lock (:func:`take_back_hydra_files`)."""
    return any(earlier.directory == directory and hydra_files_to_take_back(earlier) is not None
               for earlier in EARLIER_OUTPUT_DIR)


def take_back_hydra_files(earlier: EarlierDir) -> None:
    """After a refusal (exit status 2) in a directory that existed before this command: where the command wrote only
    Hydra's files there (:func:`hydra_files_to_take_back`: a refusal found once Hydra had written - a network of
    one's own returning the wrong shape, found as the task builds it), it removes the files and directories it
    added (a job's ``.hydra/`` and ``train.log``, a sweep's ``multirun.yaml``), puts back the records it rewrote and
    cuts the job's log back to its earlier length: the directory is as the command found it once it held its lock
    (a failed run set aside under ``attempts/<n>/`` stays there: :class:`EarlierDir`), as a directory the command
    made is removed (:func:`remove_refused_output_dir`). What cannot be undone is named in a warning; the refusal
    keeps its message and exit status."""
    plan = hydra_files_to_take_back(earlier)
    if plan is None:
        return
    added, changed, new_dirs = plan
    directory = earlier.directory
    try:
        for path in changed:
            if path in earlier.records:
                put_back(directory / path, earlier.records[path])
            else:
                os.truncate(directory / path, earlier.entries[path][0])
        for path in added:
            (directory / path).unlink()
        for path in new_dirs:  # deepest first; one that holds something else (another command's) stays
            try:
                (directory / path).rmdir()
            except OSError:
                pass
    except OSError as error:
        print(f"warning: the refused command wrote into {directory}, and could not take all of it back: {error}",
              file=sys.stderr)


def refusal_removes(directory: Path) -> bool:
    """Whether a refusal now (exit status 2) removes ``directory`` (:func:`remove_refused_output_dir`): it is the
    sweep or run directory this command made, and it holds only Hydra's files."""
    made = [paths[0] for paths in (NEW_SWEEP_DIR, NEW_RUN_DIR) if paths]
    return (directory in made and directory.is_dir() and not directory.is_symlink()
            and holds_only_hydra_files(directory))


def remove_refused_output_dir() -> None:
    """After a refusal (exit status 2): the sweep or run directory this command made, if it holds only Hydra's files
    (:func:`holds_only_hydra_files`: a sweep refused at its first job, a run refused once its data is known), is
    removed - the refused command leaves nothing behind; in a sweep directory that existed, the ``multirun.yaml``
    found there is put back, or the one written where there was none removed, if no job had started
    (:data:`EARLIER_MULTIRUN_YAML`). One that cannot be removed or
    put back is named in a warning; the refusal keeps its message and exit status."""
    made = [paths[:] for paths in (NEW_SWEEP_DIR, NEW_RUN_DIR) if paths]
    to_remove = [paths for paths in made if refusal_removes(paths[0])]
    earlier, existing = EARLIER_MULTIRUN_YAML[:], EARLIER_OUTPUT_DIR[:]
    forget_new_output_dirs()
    for recorded, content in earlier:
        put_back(recorded, content)
    for directory in existing:
        take_back_hydra_files(directory)
    for directory, *parents in to_remove:
        try:
            remove_tree_another_process_may_remove(directory)
        except OSError as error:
            print(f"warning: the refused command left {directory}, which it could not remove: {error}",
                  file=sys.stderr)
            continue
        for parent in parents:  # outputs/multiruns/ of a first sweep: only while empty (another command may use it)
            try:
                parent.rmdir()
            except OSError:  # not empty (or gone): another command's now - its to keep
                break


def remove_tree_another_process_may_remove(directory: Path, tries: int = 3) -> None:
    """``shutil.rmtree(directory)``, where another process may be removing the same directory at the same time (the
    ranks of a DDP job share their run directory, and each removes it when the job is refused): a file or folder
    that is gone when this process comes to it is what both want; another error is raised."""
    for _ in range(tries):
        try:
            shutil.rmtree(directory)
            return
        except FileNotFoundError:
            if not os.path.lexists(directory):
                return
    shutil.rmtree(directory)


def put_back(path: Path, content: bytes | None) -> None:
    """``path`` holds ``content`` again (atomically), unless it does already; ``content`` None: the file ``path``
    is removed (a directory there is not the command's)."""
    try:
        if content is None:
            if path.is_file() and not path.is_symlink():
                path.unlink()
            return
        if path.is_file() and path.read_bytes() == content:
            return
        write_atomically(path, lambda handle: handle.write(content))
    except (OSError, OutputLocationError) as error:
        print(f"warning: the refused command rewrote {path}, and could not put back what it held: {error}",
              file=sys.stderr)


def forget_new_output_dirs() -> None:
    """An earlier command's directories are not this one's to remove, where one process runs several (tests, a
    launcher that runs its jobs in-process); nor is a sweep's ``multirun.yaml`` once a job has started."""
    NEW_SWEEP_DIR.clear()
    NEW_RUN_DIR.clear()
    EARLIER_MULTIRUN_YAML.clear()
    EARLIER_OUTPUT_DIR.clear()


def checks_that_must_finish(callback_method: Callable[..., None]) -> Callable[..., None]:
    """Hydra turns what a callback raises into a warning and goes on (``hydra/_internal/callbacks.py``), so a check
    above that failed unexpectedly - a bug, not a refusal - let the command run with every check after it skipped
    (``hydra.sweeper.params=abc`` printed ``UserWarning: Callback Preflight.on_multirun_start raised AttributeError``
    and went on unchecked until the sweeper refused the value). Such a failure ends the command instead: its
    traceback, a line that says what failed, exit status 1, and the run or sweep directory it made for nothing
    removed, as after a refusal (:func:`remove_refused_output_dir`)."""

    @functools.wraps(callback_method)
    def guarded(self: Any, config: DictConfig, **kwargs: Any) -> None:
        try:
            callback_method(self, config, **kwargs)
        except Exception as error:
            from trainlab.config_file_shapes import read_error_message

            shape = read_error_message(error)  # composing a sweep's jobs read a config file of the wrong shape
            if shape is not None:
                remove_refused_output_dir()
                exit_with_error_line(shape, error)
            traceback.print_exception(error)
            print(f"error: trainlab's checks before the run failed unexpectedly ({type(error).__name__}: {error}); "
                  "nothing was run - a bug to report, with the traceback above", file=sys.stderr)
            try:
                remove_refused_output_dir()
            except Exception as cleanup_error:  # said too; the command still ends with the check's failure
                traceback.print_exception(cleanup_error)
            raise SystemExit(1) from error

    return guarded


class Preflight(Callback):
    """See the module docstring."""

    @checks_that_must_finish
    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        forget_new_output_dirs()
        release_output_dirs()  # an earlier command of this process has ended
        exit_on_user_error(lambda: check_switches(config))
        exit_on_user_error(heap_reuse_wanted)  # TRAINLAB_HEAP_REUSE: on or off, before anything is written
        exit_on_user_error(lambda: check_no_sweep_keys_in_single_run(config))
        exit_on_user_error(lambda: check_no_sweep_config_in_single_run(config))  # experiment=... hydra.mode=RUN
        exit_on_user_error(lambda: check_run_locations(config, "hydra.run.dir"))
        run_dir = Path(os.path.abspath(str(config.hydra.run.dir)))
        note_output_dir(run_dir)  # what a Ctrl-C from here on names as written
        made = missing_parents(run_dir)  # before a set-aside or the lock may make it
        exit_on_user_error(lambda: check_single_run(config))
        warn(shadowed_options_note(config))
        if writes_run_files():
            warn(single_run_launcher_note(override_lines(config.hydra.overrides.hydra)))
            exit_on_user_error(lambda: take_output_dir(run_dir, "hydra.run.dir"))  # after every check
            exit_on_user_error(lambda: set_failed_attempt_aside(config))  # once cleaned, under the lock
        NEW_RUN_DIR[:] = made  # set once the lock is held: a command refused by it removes nothing
        if writes_run_files() and not made and run_dir.is_dir() and holds_lock_over(run_dir):
            # a refusal takes back what Hydra writes there; only under the lock, where no other command writes
            EARLIER_OUTPUT_DIR[:] = [EarlierDir.of(run_dir, f"{config.hydra.job.name}.log")]

    def on_run_end(self, config: DictConfig, **kwargs: Any) -> None:
        forget_new_output_dirs()  # the run was not refused: its directory is its own from now on
        release_output_dirs()

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        EARLIER_MULTIRUN_YAML.clear()  # a job of the sweep runs: the new multirun.yaml describes it

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        defer_stop_for_the_end(config)  # the first end callback: a stop waits until the sweep's tables are written
        forget_new_output_dirs()
        release_output_dirs()

    @checks_that_must_finish
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        leave_log_lines_to_rank_0()  # torchrun, SLURM: Hydra's launcher lines (#0 : ...) too are rank 0's
        forget_new_output_dirs()
        release_output_dirs()  # an earlier command of this process has ended
        exit_on_user_error(lambda: check_switches(config))
        exit_on_user_error(heap_reuse_wanted)
        exit_on_user_error(lambda: check_no_run_dir_in_multirun(override_lines(config.hydra.overrides.hydra)))
        exit_on_user_error(lambda: check_run_locations(config, "hydra.sweep.dir"))
        exit_on_user_error(lambda: check_group_sweeps(config))  # range()/interval() over a group's option names
        exit_on_user_error(lambda: check_multirun_values(config))
        exit_on_user_error(lambda: check_plugin_keys(config))
        warn(shadowed_options_note(config))
        exit_on_user_error(lambda: check_slurm_reachable(OmegaConf.select(config, "hydra.launcher._target_")))
        exit_on_user_error(lambda: check_search_in_one_process(config))  # not one search per torchrun rank
        launcher = OmegaConf.select(config, "hydra.launcher._target_")
        in_process = launcher in IN_PROCESS_LAUNCHERS
        exit_on_user_error(lambda: check_sweep_has_jobs(config))
        # a basic sweep's jobs, composed once - by the first check that reads them - for the checks below; the
        # sweeper composes its own
        jobs = functools.cache(lambda: composed_sweep_jobs(config))
        if launcher != STACKED_LAUNCHER:  # which checks every job of a batch itself before it writes any
            exit_on_user_error(lambda: check_first_job(config, jobs(), check_keys=in_process,
                                                       check_data=launcher in LOCAL_LAUNCHERS))
        sweep_dir = Path(os.path.abspath(str(config.hydra.sweep.dir)))
        note_output_dir(sweep_dir)  # what a Ctrl-C before the first job trains names as written
        if not in_process:
            end_startup()  # the jobs train in processes of their own (joblib, submitit), which answer a Ctrl-C
        elif not is_search(config.hydra):  # between the jobs trained here: the sweep stops with its tables
            hand_over_after_startup(StopBetweenJobs(config.get("optimized_metric"), last_job_number(config)))
        made = missing_parents(sweep_dir)
        if writes_run_files():
            exit_on_user_error(lambda: check_not_locked_by_another(sweep_dir, "hydra.sweep.dir"))  # running: first
            exit_on_user_error(lambda: check_sweep_dir_free(
                sweep_dir, bool(config.get("resume_sweep")), resuming_checkpoints=config.get("ckpt_path") is not None,
                grid=OmegaConf.select(config, "hydra.sweeper._target_") == BASIC_SWEEPER))
            if config.get("resume_sweep"):
                exit_on_user_error(lambda: check_resume_names_its_sweep(
                    sweep_dir, override_lines(config.hydra.overrides.hydra),
                    str(OmegaConf.to_container(config.hydra.sweep, resolve=False).get("dir", ""))))
                exit_on_user_error(lambda: check_resumed_nets(
                    sweep_dir, OmegaConf.select(config, "model.net.batch_norm_eps", default=None)))
                exit_on_user_error(lambda: warn(check_resumed_sweep(
                    sweep_dir, override_lines(config.hydra.overrides.task),
                    list(config.hydra.job.config.override_dirname.exclude_keys),
                    OmegaConf.select(config, "hydra.sweeper._target_"),
                    OmegaConf.select(config, "hydra.sweeper.params"),
                    OmegaConf.select(config, "hydra.runtime.choices", default={}).get("hydra/sweeper"))))
                # each job that ran there by its recorded config, against the jobs composed above (once)
                from trainlab.sweep.resumed_configs import check_resumed_configs

                exit_on_user_error(lambda: check_resumed_configs(config, jobs()))
            if launcher != STACKED_LAUNCHER:  # which checks its batch's checkpoints itself, before it writes any
                # each checkpoint a job resumes from, read as its task reads it: after the sweep's own checks (a
                # config changed since is named as such, not as a checkpoint that does not fit)
                exit_on_user_error(lambda: check_job_checkpoints(config, jobs(),
                                                                 check_source=launcher in LOCAL_LAUNCHERS))
            if OmegaConf.select(config, "hydra.sweeper._target_") == BASIC_SWEEPER:  # search workers share theirs
                # after every check; cleaned before any job starts, whichever process will train it
                exit_on_user_error(lambda: take_output_dir(sweep_dir, "hydra.sweep.dir", sweep=True))
        NEW_SWEEP_DIR[:] = made  # this multirun's (a process may run several)
        if writes_run_files() and not made and sweep_dir.is_dir() and holds_lock_over(sweep_dir):
            # a refusal takes back what Hydra writes there; only under the lock (a basic sweep's), not in a search's
            # directory, which its workers share with other commands
            EARLIER_OUTPUT_DIR[:] = [EarlierDir.of(sweep_dir, f"{config.hydra.job.name}.log", sweep=True)]
        # in-process launchers only: a worker's job starts where this process cannot see it (joblib, submitit)
        recorded = sweep_dir / "multirun.yaml"
        if in_process and recorded.is_file() and not recorded.is_symlink():
            EARLIER_MULTIRUN_YAML[:] = [(recorded, recorded.read_bytes())]
        elif (in_process and not made and not recorded.exists() and not recorded.is_symlink()
              and OmegaConf.select(config, "hydra.sweeper._target_") == BASIC_SWEEPER):  # under the sweep's lock
            EARLIER_MULTIRUN_YAML[:] = [(recorded, None)]  # a directory of the user's: the sweep writes beside
        if is_submitit(OmegaConf.select(config, "hydra.launcher")):
            report_job_refusals_in_one_line()  # a job's config error: one line, exit status 2, as basic's jobs
        keep_sweep_record(config)  # rank 0's multirun.yaml, over the other ranks' (torchrun, SLURM)
        keep_sweep_config(config)  # the tables of a sweep that joblib stops (sweep/joblib_stop.py)
        defer_stop_for_workers(config)  # last: a multirun refused above leaves no handler (sweep/worker_stop.py)
