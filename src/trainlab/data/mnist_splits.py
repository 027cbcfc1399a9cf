"""The project's MNIST module's training split, from its arguments alone: sizes, source, batches per epoch.

:class:`~trainlab.data.mnist_datamodule.MNISTDataModule` cuts its training pool into ``train_size`` training and
``val_size`` validation images by :func:`split_sizes` - the one place that rule lives. A check that runs before
anything is written (a sweep whose budget ends before its first validation:
:mod:`trainlab.objective_budget`) needs the number of training batches an epoch has, which follows from the same
rule, the pool's size (:data:`POOL_SIZES`) and ``batch_size``, without loading the data (it imports neither torch
nor Lightning): :func:`training_batches_per_epoch`.

The source of ``data.source=auto`` is decided as the module decides it, without the download it may try
(:func:`possible_sources`): full MNIST when its four files are in ``data_dir`` (a few ``stat`` calls), the bundled
sample when a download is not allowed there (``data.download=false``, or a ``data_dir`` that cannot be written),
either one otherwise (the download decides, when the job resolves its data).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from trainlab.data.data_choices import DEFAULT_VAL_SIZE
from trainlab.data.torchvision_mnist import raw_dir, torchvision_files_present
from trainlab.errors import ConfigError
from trainlab.output_locations import location_problem

#: images in each source's training pool (bundled: its train + val splits, 400 + 50 per digit; torchvision: full
#: MNIST's training file). tests/test_mnist_splits.py checks them against the pools the module loads.
POOL_SIZES = {"bundled": 4500, "torchvision": 60000}


def split_sizes(source: str, pool_size: int, train_size: int | None, val_size: int | None) -> tuple[int, int]:
    """``(train_size, val_size)`` of a training pool of ``pool_size`` images of ``source`` (``bundled`` |
    ``torchvision``), from the module's ``train_size`` / ``val_size`` (None: the rest of the pool / the source's
    default), or a :class:`ConfigError` when they do not fit the pool."""
    val = val_size if val_size is not None else DEFAULT_VAL_SIZE[source]
    train = train_size if train_size is not None else pool_size - val
    if train < 1 or train + val > pool_size:
        train_given = "null (the rest of the pool)" if train_size is None else train_size
        val_given = f"null (default {val})" if val_size is None else val_size
        raise ConfigError(
            f"data.train_size={train_given} + data.val_size={val_given} do not fit the {source} "
            f"training pool of {pool_size} images; allowed: data.val_size at most {pool_size - 1} "
            f"(default {DEFAULT_VAL_SIZE[source]}) and data.train_size + data.val_size at most {pool_size}"
        )
    return train, val


def possible_sources(source: str, data_dir: str, download: bool) -> tuple[str, ...]:
    """The concrete sources (``bundled`` | ``torchvision``) a module of ``source`` may train on (see the module
    docstring): one, or both for ``auto`` where a download would decide."""
    if source != "auto":
        return (source,)
    if torchvision_files_present(data_dir):
        return ("torchvision",)
    if not download or location_problem(raw_dir(data_dir)) is not None:
        return ("bundled",)
    return ("bundled", "torchvision")


def training_batches_per_epoch(data: Mapping[str, Any]) -> dict[str, int] | None:
    """``{source: training batches per epoch}`` for each source the module of ``data`` (its config:
    ``source``, ``data_dir``, ``download``, ``train_size``, ``val_size``, ``batch_size``) may train on, in one
    process (no DDP): ``ceil(train_size / batch_size)``, as its loader cuts the split. None where the arguments are
    not the module's to tell (a value of the wrong type, splits that do not fit the pool - the data's own check
    refuses those)."""
    batch_size = data.get("batch_size", 100)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        return None
    try:
        sources = possible_sources(str(data.get("source", "auto")), str(data.get("data_dir", "data")),
                                   bool(data.get("download", True)))
        per_epoch = {}
        for source in sources:
            train, _ = split_sizes(source, POOL_SIZES[source], data.get("train_size"), data.get("val_size"))
            per_epoch[source] = math.ceil(train / batch_size)
    except (ConfigError, KeyError, TypeError):
        return None
    return per_epoch
