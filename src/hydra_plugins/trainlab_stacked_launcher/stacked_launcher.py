"""``hydra/launcher=stacked``: a Hydra launcher that trains stackable jobs of a sweep as one vectorized model.

    python train.py -m optimizer=sgd,momentum,adagrad,adam hydra/launcher=stacked
    python train.py experiment=compare_batchnorm            # the chapter's training experiments use it

For each batch of jobs Hydra hands over (all jobs of a basic sweep; ``n_jobs`` trials at a time from a search
sweeper), the launcher composes every job's config, cuts the jobs into stacks
(:func:`trainlab.stacked.grouping.plan_stacks`), and then per stack:

* a job that stacks with nothing runs exactly as the basic launcher runs it (Hydra's ``run_job`` with the task);
* a stack of K jobs gets, per job, what ``run_job`` gives a job - its output directory, ``.hydra/`` (config,
  hydra config, overrides), its ``train.log`` (the stack's log), the ``on_job_start`` / ``on_job_end``
  callbacks and a ``JobReturn`` with its objective - and the K jobs train together in this process
  (:func:`trainlab.stacked.train_stack.train_stack`); a member that ``resume_sweep=true`` skips (it completed or
  diverged before) keeps its ``.hydra/`` and ``train.log`` as they were.

Before the first stack trains, every job of the batch is checked
(:func:`trainlab.stacked.train_stack.jobs_to_skip`): a config error, a directory that holds another run or a
``ckpt_path`` that names no checkpoint file or one its job's task refuses
(:meth:`StackedLauncher._check_checkpoint_paths`) or a budget that ends before the first validation computes the
objective (:meth:`StackedLauncher._check_objectives_reached`) stops the sweep before any job trains or writes its
files - but under ``resume_sweep=true ckpt_path=last`` a job that left no ``last.ckpt`` trains from its start,
stacked with the others that do (:meth:`StackedLauncher._trained_from_start`).
Jobs whose ``hydra.job.env_set`` differ never share a stack, and each member's config is resolved inside its own
``env_set``.

A search sweeper hands its batch's own trial numbers (``launch(..., job_numbers=[5, 8, 10])``, which
:attr:`StackedLauncher.takes_job_numbers` offers): in a study shared by several workers a batch's numbers jump where
another worker asked trials in between, and the batch still trains as one call - one stack - with each job's
directory, ``hydra.job.num`` and log lines carrying its trial number. Without it the jobs are numbered
consecutively from ``initial_job_idx``, as every Hydra launcher numbers them.

Options (``hydra.launcher.*``): ``max_members`` caps the members of one stack (memory: parameters, gradients and
optimizer state grow with K); ``strict=true`` turns "this job runs alone" into a config error naming the key.
Jobs run in the order of their stacks; the returned list is in job order. ``hydra.job.chdir=true`` does not
apply to stacked jobs (they share one process): the working directory stays where the command was started.
"""

# No ``from __future__ import annotations`` here: Hydra's plugin scan executes this module without registering it
# in sys.modules, and dataclasses then cannot resolve string annotations.
import functools
import logging
import os
import signal
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, JobStatus, configure_log, env_override, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from trainlab.config_keys import override_lines

log = logging.getLogger(__name__)


def without_ckpt_path(task_cfg: DictConfig) -> DictConfig:
    """A copy of a job's task config with ``ckpt_path: null``: how the stacks are planned for a job that trains from
    its start (:meth:`StackedLauncher._trained_from_start`); its own config, written to ``.hydra/``, keeps the
    command's ``ckpt_path``."""
    from trainlab.sweep.composed_configs import config_copy

    copy = config_copy(task_cfg)
    with open_dict(copy):
        copy.ckpt_path = None
    return copy


def skipped_count(skipped: Iterable[Any]) -> str:
    """The end of the batch's ``Launching ...`` line for the jobs ``resume_sweep=true`` skips (``skipped``: their
    :class:`~trainlab.run_dir.SkippedJob`): ``; 2 completed before, 1 diverged before, skipped (resume_sweep=true)``,
    or nothing when it skips none."""
    from trainlab.run_dir import FINISHED_STATUSES

    statuses = [skip.status for skip in skipped]
    counts = [f"{statuses.count(status)} {status} before" for status in FINISHED_STATUSES if status in statuses]
    return f"; {', '.join(counts)}, skipped (resume_sweep=true)" if counts else ""


def make_current(config: DictConfig) -> None:
    """Make ``config``'s hydra node the one ``HydraConfig.get()`` returns, as ``HydraConfig.set_config`` does but
    without its copy of the node (3.1 ms a job for experiment I's config, ~0.3 s of a 100-trial stack; each
    member's ``config`` is already its own). ``HydraConfig.instance().cfg`` - and the member's
    ``JobReturn.hydra_cfg`` - is then the whole job config, whose ``hydra`` node ``set_config`` would have copied
    out: ``HydraConfig.get()`` and ``.hydra`` are the same, the task keys beside it are extra (Hydra and the
    project's sweepers read only ``.hydra``). Like ``set_config``, the node is made read-only."""
    OmegaConf.set_readonly(config.hydra, True)
    HydraConfig.instance().cfg = config


@dataclass
class StackedLauncherConf:
    _target_: str = "hydra_plugins.trainlab_stacked_launcher.stacked_launcher.StackedLauncher"
    # The most jobs trained as one model (memory grows with it; 128 members of the book's MLP take ~0.5 GB).
    # "minimum": the bound setup() checks, named also when the value is no integer (trainlab.hydra_errors).
    max_members: int = field(default=128, metadata={"minimum": 1})
    # true: a job that cannot be stacked is a config error naming the key, instead of running alone.
    strict: bool = False


ConfigStore.instance().store(group="hydra/launcher", name="stacked", node=StackedLauncherConf, provider="trainlab")


@dataclass
class PreparedJob:
    """A composed job: its full config (with ``hydra``), its task config, its index."""

    index: int
    config: DictConfig
    task_cfg: DictConfig


# Why a stackable job runs alone when no other job of the batch shares its group key
# (trainlab.stacked.grouping.group_key) and its hydra.job.env_set.
NO_PARTNER = "no other job shares its architecture, data, budgets, precision, device and hydra.job.env_set"


class StackedLauncher(Launcher):
    # launch() takes ``job_numbers``: a sweeper may hand a batch whose numbers are not consecutive (the Optuna
    # search's trial numbers in a shared study) as one call; Hydra's launchers number a call's jobs from
    # initial_job_idx on, and such a batch has to be cut where its numbers jump
    takes_job_numbers = True

    def __init__(self, max_members: int = 128, strict: bool = False) -> None:
        super().__init__()
        self.max_members = max_members
        self.strict = strict
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        from trainlab.errors import ConfigError, exit_for_user_error
        from trainlab.sweep.composed_configs import compose_from_templates

        if self.max_members < 1:  # the sweeper sets its launcher up before it writes multirun.yaml or a study
            exit_for_user_error(ConfigError(
                f"hydra.launcher.max_members={self.max_members} is invalid; allowed: an integer >= 1"))
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function
        # the sweeper composes each job to check it, this launcher once more to run it: from templates, not YAML
        # (hydra.callbacks.compose_from_templates does it for every multirun; this call for a hydra config without it)
        compose_from_templates(hydra_context.config_loader)

    # ---- composing ----------------------------------------------------------------------------------------------
    def _compose(self, index: int, overrides: list[str]) -> PreparedJob:
        config = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
        with open_dict(config):
            config.hydra.job.id = index
            config.hydra.job.num = index
        # a copy of the task keys alone (what run_job gets by copying all and deleting ``hydra``, at half the cost)
        task_cfg = OmegaConf.masked_copy(config, [key for key in config if key != "hydra"])
        OmegaConf.set_struct(task_cfg, OmegaConf.is_struct(config))
        OmegaConf.copy_cache(from_config=config, to_config=task_cfg)  # ${now:...} keeps the value it resolved to
        return PreparedJob(index, config, task_cfg)

    def launch(self, job_overrides: Any, initial_job_idx: int,
               job_numbers: Sequence[int] | None = None) -> list[JobReturn]:
        """Run the jobs of ``job_overrides``, numbered ``job_numbers`` (one distinct number per job, in order) or,
        without it, ``initial_job_idx``, ``initial_job_idx + 1``, ...; the returns in the order of the jobs."""
        from trainlab.stacked.long_lived_objects import sweep_objects_frozen

        job_overrides = list(job_overrides)
        if job_numbers is None:
            numbers = list(range(initial_job_idx, initial_job_idx + len(job_overrides)))
        else:
            numbers = [int(number) for number in job_numbers]
            if len(numbers) != len(job_overrides) or len(set(numbers)) != len(numbers):
                raise ValueError(f"job_numbers={numbers}: one distinct number per job of the {len(job_overrides)} "
                                 "handed over is needed")
        with sweep_objects_frozen():  # the collector skips modules and composed jobs while the batch runs
            return self._launch(job_overrides, numbers)

    def _launch(self, job_overrides: list[Any], numbers: list[int]) -> list[JobReturn]:
        from trainlab.collector_paused_import import import_with_collector_paused

        import_with_collector_paused("lightning")  # before train_stack does, with the garbage collector paused
        from trainlab.errors import UserError, exit_for_user_error
        from trainlab.stacked.grouping import plan_batch, stack_notes
        from trainlab.stacked.long_lived_objects import freeze_now
        from trainlab.stacked.train_stack import check_data_of_every_stack, jobs_to_skip
        from trainlab.sweep.job_dirs import check_distinct_job_dirs

        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        try:
            jobs = [self._compose(number, overrides) for number, overrides in zip(numbers, job_overrides, strict=True)]
            members = [self._member(job) for job in jobs]
            check_distinct_job_dirs(Path(str(self.config.hydra.sweep.dir)),
                                    [(job.index, Path(str(job.config.hydra.runtime.output_dir))) for job in jobs])
            skipped = jobs_to_skip(members)  # every job's config and directory, before the first trains
            # the stacks are made of the jobs that train: a job resume_sweep=true skips takes no place in one
            todo = [i for i in range(len(jobs)) if i not in skipped]
            anew = self._trained_from_start(todo, members)  # their members' ckpt_path is None from here on
            self._check_checkpoint_paths([jobs[i] for i in todo], [members[i] for i in todo])
            configs = [without_ckpt_path(jobs[i].task_cfg) if i in anew else jobs[i].task_cfg for i in todo]
            environments = [repr(sorted(jobs[i].config.hydra.job.env_set.items())) for i in todo]
            planned, planned_reasons = plan_batch(configs, self.max_members, environments, self.strict,
                                                  job_numbers=[jobs[i].index for i in todo])
            notes = stack_notes(configs, planned, self.max_members, environments, [jobs[i].index for i in todo])
            stacks = [[todo[place] for place in stack] for stack in planned]
            reasons = {todo[place]: reason for place, reason in planned_reasons.items()}
            check_data_of_every_stack([[members[i] for i in stack] for stack in stacks])
            # after the data's own refusal (a split that does not fit the pool is the first thing to fix)
            self._check_objectives_reached([members[i] for i in todo])
        except UserError as error:
            exit_for_user_error(error)
        freeze_now()
        stacked = sum(len(stack) > 1 for stack in stacks)
        done_before = skipped_count(skipped.values())
        log.info("Launching %d job%s as %d run%s: %d stacked, %d alone%s", len(jobs), "" if len(jobs) == 1 else "s",
                 len(stacks), "" if len(stacks) == 1 else "s", stacked, len(stacks) - stacked, done_before)
        returns: list[JobReturn | None] = [None] * len(jobs)
        for index, skip in skipped.items():
            returns[index] = self._skip(jobs[index], skip)
        for position, stack in enumerate(stacks):
            if len(stack) == 1:
                returns[stack[0]] = self._run_alone(jobs[stack[0]], reasons.get(stack[0], NO_PARTNER))
            else:
                stack_returns = self._run_stack([jobs[i] for i in stack], [members[i] for i in stack],
                                                [members[i].job_name for i in stack if i in anew], notes.get(position))
                for index, job_return in zip(stack, stack_returns, strict=True):
                    returns[index] = job_return
            configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        return returns

    def _check_checkpoint_paths(self, jobs: list[PreparedJob], members: list[Any]) -> None:
        """Refuse the batch when a job that is to train (``members``: theirs) has a ``ckpt_path`` naming no checkpoint
        file, or one its task refuses (not a checkpoint, not this job's, nothing left to train:
        :func:`trainlab.sweep.job_checkpoints.check_job_checkpoint`), in the words and at the time the basic
        launcher's preflight refuses it
        (:func:`trainlab.sweep.first_job.check_first_job`): before any job starts. Such a job runs alone, and its task
        refused it only once the jobs before it had trained - ``-m seed=0,1 ckpt_path=last`` resumed ``#0`` from its
        checkpoint and then stopped the sweep at ``#1``, which had none. A job ``resume_sweep=true`` skips is not
        asked: it does not train."""
        from trainlab.sweep.first_job import check_checkpoint_path, raise_first_refusal
        from trainlab.sweep.job_checkpoints import check_job_checkpoint

        output_dirs = [Path(str(member.cfg.paths.output_dir)) for member in members]  # the task's (train.train)
        names = [output_dir.name for output_dir in output_dirs]
        raise_first_refusal(  # every file there first, as the preflight of the other launchers asks
            lambda place: check_checkpoint_path(members[place].cfg.get("ckpt_path"), jobs[place].config,
                                                output_dirs[place]), names)

        def check(place: int) -> None:
            with env_override(jobs[place].config.hydra.job.env_set):
                check_job_checkpoint(members[place].cfg, jobs[place].config, output_dirs[place])

        raise_first_refusal(check, names)

    def _check_objectives_reached(self, members: list[Any]) -> None:
        """Refuse the batch when a job that is to train (``members``: theirs, a job that trains from its start
        without ``ckpt_path``) has a budget that ends before its first validation computes its ``optimized_metric``
        (:func:`trainlab.objective_budget.check_objective_reached`), before any job writes its files - in the words
        the Trainer's check at the start of training used once the jobs' directories, logs, ``status.json`` and
        event files had been written."""
        from trainlab.objective_budget import check_objective_reached
        from trainlab.sweep.first_job import raise_first_refusal
        from trainlab.val_check_interval import check_interval_fits_an_epoch

        def check(place: int) -> None:
            check_objective_reached(members[place].cfg)
            check_interval_fits_an_epoch(members[place].cfg)  # as Lightning's check at fit's start, before it

        raise_first_refusal(check, [Path(str(member.cfg.paths.output_dir)).name for member in members])

    def _trained_from_start(self, todo: list[int], members: list[Any]) -> set[int]:
        """The jobs of ``todo`` that ``resume_sweep=true ckpt_path=last`` trains from their start, as
        ``resume_sweep=true`` alone would (:func:`~trainlab.checkpoint_path.sweep_job_ckpt_path`: they left no
        ``last.ckpt``, most often because the sweep stopped before them). Their members go on without ``ckpt_path``,
        so that they stack with each other as they would have in the sweep's first run - a job with a ``ckpt_path``
        runs alone."""
        from trainlab.checkpoint_path import sweep_job_ckpt_path

        anew = set()
        for i in todo:
            cfg = members[i].cfg
            given = cfg.get("ckpt_path")
            if given is not None and sweep_job_ckpt_path(given, Path(str(cfg.paths.output_dir)),
                                                         bool(cfg.get("resume_sweep"))) is None:
                with open_dict(cfg):
                    cfg.ckpt_path = None
                anew.add(i)
        return anew

    def _skip(self, job: PreparedJob, skip: Any) -> JobReturn:
        """A job that completed or diverged before, skipped by ``resume_sweep=true`` (``skip``: its
        :class:`~trainlab.run_dir.SkippedJob`): its files as they were (no ``.hydra/`` rewrite), its objective
        returned, Hydra's job callbacks called as for a job that ran."""
        self._start_member(job, write_hydra_files=False)
        log.info("\t#%d : %s", job.index, skip.line(str(job.config.hydra.sweep.subdir)))
        job_return = self._job_return(job, skip.objective)
        self.hydra_context.callbacks.on_job_end(config=job.config, job_return=job_return)
        return job_return

    def _job_return(self, job: PreparedJob, objective: Any) -> JobReturn:
        # run_job gives a copy with the hydra node alone; a member gives its whole job config (make_current)
        return JobReturn(overrides=override_lines(job.config.hydra.overrides.task), cfg=job.task_cfg,
                         hydra_cfg=job.config, working_dir=os.getcwd(), task_name=job.config.hydra.job.name,
                         status=JobStatus.COMPLETED, _return_value=objective)

    def _run_alone(self, job: PreparedJob, reason: str) -> JobReturn:
        """Run ``job`` as the basic launcher does; ``reason``, why it stacked with no other job, is said first in
        the job's own log (its ``train.log`` as well as the console), as a stack's members find theirs."""
        log.info("\t#%d : %s", job.index, " ".join(override_lines(job.config.hydra.overrides.task)))

        @functools.wraps(self.task_function)
        def task_saying_why_alone(task_cfg: DictConfig) -> Any:
            log.info("\t#%d runs alone: %s", job.index, reason)  # run_job has set the job's logging up
            return self.task_function(task_cfg)

        return run_job(hydra_context=self.hydra_context, task_function=task_saying_why_alone, config=job.config,
                       job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")

    # ---- a stack ------------------------------------------------------------------------------------------------
    def _resolve_member(self, job: PreparedJob) -> DictConfig:
        """The member's task config resolved in its own job context, its output directory set as ``run_job`` sets
        it before calling the task."""
        from trainlab.config_validation import check_values
        from trainlab.sweep.composed_configs import config_copy
        from trainlab.sweep.job_dirs import job_output_dir

        config = job.config
        make_current(config)  # the sweep dir may use ${hydra:...}: this job's values
        output_dir = str(job_output_dir(config))
        with read_write(config.hydra.runtime), open_dict(config.hydra.runtime):
            config.hydra.runtime.output_dir = output_dir  # as run_job sets it before its second set_config
        resolved = config_copy(job.task_cfg)  # the job's own copy (_compose) is saved as composed
        with env_override(config.hydra.job.env_set):  # ${oc.env:...} as the job's own process would see it
            # the values' rules before the interpolations are resolved away: a value refused there names the key it
            # came from (scheduler.T_max: ${trainer.max_epochs}); validate_config checks the resolved copy again
            check_values(resolved)
            OmegaConf.resolve(resolved)  # ${hydra:runtime.output_dir} and friends, while this job is current
        return resolved

    def _member(self, job: PreparedJob) -> Any:
        """The job as a member of a stack: a :class:`~trainlab.stacked.train_stack.StackJob` (its resolved config,
        overrides, choices, the override keys that name no hyper-parameter, its name in the sweep)."""
        from trainlab.stacked.train_stack import StackJob

        return StackJob(self._resolve_member(job), override_lines(job.config.hydra.overrides.task),
                        dict(job.config.hydra.runtime.choices),
                        list(job.config.hydra.job.config.override_dirname.exclude_keys),
                        name=str(job.config.hydra.sweep.subdir), number=job.index)

    def _start_member(self, job: PreparedJob, write_hydra_files: bool) -> None:
        """What ``run_job`` does next: the output directory, ``.hydra/`` (left as it is for a job that
        ``resume_sweep=true`` skips), ``on_job_start``."""
        from trainlab.config_yaml import config_yaml

        config = job.config
        make_current(config)
        output_dir = Path(str(config.hydra.runtime.output_dir))
        output_dir.mkdir(parents=True, exist_ok=True)
        if write_hydra_files and config.hydra.output_subdir is not None:  # Hydra's three files, by libyaml
            hydra_output = output_dir / str(config.hydra.output_subdir)
            hydra_output.mkdir(parents=True, exist_ok=True)
            hydra_node = {"hydra": OmegaConf.to_container(config.hydra, resolve=False, enum_to_str=True)}
            for name, node in (("config.yaml", job.task_cfg), ("hydra.yaml", hydra_node),
                               ("overrides.yaml", config.hydra.overrides.task)):
                (hydra_output / name).write_text(config_yaml(node), encoding="utf-8")
        self.hydra_context.callbacks.on_job_start(config=config, task_function=self.task_function)

    def _log_to_every_member(self, jobs: list[PreparedJob]) -> None:
        """The stack's log goes to each training member's log file (Hydra's job logging configures the first one's;
        a member that ``resume_sweep=true`` skips keeps its log as it was)."""
        if not jobs:
            return
        make_current(jobs[0].config)
        configure_log(jobs[0].config.hydra.job_logging, jobs[0].config.hydra.verbose)
        root = logging.getLogger()
        first = next((h for h in root.handlers if isinstance(h, logging.FileHandler)), None)
        if first is None:
            return
        for job in jobs[1:]:
            handler = logging.FileHandler(Path(job.config.hydra.runtime.output_dir) / Path(first.baseFilename).name)
            handler.setFormatter(first.formatter)
            handler.setLevel(first.level)
            root.addHandler(handler)

    def _run_stack(self, jobs: list[PreparedJob], members: list[Any], anew: list[str],
                   note: str | None = None) -> list[JobReturn]:
        """Train ``jobs`` (as ``members``, checked, none of them skipped) as one stack, each job getting what
        ``run_job`` gives it. ``anew``: the names of the members ``resume_sweep=true ckpt_path=last`` trains from
        their start (:meth:`_trained_from_start`; a lone job's task says it itself), said in the stack's log, as is
        ``note``, why these jobs did not join an earlier stack (:func:`~trainlab.stacked.grouping.stack_notes`)."""
        from trainlab.callbacks.graceful_shutdown import NOT_SAVED, TrainingInterrupted
        from trainlab.checkpoint_path import trains_from_start_line
        from trainlab.errors import UserError, exit_for_user_error
        from trainlab.lightning_noise import route_lightning_logs_through_root
        from trainlab.shell_override import config_options, finish_sweep_line, job_alone_command
        from trainlab.stacked.train_stack import train_stack
        from trainlab.sweep.stopped_sweep import is_search, record_stopped_sweep

        for job in jobs:
            self._start_member(job, write_hydra_files=True)
        self._log_to_every_member(jobs)
        route_lightning_logs_through_root()
        if any(job.config.hydra.job.get("chdir") for job in jobs):
            log.warning("hydra.job.chdir=true does not apply to a stack (its members share one process): the working "
                        "directory stays %s; each member writes into its own job directory all the same", os.getcwd())
        log.info("\t#%s : one stacked run of %d jobs%s", ",".join(str(i) for i in sorted(job.index for job in jobs)),
                 len(jobs), f", {note}" if note else "")
        for name in anew:
            log.info(trains_from_start_line(name))
        try:
            with env_override(jobs[0].config.hydra.job.env_set):
                objectives = train_stack(members, skipped={})  # checked by jobs_to_skip
        except UserError as error:
            exit_for_user_error(error)
        except TrainingInterrupted as stop:
            first = min(jobs, key=lambda job: job.index)  # the stack's first job of the sweep, as an example
            alone = job_alone_command(first.config.hydra.runtime.output_dir,
                                      override_lines(first.config.hydra.overrides.task),
                                      config_options(self.config.hydra))
            finish = "" if is_search(self.config.hydra) else (  # a search prints the command that continues it
                f"\n{finish_sweep_line(self.config.hydra.sweep.dir)}\n(its unfinished members train again from "
                "their start; one goes on alone from its checkpoint with its own overrides - its .hydra/overrides.yaml "
                f"less resume_sweep -, e.g.: {alone})")
            record_stopped_sweep(self.config.hydra, self.config.get("optimized_metric"))  # not for a search
            saved = "every member saved its checkpoints/last.ckpt" if stop.saved else NOT_SAVED  # a search's
            print(f"{signal.Signals(stop.signum).name}: stopped at step {stop.step}; {saved}.{finish}", file=sys.stderr)
            sys.exit(128 + stop.signum)
        returns = []
        for job, objective in zip(jobs, objectives, strict=True):
            job_return = self._job_return(job, objective)
            self.hydra_context.callbacks.on_job_end(config=job.config, job_return=job_return)
            returns.append(job_return)
        return returns
