"""``trainer.val_check_interval`` as a number of batches, against the training batches of an epoch, before anything
is written.

Lightning takes any integer there, and refuses one larger than an epoch's training batches only as ``fit`` starts
(``ValueError: val_check_interval (100000) must be less than or equal to the number of the training batches (5)``):
a traceback after the run directory, its ``.hydra/`` and its logs were written. :func:`check_interval_fits_an_epoch`
counts the batches as the project's MNIST module cuts its training split
(:func:`~trainlab.data.mnist_splits.training_batches_per_epoch`), as Lightning then limits them
(``trainer.overfit_batches``, ``trainer.limit_train_batches``), and refuses the interval where it exceeds them for
every source the run may train on. Not where validation counts batches across epochs
(``trainer.check_val_every_n_epoch=null``, which Lightning allows any interval), nor for a data module of one's own.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf

from trainlab.errors import ConfigError
from trainlab.objective_budget import is_integer, overfit_batches_per_epoch
from trainlab.own_targets import MNIST_DATAMODULE


def limited_batches(limit: Any, per_epoch: int) -> int | None:
    """The training batches of an epoch under ``trainer.limit_train_batches`` = ``limit``, as Lightning counts them:
    None or 1.0 all, an integer n the first n, a fraction f of (0, 1) ``int(f * per_epoch)``; None for a value this
    module does not follow."""
    if limit is None or (isinstance(limit, float) and limit == 1.0):
        return per_epoch
    if is_integer(limit) and limit >= 0:
        return min(per_epoch, limit)
    if isinstance(limit, float) and 0 < limit < 1:
        return int(per_epoch * limit)
    return None


def check_interval_fits_an_epoch(task: DictConfig) -> None:
    """Refuse (:class:`~trainlab.errors.ConfigError`) an integer ``trainer.val_check_interval`` larger than the
    training batches of an epoch (see the module docstring)."""
    trainer = task.get("trainer")
    if not isinstance(trainer, DictConfig) or OmegaConf.select(task, "data._target_") != MNIST_DATAMODULE:
        return
    interval = trainer.get("val_check_interval")
    if not is_integer(interval) or trainer.get("check_val_every_n_epoch", 1) is None:
        return
    from trainlab.data.mnist_splits import training_batches_per_epoch

    per_source = training_batches_per_epoch(OmegaConf.to_container(task.data, resolve=True))
    if not per_source:
        return
    counts = []
    for all_batches in per_source.values():
        per_epoch = overfit_batches_per_epoch(trainer.get("overfit_batches"), all_batches)
        per_epoch = None if per_epoch is None else limited_batches(trainer.get("limit_train_batches"), per_epoch)
        if per_epoch is None or interval <= per_epoch:
            return  # a count this module does not follow, or a source the interval fits
        counts.append(per_epoch)
    batches = max(counts)
    raise ConfigError(
        f"trainer.val_check_interval={interval} is more than the {batches} training batches of an epoch (Lightning "
        f"refuses it as training starts); allowed: an integer from 1 to {batches}, a fraction of the epoch in (0, 1], "
        "or trainer.check_val_every_n_epoch=null to validate every val_check_interval batches across epochs")
