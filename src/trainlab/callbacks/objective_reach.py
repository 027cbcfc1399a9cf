"""Refuse, before a sweep's job trains, an objective its validation will never compute.

A job of a multirun returns ``optimized_metric`` to the sweeper. When that is a validation metric (``val/acc``,
``eval/test_acc``) and the job's budget ends before Lightning first validates, the job trained to its end and only
then failed: ``experiment=compare_optimizers trainer.max_steps=20`` trains four optimizers for 20 steps, and an epoch
of the bundled split is 40 (validation runs at the end of every ``trainer.check_val_every_n_epoch``-th epoch, or
every ``trainer.val_check_interval`` batches). The number of batches an epoch has is known once the data is (the
bundled sample or full MNIST), so the check runs at the start of training, before its first step:

* the first validation comes after batch ``(check_val_every_n_epoch - 1) * batches_per_epoch + val_check_batch``;
* the run stops after ``max_steps`` steps, or ``max_epochs`` epochs of ``batches_per_epoch``, whichever is first.

A run that accumulates gradients, resumes from a checkpoint, has no training or validation batches, or never
validates is left alone (its step count is no batch count, its objective may come from an earlier session, or the
end of the run says what is missing).
"""

from __future__ import annotations

import math

import lightning as L

from trainlab.errors import ConfigError
from trainlab.models.metric_names import EVAL_METRIC_NAMES, validation_metric_names
from trainlab.typed_values import typed


def computed_by_validation(name: str | None) -> bool:
    """Whether the metric ``name`` comes out of the validation loop (``val/*``, ``eval/*``, ``val/acc_best``)."""
    return name in (*validation_metric_names(list(EVAL_METRIC_NAMES)), "val/acc_best")


def objective_reach_checks(metric: str | None, resuming: bool) -> list[L.Callback]:
    """The check for a sweep's job (or a stack of them) that returns ``metric``: none where the metric is not a
    validation metric or the run resumes from a checkpoint (its objective may come from an earlier session)."""
    return [ObjectiveReachCheck(metric)] if computed_by_validation(metric) and not resuming else []


def first_validation_and_last_batch(trainer: L.Trainer) -> tuple[int, float]:
    """(the batch after which Lightning first validates, the batch after which the run stops), counted from 1."""
    per_epoch = trainer.num_training_batches
    every = trainer.check_val_every_n_epoch
    first = trainer.val_check_batch if every is None else (every - 1) * per_epoch + trainer.val_check_batch
    last = math.inf
    if trainer.max_steps is not None and trainer.max_steps >= 0:
        last = trainer.max_steps
    if trainer.max_epochs is not None and trainer.max_epochs >= 0:
        last = min(last, trainer.max_epochs * per_epoch)
    return first, last


class ObjectiveReachCheck(L.Callback):
    """At the start of training: a :class:`ConfigError` when ``metric`` (the job's ``optimized_metric``, a validation
    metric) would never be computed before the run's budget ends (see the module docstring)."""

    def __init__(self, metric: str) -> None:
        self.metric = metric

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # checked once: off the trainer's list from now on, where Lightning would call its no-op hooks at every step
        # (~6 us a step each, ~1 % of a lone run's). A new list: Lightning goes on iterating the one it holds.
        trainer.callbacks = [callback for callback in trainer.callbacks if callback is not self]
        if (trainer.global_step > 0 or trainer.accumulate_grad_batches != 1 or trainer.limit_val_batches == 0
                or not math.isfinite(trainer.num_training_batches) or trainer.num_training_batches < 1):
            return
        first, last = first_validation_and_last_batch(trainer)
        if first <= last or not math.isfinite(first):  # a run that never validates is told so at its end
            return
        every, per_epoch = trainer.check_val_every_n_epoch, trainer.num_training_batches
        when = f"after {first} steps"
        if every is not None and first % per_epoch == 0:
            when += f" (the end of epoch {every} of {per_epoch} steps: trainer.check_val_every_n_epoch={every})"
        steps_bound = trainer.max_steps is not None and trainer.max_steps == last
        budget = f"trainer.max_steps={trainer.max_steps}" if steps_bound else f"trainer.max_epochs={trainer.max_epochs}"
        enough = (f"trainer.max_steps={first}" if steps_bound else
                  f"trainer.max_epochs={math.ceil(first / per_epoch)}")
        raise ConfigError(
            f"optimized_metric={typed(self.metric)} is computed by validation, which first runs {when}, and {budget} "
            f"stops the run after {int(last)} steps: the sweep would get no objective from it; nothing was trained. "
            f"allowed: a budget of at least {first} steps ({enough}), or optimized_metric=null for "
            "jobs that return no objective")
