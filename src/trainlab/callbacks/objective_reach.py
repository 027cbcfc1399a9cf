"""Refuse, at the start of a sweep's job's training, an objective its validation will never compute.

The backstop of :func:`trainlab.objective_budget.check_objective_reached`, which refuses such a job on its config
before anything is written where the config tells how many batches an epoch has (the project's MNIST module, one
process). For every other job - another data module, DDP, a Trainer setting that changes the count - the number of
batches an epoch has is known once the data is, so this check runs at the start of training, before its first
step, on the Trainer's own numbers, and refuses in the same words
(:func:`~trainlab.objective_budget.unreached_objective`; see :mod:`trainlab.objective_budget` for the count).

A run that accumulates gradients, resumes from a checkpoint, has no training or validation batches, validates on a
clock (a time ``val_check_interval``) or never validates is left alone (its step count is no batch count, its
objective may come from an earlier session, its first validation is not counted in batches, or the end of the run
says what is missing).
"""

from __future__ import annotations

import math

import lightning as L

from trainlab.objective_budget import computed_by_validation, first_validation_and_last_batch, unreached_objective

__all__ = ["ObjectiveReachCheck", "computed_by_validation", "objective_reach_checks", "trainer_counts"]


def objective_reach_checks(metric: str | None, resuming: bool) -> list[L.Callback]:
    """The check for a sweep's job (or a stack of them) that returns ``metric``: none where the metric is not a
    validation metric or the run resumes from a checkpoint (its objective may come from an earlier session)."""
    return [ObjectiveReachCheck(metric)] if computed_by_validation(metric) and not resuming else []


def trainer_counts(trainer: L.Trainer) -> tuple[int, float] | None:
    """(the batch after which ``trainer`` first validates, the batch after which its run stops), counted from 1; None
    where validation is not counted in batches (``val_check_interval`` a duration: Lightning's ``val_check_batch``
    is None, and validation runs when the time is up)."""
    if trainer.val_check_batch is None:
        return None
    return first_validation_and_last_batch(trainer.num_training_batches, trainer.check_val_every_n_epoch,
                                           trainer.val_check_batch, trainer.max_steps, trainer.max_epochs)


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
                or not math.isfinite(trainer.num_training_batches) or trainer.num_training_batches < 1
                or trainer_counts(trainer) is None):
            return
        refusal = unreached_objective(self.metric, trainer.num_training_batches, trainer.check_val_every_n_epoch,
                                      trainer.val_check_batch, trainer.max_steps, trainer.max_epochs)
        if refusal is not None:
            raise refusal
