"""The training task of a stack: :func:`trainlab.train.train` for K jobs at once.

For the jobs of one stack (configs resolved, each in its own job directory; see :mod:`trainlab.stacked.grouping`
for what they share):

1. ``resume_sweep=true``: jobs that completed or diverged before are skipped (their objective is returned as a
   lone job's skip returns it: :func:`~trainlab.run_dir.job_to_skip`).
2. Each job's config is validated, its directories checked and claimed, as a lone run does
   (:func:`jobs_to_skip` does 1 and 2 but the claim, which the stacked launcher calls before it writes any
   job's ``.hydra/``).
3. Each member is built exactly as its lone run builds it - ``seed_everything(seed)`` (for ``seed=null`` a seed
   drawn and recorded, :mod:`trainlab.run_seed`), then its initializer,
   optimizer and :class:`~trainlab.models.classifier.MLPClassifier` - so its initial weights are the lone run's.
4. The members are stacked (:class:`~trainlab.stacked.stacked_classifier.StackedClassifier`) and trained by one
   Lightning Trainer (the members' shared ``trainer`` config) on the shared data module; the global generators
   are re-seeded with the first member's ``seed`` (or its drawn one) before training (dropout masks).
5. ``test`` runs once for every member still training; each member's status, HPARAMS and objective are recorded.

A run-time failure marks every member ``failed`` and the sweep goes on (each returns ``objective_on_failure``);
a config error (:class:`~trainlab.errors.UserError`) and an interrupt stop the sweep, as for lone jobs.
"""

from __future__ import annotations

import json
import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import hydra
import lightning as L
from omegaconf import DictConfig, OmegaConf

from trainlab.callback_entries import dropped_default_callbacks
from trainlab.callbacks.checkpoint_provenance import provenance
from trainlab.callbacks.graceful_shutdown import TrainingInterrupted
from trainlab.callbacks.objective_reach import objective_reach_checks
from trainlab.callbacks.rng_state import RNGStateInCheckpoint
from trainlab.callbacks.startup_end import StartupEnd
from trainlab.config_instantiation import build_optimizers, instantiate_key
from trainlab.config_switches import check_switches
from trainlab.config_validation import check_optimized_metric, validate_config
from trainlab.errors import ConfigError, UserError
from trainlab.heap_reuse import reuse_freed_heap_memory
from trainlab.loggers.hparams import logged_config, run_hparams
from trainlab.output_locations import check_task_locations
from trainlab.run_dir import SkippedJob, check_run_dir_free, claim_run_dir, job_to_skip
from trainlab.run_seed import seed_generators
from trainlab.stacked.grouping import CallbackPlan, callback_plan, check_checkpointing_switch
from trainlab.stacked.member_outputs import Member, MemberOutputs, StackShutdown, lone_stateful_callbacks
from trainlab.stacked.stacked_classifier import StackedClassifier
from trainlab.train import instantiate_dict, missing_objective_message

log = logging.getLogger(__name__)


@dataclass
class StackJob:
    """One job of a stack: its resolved task config, its Hydra task overrides, and for its HPARAMS columns
    Hydra's choices of its config groups and the override keys that name no hyper-parameter."""

    cfg: DictConfig
    overrides: list[str]
    choices: dict[str, str | None] = field(default_factory=dict)
    ignored_override_keys: list[str] = field(default_factory=list)
    name: str = ""  # its directory relative to the sweep's (the launcher's); the directory's own name if empty
    number: int = 0  # its place in the sweep (the launcher's job index): the order the stack's log lists it in

    @property
    def job_name(self) -> str:
        return self.name or Path(self.cfg.paths.output_dir).name


def build_member(job: StackJob, datamodule: L.LightningDataModule, plan: CallbackPlan) -> Member:
    """The member as its lone run builds it (same order of random draws), with its loggers and hyper-parameters."""
    cfg = job.cfg
    seed = seed_generators(cfg.get("seed"), resuming=False, job=job.job_name)  # a stack never resumes a checkpoint
    init = instantiate_key(cfg, "init") if cfg.get("init") else None
    optimizer = instantiate_key(cfg, "optimizer")
    module = instantiate_key(cfg, "model", factories={"init": init}, optimizer=optimizer, init=init, scheduler=None)
    # the member's optimizer as its lone run builds it (the template of its checkpoint's optimizer state; no
    # scheduler, so configure_optimizers returns the optimizer itself); an argument its class rejects: a config error
    lone_optimizer = build_optimizers(module, cfg, {"optimizer": optimizer})
    source = datamodule.resolve_source()
    # a stack trains in one process (a job of several runs alone: trainlab.stacked.grouping), as its lone run would
    return Member(cfg=cfg, name=job.job_name, overrides=job.overrides, module=module, optimizer=lone_optimizer,
                  loggers=instantiate_dict(cfg.get("logger"), "logger"), config=logged_config(cfg, source),
                  columns=run_hparams(cfg, job.choices, job.overrides, job.ignored_override_keys, source),
                  resolved_source=source, provenance=provenance(cfg, job.overrides, source, processes=1),
                  last_checkpoint=plan.last_checkpoint, shutdown_checkpoint=plan.shutdown_checkpoint,
                  drawn_seed=seed if cfg.get("seed") is None else None,
                  stateful_callbacks=lone_stateful_callbacks(cfg), number=job.number)


def member_plans(jobs: list[StackJob]) -> list[CallbackPlan]:
    """What each member's callbacks ask of the stack (the launcher only stacks jobs whose callbacks it knows)."""
    plans = []
    for job in jobs:
        plan, reason = callback_plan(job.cfg)
        if plan is None:
            raise ConfigError(f"{job.cfg.paths.output_dir}: {reason}; it cannot be stacked")
        plans.append(plan)
    return plans


def jobs_to_skip(jobs: list[StackJob]) -> dict[int, SkippedJob]:
    """Steps 1 and 2 of the module docstring, before anything is written: each job that ``resume_sweep=true``
    skips - it completed or diverged before - with its objective (by index; :func:`~trainlab.run_dir.job_to_skip`),
    after every other
    job's config is validated and its directories checked - a directory holding another run is refused here
    (:func:`~trainlab.run_dir.check_run_dir_free`). A config refused names its job, as the basic launcher's
    preflight does (``... (in job 1_seed=2 of the sweep; no job was run)``: :func:`raise_first_refusal`)."""
    from trainlab.sweep.first_job import raise_first_refusal

    skipped = {}

    def check(index: int) -> None:
        job = jobs[index]
        check_switches(job.cfg)  # resume_sweep=no would count as true
        output_dir, resume_sweep = Path(job.cfg.paths.output_dir), job.cfg.get("resume_sweep")
        if resume_sweep:
            skip = job_to_skip(output_dir, job.overrides, job.ignored_override_keys, job.cfg.get("optimized_metric"),
                               job.cfg.get("objective_on_failure"))
            if skip is not None:
                skipped[index] = skip
                return
        validate_config(job.cfg)
        check_checkpointing_switch(job.cfg)  # the stack's Trainer checkpoints for its members whatever it says
        check_optimized_metric(job.cfg, jobs="the sweep's jobs report")
        check_task_locations(job.cfg)
        if not resume_sweep:
            check_run_dir_free(output_dir, resuming_checkpoint=job.cfg.get("ckpt_path") is not None)

    raise_first_refusal(check, [job.job_name for job in jobs])
    return skipped


def check_data_of_every_stack(stacks: list[list[StackJob]]) -> None:
    """Before the first stack trains: each data config of the batch fits its pool (``data.train_size=100000`` is a
    config error now, not once the stacks before it have trained). Each distinct ``data`` config is loaded once."""
    seen: set[str] = set()
    for jobs in stacks:
        for job in jobs:
            data = OmegaConf.to_container(job.cfg.data, resolve=True)
            key = json.dumps(data, sort_keys=True, default=str)
            if key in seen:
                continue
            seen.add(key)
            datamodule = instantiate_key(job.cfg, "data")
            if hasattr(datamodule, "check_splits"):  # the project's MNIST module (a data module of your own: its run)
                datamodule.check_splits()


def dropout_masks_line(jobs: list[StackJob], first_seed: int | None) -> str | None:
    """The line that says, for a stack with a member whose ``model.net.dropout`` is above 0, that its members'
    dropout masks are not their lone runs' (all are drawn from the generators seeded with the first member's seed,
    :mod:`~trainlab.stacked.stacked_mlp`), so their numbers differ from ``hydra/launcher=basic``'s; None without
    dropout. Said once per stack: a student comparing a member with its lone run would otherwise not know why."""
    from trainlab.sweep.job_dirs import job_number

    dropping = sorted((job.job_name for job in jobs if (OmegaConf.select(job.cfg, "model.net.dropout") or 0) > 0),
                      key=lambda name: (job_number(name), name))  # in job order, not the stack's optimizer order
    if not dropping:
        return None
    return (f"dropout (model.net.dropout > 0 in {', '.join(dropping)}): the members' dropout masks are drawn from "
            f"generators seeded with the first member's seed ({first_seed}) - independent between members and "
            "reproducible, but not the masks of their lone runs, so their numbers differ from hydra/launcher=basic's; "
            "hydra/launcher=basic gives a lone run's exact numbers")


def train_stack(jobs: list[StackJob], skipped: dict[int, SkippedJob] | None = None) -> list[float | None]:
    """Train ``jobs`` as one stack; returns each job's objective, in job order (see the module docstring).
    ``skipped``: what :func:`jobs_to_skip` returned for these jobs, when the caller has run it."""
    reuse_freed_heap_memory()  # once per process: no page faults on each step's fresh tensors
    objectives: list[float | None] = [None] * len(jobs)
    if skipped is None:
        skipped = jobs_to_skip(jobs)
    for index, skip in skipped.items():
        log.info(skip.line(jobs[index].job_name))
        objectives[index] = skip.objective
    todo = [index for index in range(len(jobs)) if index not in skipped]
    stack_jobs = [jobs[index] for index in todo]
    if not stack_jobs:
        return objectives
    for job in stack_jobs:
        claim_run_dir(Path(job.cfg.paths.output_dir), resuming_checkpoint=False,
                      resume_sweep=bool(job.cfg.get("resume_sweep")))
    first = stack_jobs[0].cfg
    # the members share their callbacks config: said once for the stack, as a lone run says it once
    if dropped := dropped_default_callbacks(first, stack_jobs[0].choices.get("callbacks")):
        log.warning(dropped)
    plans = member_plans(stack_jobs)
    datamodule: L.LightningDataModule = instantiate_key(first, "data")
    members = [build_member(job, datamodule, plan) for job, plan in zip(stack_jobs, plans, strict=True)]
    outputs = MemberOutputs(members)
    module = StackedClassifier([member.module for member in members], outputs, plans[0].divergence_check_every)
    outputs.stack = module
    # a Ctrl-C is the run's from the start of fit on; the members' val/* are measured at the last validation's step
    callbacks: list[L.Callback] = [outputs, StartupEnd(), outputs.last_validation]
    if plans[0].shutdown_checkpoint is not None:
        callbacks.append(StackShutdown(outputs))
    if plans[0].random_state:
        callbacks.append(RNGStateInCheckpoint())
    if plans[0].progress_bar is not None:
        callbacks.append(hydra.utils.instantiate(plans[0].progress_bar))
    callbacks += objective_reach_checks(first.get("optimized_metric"),  # a budget that ends before any validation
                                        resuming=any(job.cfg.get("ckpt_path") for job in stack_jobs))
    trainer: L.Trainer = instantiate_key(first, "trainer", callbacks=callbacks, logger=False,
                                         enable_checkpointing=True)  # MemberOutputs checkpoints
    # in the sweep's order; the stack's own order groups the members by optimizer class (trainlab.stacked.grouping)
    log.info("stack of %d members: %s", len(members),
             ", ".join(job.job_name for job in sorted(stack_jobs, key=lambda job: job.number)))
    first_seed = first.get("seed") if first.get("seed") is not None else members[0].drawn_seed
    if line := dropout_masks_line(stack_jobs, first_seed):
        log.info(line)
    L.seed_everything(first_seed, workers=True, verbose=False)
    try:
        trainer.fit(model=module, datamodule=datamodule)
        if outputs.settle_divergence() and first.get("test", True):
            trainer.test(model=module, datamodule=datamodule, verbose=False)
    except TrainingInterrupted as exc:
        outputs.finish(failure=str(exc), interrupted=True, saved_as=exc.saved_as)
        raise
    except Exception as exc:  # noqa: BLE001 - recorded for every member; the sweep goes on unless it is the user's
        failure = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        results = outputs.finish(failure=failure, stops_the_sweep=isinstance(exc, UserError))
        if isinstance(exc, UserError):
            raise
        log.exception("the stack of %d members failed; the sweep goes on", len(members))
        for index, objective in zip(todo, results, strict=True):
            objectives[index] = objective
        return objectives
    results = outputs.finish()
    for index, member, objective in zip(todo, members, results, strict=True):
        name = member.cfg.get("optimized_metric")
        if name and member.status == "completed" and objective is None:
            raise ConfigError(missing_objective_message(name, member.metrics))
        objectives[index] = objective
    return objectives
