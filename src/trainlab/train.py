"""The training task: compose -> instantiate -> fit -> test -> record -> return the optimised metric.

``train.py`` at the repository root wraps :func:`train` in ``@hydra.main``; tests and sweepers call the same
function. Everything is built from the config with ``hydra.utils.instantiate``:

* ``data``      -> a LightningDataModule
* ``model``     -> the LightningModule, given ``optimizer`` (a partial called with parameter groups), ``init``
  (a callable that initialises the network in place) and ``scheduler`` (null, or a partial called with the
  optimizer)
* ``callbacks`` / ``logger`` -> dicts of Lightning callbacks / loggers (any entry may be null)
* ``trainer``   -> ``lightning.Trainer``

Each through :func:`~trainlab.config_instantiation.instantiate_key`, so a value that a constructor rejects (a negative
``trainer.limit_train_batches``) is a one-line config error naming the key; the optimizer and schedule are built once
before anything is written (:func:`~trainlab.config_instantiation.build_optimizers`). Before that the output and data
directories (:mod:`trainlab.output_locations`) and a ``ckpt_path`` checkpoint (:mod:`trainlab.checkpoint_check`)
are checked, and every checkpoint records the run's config (:mod:`trainlab.callbacks.checkpoint_provenance`).

Every job ends with a ``status.json`` in its output directory (:mod:`trainlab.run_status`): ``completed``,
``diverged`` (NaN/Inf training loss, see :class:`~trainlab.callbacks.divergence_guard.DivergenceGuard`) or
``failed``. In a multirun a diverged or failed job returns ``objective_on_failure`` to the sweeper (no objective
when ``optimized_metric: null``) and the sweep goes on; a diverged single run raises
:class:`~trainlab.callbacks.divergence_guard.RunDiverged` once everything is recorded (``train.py`` exits with
status 3). Errors in the config itself stop everything before training starts.

A job of several processes (``trainer.devices > 1``, :mod:`trainlab.distributed`) starts its DDP ranks from its
resolved config unless a cluster launcher started them (SLURM tasks, ``torchrun``); each rank runs this function
with the job's :class:`~trainlab.job_context.JobContext`, and only rank 0 writes the job's files.
"""

from __future__ import annotations

import logging
import math
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Checkpoint, ProgressBar
from lightning.pytorch.loggers import Logger
from omegaconf import DictConfig, OmegaConf

from trainlab.callback_entries import dropped_default_callbacks
from trainlab.callbacks.checkpoint_provenance import CheckpointProvenance
from trainlab.callbacks.divergence_guard import DivergenceGuard, RunDiverged, initial_weights
from trainlab.callbacks.graceful_shutdown import GracefulShutdown, TrainingInterrupted, fit_stopped_early
from trainlab.callbacks.last_validation import LastValidation
from trainlab.callbacks.objective_reach import objective_reach_checks
from trainlab.callbacks.startup_end import StartupEnd
from trainlab.checkpoint_check import check_checkpoint, check_data_source, check_something_to_train, fit_budget_reached
from trainlab.checkpoint_path import resolve_checkpoint, sweep_job_ckpt_path, trains_from_start_line
from trainlab.checkpoint_read import read_checkpoint
from trainlab.compile_model import compile_network
from trainlab.config_instantiation import build_optimizers, instantiate_key
from trainlab.config_switches import check_switches
from trainlab.config_validation import check_optimized_metric, fetch_missing_data, validate_config
from trainlab.data.data_refusals import check_data_fits
from trainlab.distributed.job_checks import check_ddp_job, check_launched_processes
from trainlab.distributed.process_world import ddp_strategy, external_launcher, process_rank, world_size
from trainlab.distributed.rank_processes import train_in_rank_processes
from trainlab.errors import ConfigError, RecordedFileError, UserError
from trainlab.heap_reuse import reuse_freed_heap_memory
from trainlab.job_context import JobContext
from trainlab.loggers.hparams import logged_config, record_run_end, record_run_start, run_hparams
from trainlab.metric_values import metric_number
from trainlab.model_requirements import check_model_methods
from trainlab.models.network_check import check_network
from trainlab.output_locations import check_task_locations
from trainlab.own_targets import CLASSIFIER, MNIST_DATAMODULE
from trainlab.run_dir import claim_run_dir, job_to_skip
from trainlab.run_seed import draw_seed, seed_generators
from trainlab.run_status import read_status, status_line, write_status
from trainlab.submitit_requeue import forget_requeue, note_requeue, requeued_checkpoint, restarted_before_saving
from trainlab.sweep.worker_stop import StartupStop
from trainlab.validation_lag import ValidationLag, validation_lag

log = logging.getLogger(__name__)


def instantiate_dict(cfg: DictConfig | None, kind: str) -> list[Any]:
    """Instantiate every entry of a ``callbacks`` / ``logger`` dict that has a ``_target_`` (null entries skip)."""
    if not cfg:
        return []
    if not isinstance(cfg, DictConfig):
        raise TypeError(f"{kind} config must be a dict of {{name: {{_target_: ...}}}}, got {type(cfg).__name__}")
    objects = []
    for name, entry in cfg.items():
        if entry is None:
            continue
        if not (isinstance(entry, DictConfig) and "_target_" in entry):
            raise ValueError(f"{kind}.{name} has no _target_: every {kind} entry must name the class to build")
        objects.append(instantiate_key(cfg, str(name), label=f"{kind}.{name}"))
    return objects


def final_metrics(trainer: L.Trainer) -> dict[str, float]:
    return {name: metric_number(value) for name, value in trainer.callback_metrics.items() if value.numel() == 1}


def train(cfg: DictConfig, context: JobContext | None = None, data_source: str | None = None) -> float | None:
    """Run one training job described by ``cfg``; return ``cfg.optimized_metric``'s final value (or None).

    ``context``: the Hydra job's overrides and choices (read from Hydra when None; a DDP rank is handed its job's).
    ``data_source``: the source (``bundled`` | ``torchvision``) the project's data module uses without deciding
    ``data.source=auto`` itself - a DDP rank is handed the one its job's process resolved, so that it neither
    tries the download again (waiting up to ``data.download_timeout_s`` on a network that stalls) nor trains on
    other data than the job records.
    """
    started = time.monotonic()
    reuse_freed_heap_memory()  # once per process: no page faults on each step's fresh tensors
    context = context or JobContext.from_hydra()
    output_dir = Path(cfg.paths.output_dir)
    overrides = context.overrides
    rank = process_rank()
    writes_job_files = rank == 0  # under DDP only rank 0 writes status.json, logs and checkpoints
    check_switches(cfg)  # resume_sweep=no would count as true
    if cfg.get("resume_sweep"):
        skipped = job_to_skip(output_dir, overrides, context.ignored_override_keys, cfg.get("optimized_metric"),
                              cfg.get("objective_on_failure"))
        # finished before: not trained again, nor resumed from its last.ckpt - but a single run that set
        # resume_sweep: true in a config file and diverged trains again, to end with its exit status 3 (RunDiverged)
        if skipped is not None and (context.multirun or skipped.status == "completed"):
            log.info(skipped.line(output_dir.name))
            return skipped.objective

    # ---- build everything from the config: an error here is a config error and stops the (multi)run -----------
    validate_config(cfg)
    # said once: by the job's process, not again by the rank processes it starts (trainer=ddp)
    warns = writes_job_files and external_launcher() != "trainlab"
    if warns and (dropped := dropped_default_callbacks(cfg, context.choices.get("callbacks"))):
        log.warning(dropped)
    reports_objective = True
    if context.multirun:  # the sweeper is returned this metric: a job that cannot report it is refused before training
        check_optimized_metric(cfg, jobs="the sweep's jobs report")
    else:  # a single run's return value is only informative: a name it does not report is said before training
        try:
            check_optimized_metric(cfg, jobs="this run reports")
        except ConfigError as error:
            reports_objective = False
            if warns:
                log.warning("%s; this run returns no objective", error)
    check_task_locations(cfg)
    # resume_sweep=true ckpt_path=last: a job that left no last.ckpt trains from its start (trainlab/checkpoint_path.py)
    given_ckpt_path = sweep_job_ckpt_path(cfg.get("ckpt_path"), output_dir, bool(cfg.get("resume_sweep")))
    trains_from_start = given_ckpt_path is None and cfg.get("ckpt_path") is not None
    if trains_from_start and writes_job_files:
        log.info(trains_from_start_line(output_dir.name))
    # submitit requeued this job after it stopped at its time limit (trainlab/submitit_requeue.py): resume it
    requeued = requeued_checkpoint(output_dir) if given_ckpt_path is None else None
    if requeued is not None:
        log.info("submitit requeued this job: resuming from %s", requeued)
    ckpt_path = requeued or resolve_checkpoint(given_ckpt_path, output_dir)
    ckpt_name = f"ckpt_path={cfg.get('ckpt_path')}" if requeued is None else f"the requeued job's checkpoint {requeued}"
    checkpoint_entry = None
    if ckpt_path is not None:
        # the fit first, then the budget: see preflight
        checkpoint_entry = check_checkpoint(ckpt_path, cfg, name=ckpt_name, overrides=overrides, run_dir=output_dir)
        check_something_to_train(ckpt_path, cfg, output_dir, name=ckpt_name)
    check_launched_processes(cfg.trainer)  # a multirun's job (a single run's preflight checked it first)
    processes = world_size(cfg.trainer)
    launched_by = external_launcher() if processes > 1 else None
    if processes > 1 and launched_by != "trainlab":  # the job's own ranks: their job's process checked it
        data_source = check_ddp_job(cfg, processes, launched_by)  # data.source=auto decided here, for the ranks
    restarted = ckpt_path is None and restarted_before_saving(output_dir)  # submitit: requeued during start-up
    if restarted and writes_job_files:
        log.info("submitit started this job again after it stopped before saving anything: training it anew")
    if writes_job_files:
        fetch_missing_data(cfg)  # data.source=torchvision: a failed download before any of the run's files
        if ckpt_path is None:  # a resumed run's checkpoint is checked against the data source first (below)
            check_data_fits(cfg)  # splits that do not fit the pool, a damaged idx file: before the run's files too
        claim_run_dir(output_dir, resuming_checkpoint=ckpt_path is not None,
                      resume_sweep=bool(cfg.get("resume_sweep")) or restarted)
    if processes > 1 and launched_by is None:
        # the ranks run outside submitit's job environment: they are told the checkpoint this process chose - the
        # requeued job's, or none where the job trains from its start
        ranks_cfg = cfg
        if requeued is not None or trains_from_start:
            ranks_cfg = OmegaConf.merge(cfg, {"ckpt_path": None if requeued is None else str(requeued)})
        if cfg.get("seed") is None and ckpt_path is None:  # seed=null: one seed drawn for all the ranks
            context = replace(context, drawn_seed=draw_seed())
        return train_in_rank_processes(ranks_cfg, context, processes, started, data_source)
    seed = seed_generators(cfg.get("seed"), resuming=ckpt_path is not None, drawn=context.drawn_seed,
                           says=writes_job_files)
    datamodule: L.LightningDataModule = instantiate_key(cfg, "data")
    if data_source is not None and hasattr(datamodule, "use_source"):
        datamodule.use_source(data_source)
    init = instantiate_key(cfg, "init") if cfg.get("init") else None
    optimizer = instantiate_key(cfg, "optimizer")
    scheduler = instantiate_key(cfg, "scheduler") if cfg.get("scheduler") else None
    model: L.LightningModule = instantiate_key(cfg, "model", factories={"init": init}, optimizer=optimizer, init=init,
                                               scheduler=scheduler)
    check_model_methods(model, cfg)
    if hasattr(model, "net") and (cfg.model.get("_target_"), cfg.data.get("_target_")) == (CLASSIFIER,
                                                                                            MNIST_DATAMODULE):
        check_network(model.net, cfg)  # (B, 784) in, (B, classes) out; layers for init and weight decay
    build_optimizers(model, cfg, {"optimizer": optimizer, "scheduler": scheduler})
    if hasattr(model, "net"):  # the classifier's network (check_model_methods refused compile.enabled without one)
        compile_network(model.net, cfg.get("compile"))
    if processes > 1 and seed is not None:  # same initial weights; each rank its own dropout masks
        torch.manual_seed(seed + 1_000_003 * rank)
    # StartupEnd: a Ctrl-C is train.py's start-up's to answer until fit starts, then the run's
    last_validation = LastValidation()  # where val/* were measured: said at the end when before the last step
    callbacks = [*instantiate_dict(cfg.get("callbacks"), "callbacks"), CheckpointProvenance(cfg, overrides),
                 StartupEnd(), last_validation]
    if context.multirun:  # a budget that ends before any validation: the sweeper would get no objective
        callbacks += objective_reach_checks(cfg.get("optimized_metric"), resuming=ckpt_path is not None)
    if not cfg.trainer.get("enable_progress_bar", True):  # the switch also removes the bar configured in callbacks/
        callbacks = [callback for callback in callbacks if not isinstance(callback, ProgressBar)]
    loggers: list[Logger] = instantiate_dict(cfg.get("logger"), "logger")
    trainer_arguments = {}
    if "enable_checkpointing" not in cfg.trainer:  # else Lightning adds a ModelCheckpoint when none is configured
        trainer_arguments["enable_checkpointing"] = any(isinstance(callback, Checkpoint) for callback in callbacks)
    # Several processes: they exist, Lightning joins them instead of launching any. One: whatever trainer.strategy
    # names (ddp, ddp_spawn) would only start a process group around it.
    trainer_arguments["strategy"] = (ddp_strategy(cfg.trainer.get("accelerator"), launched_by) if processes > 1
                                     else "auto")
    trainer: L.Trainer = instantiate_key(cfg, "trainer", callbacks=callbacks, logger=loggers or False,
                                         **trainer_arguments)
    resolved_source = datamodule.resolve_source() if hasattr(datamodule, "resolve_source") else None
    if ckpt_path is not None:  # data.source=auto is decided now: the images the checkpoint's run trained on?
        check_data_source(checkpoint_entry, resolved_source, cfg, ckpt_path, ckpt_name, overrides)
        if writes_job_files:
            check_data_fits(cfg)
    if writes_job_files:
        record_run_start(trainer.loggers, logged_config(cfg, resolved_source),
                         run_hparams(cfg, context.choices, overrides, context.ignored_override_keys,
                                     resolved_source))

    # ---- run it: a runtime failure is recorded; in a multirun the sweep goes on ----------------------------------
    metrics: dict[str, float] = {}
    status, error = "completed", None
    diverged_at: int | None = None
    first_loss_diverged = False  # NaN/Inf with the initial weights, before any optimizer step
    earlier = earlier_sessions(output_dir, ckpt_path, cfg, ckpt_name) if writes_job_files else EarlierSessions()
    drawn_seed = seed if cfg.get("seed") is None else None
    lag: ValidationLag | None = None  # set at the end: val/* measured before the last step

    def save_status(objective: float | None) -> None:
        if not writes_job_files:
            return
        write_status(output_dir, status, overrides, {**earlier.metrics, **metrics}, objective,
                     earlier.wall_time_s + time.monotonic() - started, error, data_source=resolved_source,
                     drawn_seed=drawn_seed if drawn_seed is not None else earlier.drawn_seed,
                     data_digest=getattr(datamodule, "data_digest", None),
                     validated=lag.status_fields() if lag is not None else None)

    shutdown = next((c for c in callbacks if isinstance(c, GracefulShutdown)), None)
    if shutdown is not None:  # a signal after fit or the test, until status.json is written: as one during the test
        shutdown.hold_until_released()
    try:
        try:
            trainer.fit(model=model, datamodule=datamodule, ckpt_path=ckpt_path)
            metrics.update(final_metrics(trainer))
            guard = next((c for c in callbacks if isinstance(c, DivergenceGuard)), None)
            if (guard is not None and guard.diverged) or not math.isfinite(metrics.get("train/loss", 0.0)):
                status = "diverged"
                diverged_at = guard.diverged_at_step if guard is not None and guard.diverged else trainer.global_step
                first_loss_diverged = guard is not None and guard.diverged and guard.before_any_update
            elif cfg.get("test", True):
                trainer.test(model=model, datamodule=datamodule, verbose=False)
                metrics.update(final_metrics(trainer))
            if shutdown is not None:  # the run's last boundary: a signal since the test's end (or fit's) stops it
                shutdown.stop_if_signalled()
        except StartupStop:  # a worker's job stopped before training began (sweep/worker_stop.py): no status.json
            status = "interrupted"
            raise
        except TrainingInterrupted as exc:  # a signal: the checkpoint is saved; stop the run (and the sweep)
            status, error = "interrupted", str(exc)
            metrics = {**final_metrics(trainer), **metrics}
            save_status(None)
            exc.requeued = writes_job_files and note_requeue(output_dir, exc.signum, exc.checkpoint)
            raise
        except Exception as exc:  # noqa: BLE001 - recorded in status.json and the log, re-raised outside a multirun
            status, error = "failed", "".join(traceback.format_exception_only(type(exc), exc)).strip()
            metrics = {**final_metrics(trainer), **metrics}
            if isinstance(exc, UserError) or not context.multirun:
                save_status(None)
                raise
            log.exception("job %s failed; the sweep goes on", output_dir.name)
        finally:
            metrics = {**earlier.metrics, **metrics, "status/diverged": float(status == "diverged")}
            if writes_job_files:
                record_run_end(trainer.loggers, metrics, status, trainer.global_step)
                if status != "interrupted":  # ended: a later start in this directory is no requeue of this run
                    forget_requeue(output_dir)

        lag = validation_lag(status, last_validation.step, trainer.global_step, metrics)
        log.info(status_line(status, metrics, lag.clause(metrics) if lag is not None else None))
        if not context.multirun and writes_job_files:  # a sweep names its directory and summary at its end
            log.info("run directory: %s", output_dir)
        name = cfg.get("optimized_metric")
        objective = objective_value(name, metrics, status, cfg.get("objective_on_failure"))
        save_status(objective)
        if status == "diverged" and not context.multirun:  # a script chaining single runs must see it (exit status 3)
            raise RunDiverged(diverged_at, str(output_dir), initial_weights(cfg, context.choices) if first_loss_diverged
                              else None)
        if name and status == "completed" and objective is None:
            message = missing_objective_message(name, metrics)
            if context.multirun:  # the sweeper needs a number for this job
                raise ConfigError(message)
            # A single run's return value is only informative: a run shorter than an epoch, or with validation off,
            # has trained and saved its checkpoint correctly and exits 0.
            if writes_job_files and reports_objective:  # else said before training
                log.warning("%s; this run returns no objective", message)
        return objective
    finally:
        if shutdown is not None:  # the run is recorded: the handlers from before it are back
            shutdown.release()


@dataclass(frozen=True)
class EarlierSessions:
    """What the earlier sessions of a resumed run recorded in its ``status.json`` (see :func:`earlier_sessions`)."""

    metrics: dict[str, float] = field(default_factory=dict)  # training metrics (train/*; val/* too, see below)
    wall_time_s: float = 0.0  # their wall time, summed
    drawn_seed: int | None = None  # the seed its first session drew for seed=null (trainlab.run_seed)


def earlier_sessions(output_dir: Path, ckpt_path: Path | None, cfg: DictConfig, ckpt_name: str) -> EarlierSessions:
    """A run resumed from its ``last.ckpt`` in its own directory: the training metrics (``train/*``), the wall
    time and the drawn seed its earlier sessions recorded in ``status.json``. A training metric this session does not
    log again (``train/loss`` when no logging step comes after the resume) keeps its last value, as in a run never
    stopped, and the wall time is the sessions' sum. Validation metrics are this session's alone - an earlier
    session's were of another model - except where this session trains nothing: a run interrupted after its budget
    was reached (during its test, or between fit's end and the test) resumes only to test, the model its last session
    validated, whose ``val/*`` (and ``optimized_metric``) are the run's. Test metrics are this session's alone. An
    older checkpoint resumed (``epoch_000.ckpt``) drops what came after it."""
    if (ckpt_path is None or Path(ckpt_path).name != "last.ckpt"
            or not Path(ckpt_path).resolve().is_relative_to(output_dir.resolve())):
        return EarlierSessions()
    try:
        recorded = read_status(output_dir)
    except RecordedFileError as damaged:
        log.warning("%s; this session's status.json starts afresh", damaged)
        return EarlierSessions()
    if recorded is None:  # its last session was killed (SIGKILL, out of memory): what its loggers wrote is its record
        recorded = killed_sessions_record(output_dir)
    # the checkpoint at the end of the budget, or after early stopping ended training: this session tests the model
    # the last one validated
    checkpoint = read_checkpoint(Path(ckpt_path), ckpt_name)
    now = (OmegaConf.select(cfg, "trainer.max_epochs", default=None), OmegaConf.select(cfg, "trainer.max_steps",
                                                                                     default=-1))
    same_model = fit_budget_reached(checkpoint, cfg)[0] or fit_stopped_early(checkpoint, now)
    carried = {name: value for name, value in (recorded.get("metrics") or {}).items()
                if name.startswith("train/") or (same_model and not name.startswith(("test/", "status/")))}
    drawn = recorded.get("drawn_seed")
    return EarlierSessions(carried, float(recorded.get("wall_time_s") or 0.0),
                           drawn if isinstance(drawn, int) and not isinstance(drawn, bool) else None)


def killed_sessions_record(output_dir: Path) -> dict[str, Any]:
    """What a run killed outright left in place of its ``status.json``: the last value of each metric its loggers
    wrote (:func:`~trainlab.last_logged.read_last_logged`) and the wall time they span. A run killed during its
    test resumed only to test, and recorded no ``val/*`` and no objective - a sweep's resume stopped at it, "the
    optimized_metric was not logged"."""
    from trainlab.last_logged import read_last_logged

    logged = read_last_logged(output_dir)
    metrics = {name: value for name, value in logged.metrics.items() if "/" in name and not name.startswith("~")}
    return {"metrics": metrics, "wall_time_s": logged.wall_time_s or 0.0}


def missing_objective_message(name: str, metrics: dict[str, float]) -> str:
    """Why a run returns no objective: ``optimized_metric`` names a metric it did not log."""
    return (f"optimized_metric={name!r} was not logged (did validation run?); logged metrics: "
            f"{', '.join(sorted(metrics))}. Name one of them, or optimized_metric=null for runs that return no "
            "objective")


def objective_value(name: str | None, metrics: dict[str, float], status: str, on_failure: float | None):
    """The value returned to the sweeper: the optimised metric, or ``on_failure`` for a diverged / failed job. A run
    without ``optimized_metric`` (a comparison, ``optimized_metric: null``) returns None whatever its outcome: a
    diverged job's ``on_failure`` would be the sweep's only objective, and ``ranking.csv`` would rank by it."""
    if not name:
        return None
    if status != "completed":
        return on_failure
    return metrics.get(name)
