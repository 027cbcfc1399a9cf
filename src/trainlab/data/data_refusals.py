"""The project's MNIST module's own refusals of its data, asked before anything is written.

What the data module would refuse once the run's files exist - ``data.train_size`` / ``data.val_size`` that do not
fit the training pool (:func:`~trainlab.data.mnist_splits.split_sizes`), a missing, truncated or foreign idx file, a
split whose images and labels disagree in number, labels other than MNIST's digits 0-9
(:func:`~trainlab.data.torchvision_mnist.check_torchvision_files`), a ``data.data_dir`` this user cannot look into for
the bundled sample's cache (:mod:`~trainlab.data.bundled_cache_folder`) - :func:`check_data_fits` refuses from the
config, before Hydra makes the run or sweep directory (:mod:`trainlab.preflight`, a basic sweep's jobs by
:func:`~trainlab.sweep.first_job.check_first_job`) and before the task writes its event files, ``hparams.yaml`` and
``status.json`` (:func:`trainlab.train.train`). A refused run used to leave a failed run directory that TensorBoard
showed as a run, and a basic sweep its ``multirun.yaml`` and first job's directory.

It reads the idx headers and the labels files (70 KB for full MNIST), never the images: the module reads those once,
when the run loads its data. The bundled sample's pool is known without reading it
(:data:`~trainlab.data.mnist_splits.POOL_SIZES`). It imports neither torch nor Lightning.
"""

from __future__ import annotations

import json
from typing import Any

from omegaconf import DictConfig, OmegaConf

from trainlab.data.bundled_cache_folder import check_cache_folder
from trainlab.data.mnist_splits import POOL_SIZES, possible_sources, split_sizes
from trainlab.data.torchvision_mnist import check_torchvision_files, torchvision_files_present
from trainlab.errors import ConfigError
from trainlab.own_targets import MNIST_DATAMODULE


def check_data_fits(cfg: DictConfig) -> None:
    """Refuse (:class:`~trainlab.errors.ConfigError` for the splits, :class:`~trainlab.errors.DataError` for a file)
    the data of ``cfg`` (a composed run or job config, its values checked by
    :func:`~trainlab.config_validation.validate_config`) that the project's MNIST module would refuse as it loads: for
    each source it may train on (:func:`~trainlab.data.mnist_splits.possible_sources`) the files there and the splits
    against their pool. ``data.source=auto`` where a download decides between the bundled sample and full MNIST is
    refused only where both would be. Nothing for another data module, or for full MNIST not on disk (the download
    brings MNIST's own files)."""
    if OmegaConf.select(cfg, "data._target_") != MNIST_DATAMODULE:
        return
    data = OmegaConf.to_container(cfg.data, resolve=True)
    data_dir = str(data.get("data_dir", "data"))
    sources = possible_sources(str(data.get("source", "auto")), data_dir, bool(data.get("download", True)))
    if "bundled" in sources:
        check_cache_folder(data_dir)  # a folder this user cannot look into
    sizes = [data.get(key) for key in ("train_size", "val_size")]
    if not all(size is None or is_int(size) for size in sizes):
        return  # the module's own arguments check words it
    refusals = []
    for source in sources:
        pool = (check_torchvision_files(data_dir)["train"] if source == "torchvision"
                and torchvision_files_present(data_dir) else POOL_SIZES[source])
        try:
            split_sizes(source, pool, *sizes)
        except ConfigError as error:
            refusals.append(error)
            continue
        return  # this source fits: the data module may train on it
    if refusals:
        raise refusals[0]


def check_data_fits_once(cfg: DictConfig, checked: set[str]) -> None:
    """:func:`check_data_fits` of ``cfg`` unless a data config alike was checked (``checked``: their JSON, which
    this one joins once it passes): the files are read once for all the jobs or trials that share them."""
    if not isinstance(cfg.get("data"), DictConfig):
        return
    data = json.dumps(OmegaConf.to_container(cfg.data, resolve=True), sort_keys=True, default=str)
    if data not in checked:
        check_data_fits(cfg)
        checked.add(data)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
