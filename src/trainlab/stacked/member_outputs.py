"""What each member of a stack writes: the files and logs its lone run would write, in its own job directory.

:class:`MemberOutputs` holds one :class:`Member` per job of the stack and is a Lightning callback of the stack's
Trainer. Per member:

* **loggers** - built from the member's own ``logger`` config (TensorBoard, CSV, ...), so its TensorBoard run is
  its job directory, as for a lone job. Values arrive as (K,) tensors and are written to member k's loggers
  with the tags and steps a lone run uses (one host transfer per call for all members and metrics); the
  hyper-parameters, and at the end the final metrics of the HPARAMS view, as :mod:`trainlab.train` records them.
* **checkpoints** - ``checkpoints/last.ckpt`` after every ``every_n_epochs`` training epochs when the member keeps
  one (``callbacks.last_checkpoint``), at its divergence, and on an interrupt. The stack's own checkpoint (loops,
  data position, random generators) is taken once; the model and optimizer parts are replaced by the member's,
  in the format of a lone :class:`~trainlab.models.classifier.MLPClassifier` and its optimizer, and the callback
  states are those its lone run's callbacks save (:func:`lone_stateful_callbacks`: its ``ModelCheckpoint`` callbacks and
  divergence guard - a diverged member resumed alone stays diverged at its step, as its lone run does), so
  ``trainlab evaluate`` reads it and ``ckpt_path=last`` resumes the member alone.
* **status** - ``status.json`` (completed / diverged / failed / interrupted, final metrics, objective, wall time).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra.utils import get_class, instantiate
from lightning.pytorch.callbacks import Checkpoint, ModelCheckpoint
from lightning.pytorch.loggers import Logger
from lightning.pytorch.utilities import rank_zero_warn
from omegaconf import DictConfig
from torch.optim import Optimizer

from trainlab.atomic_files import write_atomically
from trainlab.callbacks.checkpoint_provenance import ENTRY
from trainlab.callbacks.divergence_guard import DivergenceGuard
from trainlab.callbacks.graceful_shutdown import GracefulShutdown
from trainlab.callbacks.last_validation import LastValidation
from trainlab.loggers.hparams import HParamValue, record_run_end, record_run_start
from trainlab.metric_values import metric_number
from trainlab.models.classifier import MLPClassifier
from trainlab.models.metric_dtype import metric_dtype, metrics_follow
from trainlab.run_status import status_line, write_status
from trainlab.stacked.grouping import checkpoint_role
from trainlab.train import objective_value
from trainlab.validation_lag import validation_lag

log = logging.getLogger(__name__)


@dataclass
class Member:
    """One job of a stack: its config, its lone module (the checkpoint template) and what it has logged."""

    cfg: DictConfig
    name: str  # its job's name in the stack's log: the directory relative to the sweep's
    overrides: list[str]
    module: MLPClassifier
    optimizer: Optimizer  # the member's optimizer built the lone way, for the checkpoint format
    loggers: list[Logger]
    config: dict[str, Any]  # its resolved config, for hparams.yaml
    columns: dict[str, HParamValue]  # its HPARAMS columns
    resolved_source: str | None  # the data it trains on
    provenance: dict[str, Any]  # the run and config its checkpoints record (trainlab.callbacks.checkpoint_provenance)
    last_checkpoint: tuple[Path, int] | None  # (file, every_n_epochs) when it keeps checkpoints/last.ckpt
    shutdown_checkpoint: Path | None  # where an interrupt saves it
    status: str = "completed"
    error: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    diverged_at_step: int | None = None  # the step its divergence was seen (its lone run's last step)
    drawn_seed: int | None = None  # seed=null: the seed it drew (trainlab.run_seed)
    # its lone run's callbacks whose state a checkpoint holds, each with whether it keeps last.ckpt
    stateful_callbacks: list[tuple[L.Callback, bool]] = field(default_factory=list)
    saved_last: bool = False  # whether its last.ckpt was saved at an epoch end or its divergence
    number: int = 0  # its place in the sweep: its end is logged in that order, not the stack's

    @property
    def output_dir(self) -> Path:
        return Path(self.cfg.paths.output_dir)


def lone_stateful_callbacks(cfg: DictConfig) -> list[tuple[L.Callback, bool]]:
    """The callbacks of the member's config whose state a lone run's checkpoint holds - its ``ModelCheckpoint``
    callbacks and its divergence guard (the others the stack supports save none: Lightning keeps only a non-empty
    ``state_dict``) -, built from its config, each with whether it is the one that keeps ``last.ckpt``
    (:func:`~trainlab.stacked.grouping.checkpoint_role`). Their states, set as the lone run's would be, go into the
    member's checkpoints: without them a diverged member resumed alone (``ckpt_path=last``) checked its NaN loss
    again and stopped one step later, where its lone run's guard knows it diverged and reports its step."""
    found = []
    for name, entry in (cfg.get("callbacks") or {}).items():
        if entry is None:
            continue
        kind = get_class(entry._target_)
        if issubclass(kind, ModelCheckpoint):
            found.append((instantiate(entry), checkpoint_role(str(name), entry)[0] == "last"))
        elif issubclass(kind, DivergenceGuard):
            found.append((instantiate(entry), False))
    return sorted(found, key=lambda item: isinstance(item[0], Checkpoint))  # Lightning runs checkpoint callbacks last


def callback_states(member: Member) -> dict[str, dict[str, Any]]:
    """The ``callbacks`` part of the member's checkpoint, as its lone run's Trainer writes it (each callback's
    ``state_dict`` under its ``state_key``): the guard's divergence step, and the ``ModelCheckpoint`` that keeps
    ``last.ckpt`` recording it as its latest file once it has saved it (Lightning's ``best_model_path`` for a
    checkpoint without a monitor)."""
    states = {}
    for callback, keeps_last in member.stateful_callbacks:
        if isinstance(callback, DivergenceGuard):
            callback.diverged_at_step = member.diverged_at_step
        elif keeps_last and member.saved_last and member.last_checkpoint is not None:
            callback.best_model_path = str(Path(callback.dirpath) / member.last_checkpoint[0].name)
        states[callback.state_key] = callback.state_dict()
    return states


class MemberOutputs(Checkpoint):
    """The members' loggers, checkpoints and status files (see the module docstring).

    A Lightning ``Checkpoint`` callback, so that its ``on_train_epoch_end`` runs where a lone run's
    ``ModelCheckpoint`` runs: after the module's own hook.
    """

    def __init__(self, members: list[Member]) -> None:
        self.members = members
        self.started = time.monotonic()
        self.stack: Any = None  # the StackedClassifier, set by train_stack
        self.data_digest: str | None = None  # of the data the members share, once it is set up (on_fit_start)
        self.dtype = torch.float32  # of the values written: the stack's metric dtype, set at on_fit_start
        self.last_validation = LastValidation()  # a callback of the stack's Trainer too (train_stack adds it)
        # each member's event file is created here, by its first event: in the sweep's order, not the stack's, as
        # TensorBoard lists the runs by their first event's time (the stack's order groups the optimizers)
        for member in sorted(members, key=lambda member: member.number):
            record_run_start(member.loggers, member.config, member.columns)

    # ---- values -----------------------------------------------------------------------------------------------
    def write(self, step: int, epoch: int, values: dict[str, torch.Tensor],
            only: dict[str, list[bool]] | None = None) -> None:
        """Write ``values`` (each (K,)) for every member still training, at ``step`` with its ``epoch``."""
        names = list(values)
        # in the dtype a lone run logs them in (float32, or float64 under 64-true); one transfer for all members and
        # metrics
        table = torch.stack([values[name].detach().to(self.dtype) for name in names], dim=1).tolist()
        for index, (member, row) in enumerate(zip(self.members, table, strict=True)):
            if member.status != "completed":
                continue
            metrics = {name: value for name, value in zip(names, row, strict=True)
                       if only is None or name not in only or only[name][index]}
            if not metrics:  # ``only`` leaves this member out of every value
                continue
            member.metrics.update(metrics)
            for logger in member.loggers:
                logger.log_metrics({**metrics, "epoch": epoch}, step)

    def diverged(self, index: int, trainer: L.Trainer, step: int, loss: float) -> None:
        member = self.members[index]
        member.status, member.diverged_at_step = "diverged", step
        log.warning("%s: training loss is %s at step %d: the member diverged and is frozen there; the other members "
                    "go on", member.name, loss, step)
        if member.last_checkpoint is not None:
            self.save_checkpoints(trainer, [index], [member.last_checkpoint[0]])

    # ---- checkpoints ------------------------------------------------------------------------------------------
    def save_checkpoints(self, trainer: L.Trainer, indices: list[int], paths: list[Path], kept: bool = True) -> None:
        """Write member ``indices[i]``'s checkpoint to ``paths[i]``, each in a lone run's format. ``kept``: the save
        of its ``last.ckpt`` callback (an epoch end, its divergence), not an interrupt's."""
        if not indices:
            return
        stacked = trainer._checkpoint_connector.dump_checkpoint(weights_only=False)  # loops, data position, RNG
        shared = {key: value for key, value in stacked.items()
                  if key not in ("state_dict", "optimizer_states", "callbacks")}
        for index, path in zip(indices, paths, strict=True):
            member = self.members[index]
            member.saved_last = member.saved_last or kept
            self.stack.export_member(index, member.module)
            checkpoint = {**shared, "callbacks": callback_states(member), ENTRY: member.provenance,
                          "state_dict": member.module.state_dict(),
                          "optimizer_states": [self._member_optimizer_state(index)]}
            write_atomically(path, lambda handle, payload=checkpoint: torch.save(payload, handle))

    def _member_optimizer_state(self, index: int) -> dict[str, Any]:
        member = self.members[index]
        lone_params = dict(zip(self.stack.net.parameters(), self.stack.net.member_parameters(member.module.net),
                               strict=True))
        optimizer = self.stack.optimizers().optimizer
        return optimizer.member_state_dict(index, member.optimizer, lone_params)

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """The members' modules move to the stack's device and their networks take the dtype the precision gave
        the stack (``64-true``: float64), as Lightning moves and converts a lone run's module, so a member's
        checkpoint holds its tensors where a lone run's does (``cuda:0`` under ``trainer=gpu``). The values are
        written in the dtype of a lone run's metrics (:func:`~trainlab.models.metric_dtype.metric_dtype`: float64
        there), which the metric states of their checkpoints take too."""
        parameter = next(pl_module.parameters())
        self.dtype = metric_dtype(pl_module.net)
        self.data_digest = getattr(trainer.datamodule, "data_digest", None)  # set up by now: the members' status
        for member in self.members:
            member.module.to(device=parameter.device)
            member.module.net.to(dtype=parameter.dtype)
            metrics_follow(member.module, self.dtype)

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Lightning's warning to a lone run whose epoch has fewer batches than its logging interval (its fit loop
        asks the Trainer's loggers, and the stack's Trainer has none: the members' are written here)."""
        if (any(member.loggers for member in self.members) and not trainer.fast_dev_run
                and trainer.num_training_batches < trainer.log_every_n_steps):
            rank_zero_warn(f"The number of training batches ({trainer.num_training_batches}) is smaller than the "
                           f"logging interval Trainer(log_every_n_steps={trainer.log_every_n_steps}). Set a lower "
                           "value for log_every_n_steps if you want to see logs for the training epoch.")

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        due = [(index, member.last_checkpoint[0]) for index, member in enumerate(self.members)
               if member.status == "completed" and member.last_checkpoint is not None
               and (trainer.current_epoch + 1) % member.last_checkpoint[1] == 0]
        self.save_checkpoints(trainer, [index for index, _ in due], [path for _, path in due])

    def save_for_interrupt(self, trainer: L.Trainer) -> list[Path]:
        """On a signal: every member that trains and has a checkpoint location saves (returns the files). A member
        that diverged keeps the checkpoint of its divergence step, as its lone run stopped there."""
        due = [(index, member.shutdown_checkpoint) for index, member in enumerate(self.members)
               if member.status == "completed" and member.shutdown_checkpoint is not None]
        self.save_checkpoints(trainer, [index for index, _ in due], [path for _, path in due], kept=False)
        return [path for _, path in due]

    # ---- the end ----------------------------------------------------------------------------------------------
    def settle_divergence(self) -> bool:
        """After training (before test and :meth:`finish`): a member whose last training loss is NaN/Inf is
        ``diverged`` (what decides a lone run without the divergence guard); it is not tested. Returns whether any
        member is still ``completed``."""
        for member in self.members:
            if member.status == "completed" and not math.isfinite(member.metrics.get("train/loss", 0.0)):
                member.status = "diverged"
        return any(member.status == "completed" for member in self.members)

    def finish(self, failure: str | None = None, interrupted: bool = False,
               saved_as: Callable[[Path], str] | None = None, stops_the_sweep: bool = False) -> list[float | None]:
        """Status, final HPARAMS and loggers of every member; returns each member's objective. ``saved_as``: a
        function of a member's checkpoint file giving its error line (an interrupt: each member names its own).
        ``stops_the_sweep``: the failure is the user's (a :class:`~trainlab.errors.UserError`, refused at the start
        of training): no objective, as a lone run's ``status.json`` has none then - the sweep stops, nothing is
        returned to its sweeper (not ``objective_on_failure``, which is a failed training's)."""
        objectives, ends = [], []
        wall_time = time.monotonic() - self.started
        final_step = self.stack.global_step  # where the HPARAMS metric scalars go, as for a lone run
        try:
            for member in self.members:
                if failure is not None and member.status == "completed":
                    own = saved_as(member.shutdown_checkpoint) if saved_as and member.shutdown_checkpoint else failure
                    member.status, member.error = ("interrupted" if interrupted else "failed"), own
                metrics = {**{name: metric_number(value, self.dtype) for name, value in member.metrics.items()},
                           "status/diverged": float(member.status == "diverged")}
                ended_at = final_step if member.diverged_at_step is None else member.diverged_at_step  # as its lone run
                lag = validation_lag(member.status, self.last_validation.step, final_step, metrics)
                record_run_end(member.loggers, metrics, member.status, ended_at)
                objective = None if interrupted or stops_the_sweep else objective_value(
                    member.cfg.get("optimized_metric"), metrics, member.status, member.cfg.get("objective_on_failure"))
                # a lone run's status.json on a refusal holds the metrics so far, without status/diverged (train.py)
                recorded = {name: value for name, value in metrics.items()
                            if not (stops_the_sweep and name == "status/diverged")}
                write_status(member.output_dir, member.status, member.overrides, recorded, objective, wall_time,
                             member.error, data_source=member.resolved_source, drawn_seed=member.drawn_seed,
                             data_digest=self.data_digest, validated=lag.status_fields() if lag is not None else None)
                ends.append((member.number, member.name,
                             status_line(member.status, metrics, lag.clause(metrics) if lag is not None else None)))
                objectives.append(objective)
        finally:  # in the sweep's order, as the basic launcher's jobs end (the stack's order groups the optimizers)
            for _, name, line in sorted(ends):
                log.info("%s: %s", name, line)
        return objectives


class StackShutdown(GracefulShutdown):
    """Ctrl-C / SIGTERM in a stack: at the step boundary every member saves its own ``last.ckpt``."""

    def __init__(self, outputs: MemberOutputs) -> None:
        super().__init__(dirpath=".")
        self.outputs = outputs

    def keeps_checkpoints(self, trainer: L.Trainer) -> bool:
        """Whether the members' config keeps ``last.ckpt`` (a search's stack saves none on a stop where it does not:
        :meth:`GracefulShutdown.saves_on_stop`)."""
        return any(member.last_checkpoint is not None for member in self.outputs.members)

    def save_checkpoint(self, trainer: L.Trainer) -> Path:
        saved = self.outputs.save_for_interrupt(trainer)
        return saved[0] if saved else self.outputs.members[0].output_dir
