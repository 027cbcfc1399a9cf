"""The names of the metrics :class:`~trainlab.models.classifier.MLPClassifier` logs, by split and setting.

Kept apart from the model so that a config check (``trainlab.config_validation``: which metric may a callback
monitor, which may a search optimize) answers before Hydra writes anything, without importing Lightning - and which
way a metric is best, by its name (:func:`natural_direction`): how a sweep ranks its jobs, and the ``mode`` a
callback or plateau schedule watching it needs.
"""

from __future__ import annotations

# split evaluated in the validation loop -> (loss name, accuracy name)
EVAL_METRIC_NAMES = {"val": ("val/loss", "val/acc"), "train": ("eval/train_loss", "eval/train_acc"),
                     "test": ("eval/test_loss", "eval/test_acc")}


def validation_metric_names(eval_splits: list[str]) -> list[str]:
    """The metrics each validation computes: loss and accuracy of every evaluated split."""
    return [name for split in eval_splits for name in EVAL_METRIC_NAMES[split]]


def epoch_metric_names(eval_splits: list[str], weight_decay: float, has_scheduler: bool) -> list[str]:
    """Every metric an epoch of :class:`MLPClassifier` leaves in ``trainer.callback_metrics`` - what a callback's
    ``monitor`` (checkpointing, early stopping) can watch."""
    names = validation_metric_names(eval_splits) + (["val/acc_best"] if "val" in eval_splits else [])
    names += ["train/acc", "train/loss"] + (["train/lr"] if has_scheduler else [])
    return names + (["train/weight_penalty", "train/total_loss"] if weight_decay > 0 else [])


def natural_direction(metric: str | None) -> str | None:
    """Which way a metric is best: ``minimize`` for a loss (``val/loss``), ``maximize`` for an accuracy
    (``val/acc``), None for anything else."""
    leaf = (metric or "").rpartition("/")[2]
    return "minimize" if "loss" in leaf else "maximize" if "acc" in leaf else None
