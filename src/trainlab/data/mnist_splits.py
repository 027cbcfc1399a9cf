"""The project's MNIST module's training split, from its arguments alone: sizes, source, batches per epoch.

:class:`~trainlab.data.mnist_datamodule.MNISTDataModule` cuts its training pool into ``train_size`` training and
``val_size`` validation images by :func:`split_sizes` - the one place that rule lives. A check that runs before
anything is written (a sweep whose budget ends before its first validation:
:mod:`trainlab.objective_budget`) needs the number of training batches an epoch has, which follows from the same
rule, the pool's size (:func:`pool_size`) and ``batch_size``, without loading the data (it imports neither torch
nor Lightning): :func:`training_batches_per_epoch`.

The source of ``data.source=auto`` is decided as the module decides it, without the download it may try
(:func:`possible_sources`, which the module's decision uses): full MNIST when its four files are in ``data_dir`` (a
few ``stat`` calls), the bundled sample when a download is not allowed there
(:func:`~trainlab.data.torchvision_mnist.download_obstacle`: ``data.download=false``, or a ``data_dir`` that cannot
be written), either one otherwise (the download decides, when the job resolves its data).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from trainlab.data.data_choices import DEFAULT_VAL_SIZE
from trainlab.data.idx_files import check_idx_file
from trainlab.data.torchvision_mnist import RAW_FILES, download_obstacle, raw_dir, torchvision_files_present
from trainlab.errors import ConfigError, DataError

#: images in each source's training pool (bundled: its train + val splits, 400 + 50 per digit; torchvision: full
#: MNIST's training file, as a download brings it - files already there are counted by :func:`pool_size`).
#: tests/test_objective_budget.py checks the counts against the loaders the module makes.
POOL_SIZES = {"bundled": 4500, "torchvision": 60000}


def pool_size(source: str, data_dir: str) -> int:
    """The images in ``source``'s training pool in ``data_dir``: for ``torchvision`` where its files are there, the
    count in the train-images file's idx header (a header read: the module loads whatever idx files are there - a
    subset of one's own, the tests' tiny MNIST); else :data:`POOL_SIZES` (the bundled sample, or full MNIST as a
    download would bring it). A :class:`~trainlab.data.idx_files.IdxFileError` for a damaged file."""
    if source == "torchvision" and torchvision_files_present(data_dir):
        images = raw_dir(data_dir) / RAW_FILES["train"][0]
        return check_idx_file(images, ndim=3, trailing_shape=(28, 28))[0]
    return POOL_SIZES[source]


def split_sizes(source: str, pool_size: int, train_size: int | None, val_size: int | None) -> tuple[int, int]:
    """``(train_size, val_size)`` of a training pool of ``pool_size`` images of ``source`` (``bundled`` |
    ``torchvision``), from the module's ``train_size`` / ``val_size`` (None: the rest of the pool / the source's
    default), or a :class:`ConfigError` when they do not fit the pool (a :class:`DataError` for a pool of fewer than
    2 images, which no sizes fit)."""
    if pool_size < 2:  # no size of either split fits: said so, not "data.val_size at most 0"
        raise DataError(f"the {source} training pool holds {pool_size} image{'' if pool_size == 1 else 's'}: a "
                        "training and a validation split need at least 2 (one each)")
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
    if download_obstacle(data_dir, download) is not None:
        return ("bundled",)
    return ("bundled", "torchvision")


def training_batches_per_epoch(data: Mapping[str, Any]) -> dict[str, int] | None:
    """``{source: training batches per epoch}`` for each source the module of ``data`` (its config:
    ``source``, ``data_dir``, ``download``, ``train_size``, ``val_size``, ``batch_size``) may train on, in one
    process (no DDP): ``ceil(train_size / batch_size)``, as its loader cuts the split. None where the arguments are
    not the module's to tell (a value of the wrong type, splits that do not fit the pool, a damaged idx file - the
    data's own check refuses those)."""
    batch_size = data.get("batch_size", 100)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        return None
    try:
        sources = possible_sources(str(data.get("source", "auto")), str(data.get("data_dir", "data")),
                                   bool(data.get("download", True)))
        per_epoch = {}
        for source in sources:
            pool = pool_size(source, str(data.get("data_dir", "data")))
            train, _ = split_sizes(source, pool, data.get("train_size"), data.get("val_size"))
            per_epoch[source] = math.ceil(train / batch_size)
    except (ConfigError, DataError, KeyError, TypeError):
        return None
    return per_epoch
