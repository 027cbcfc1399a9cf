"""Full MNIST (60,000 training / 10,000 test digits) through ``torchvision.datasets.MNIST``.

The files live in ``<data_dir>/MNIST/raw/`` as torchvision lays them out. They are downloaded only when missing,
and every file is checked (idx magic number and size, see :mod:`trainlab.data.idx_files`) before torchvision parses
it, so a truncated or foreign file is reported by name.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from trainlab.data.idx_files import check_idx_file
from trainlab.errors import DataError
from trainlab.output_locations import location_problem

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

RAW_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
RAW_FILE_NAMES = tuple(name for pair in RAW_FILES.values() for name in pair)


def raw_dir(data_dir: str | os.PathLike) -> Path:
    return Path(data_dir) / "MNIST" / "raw"


def missing_torchvision_files(data_dir: str | os.PathLike) -> list[str]:
    """Names of the four raw idx files that are not in :func:`raw_dir` (they are validated when loaded)."""
    return [name for name in RAW_FILE_NAMES if not (raw_dir(data_dir) / name).is_file()]


def torchvision_files_present(data_dir: str | os.PathLike) -> bool:
    """True when all four raw idx files exist."""
    return not missing_torchvision_files(data_dir)


def download_torchvision_mnist(data_dir: str | os.PathLike, timeout_s: float) -> None:
    """Download the missing MNIST files with a socket timeout of ``timeout_s``; raises on any failure."""
    from torchvision.datasets import MNIST

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout_s)
    try:
        for train in (True, False):
            MNIST(root=str(data_dir), train=train, download=True)
    finally:
        socket.setdefaulttimeout(previous)


def load_torchvision_mnist(data_dir: str | os.PathLike) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Return ``{"train"|"test": (uint8 images (N, 784), int64 labels)}`` from the validated raw files."""
    import torch  # here, as torchvision: a config check reads this module's file names without importing either
    from torchvision.datasets import MNIST

    splits = {}
    for split, (images_name, labels_name) in RAW_FILES.items():
        images_shape = check_idx_file(raw_dir(data_dir) / images_name, ndim=3, trailing_shape=(28, 28))
        labels_shape = check_idx_file(raw_dir(data_dir) / labels_name, ndim=1)
        if images_shape[0] != labels_shape[0]:
            raise DataError(f"MNIST {split} files disagree: {raw_dir(data_dir) / images_name} holds "
                             f"{images_shape[0]} images but {raw_dir(data_dir) / labels_name} holds "
                             f"{labels_shape[0]} labels")
        dataset = MNIST(root=str(data_dir), train=(split == "train"), download=False)
        splits[split] = (dataset.data.reshape(-1, 784).to(torch.uint8), dataset.targets.to(torch.int64))
    return splits


def torchvision_unavailable(data_dir: str | os.PathLike, download: bool) -> str | None:
    """Why ``source=torchvision`` can have no full MNIST in ``data_dir``, as far as is known without the network:
    its files are missing and ``download`` is false, or a download could not be saved (``data_dir`` cannot be
    written into); None when the files are there or a download may fetch them."""
    if torchvision_files_present(data_dir):
        return None
    if not download:
        return "data.download=false forbids downloading it"
    unwritable = location_problem(raw_dir(data_dir))
    return None if unwritable is None else f"it cannot be downloaded there: {unwritable}"


def missing_files_message(data_dir: str | os.PathLike, download: bool, why_not_downloaded: str) -> str:
    """Why ``data.source=torchvision`` has no data, where the files go, and the settings that work."""
    missing = missing_torchvision_files(data_dir)
    where = (f"is not in {raw_dir(data_dir)}" if len(missing) == len(RAW_FILE_NAMES)
             else f"in {raw_dir(data_dir)} lacks {', '.join(missing)}")
    hints = "" if download else "set data.download=true, "
    zipped = [f"{name}.gz" for name in missing if (raw_dir(data_dir) / f"{name}.gz").is_file()]
    if zipped:  # what MNIST's mirrors serve: torchvision unpacks them only as it downloads
        hints = f"unpack {', '.join(zipped)} there (gunzip), " + hints
    if "cannot be downloaded there" in why_not_downloaded:
        hints += "point data.data_dir at a directory this process can write to, "
    else:  # files kept elsewhere: data.data_dir names the folder above MNIST/raw, not raw itself
        hints += "point data.data_dir at the directory whose MNIST/raw holds them, "
    return (f"data.source=torchvision: full MNIST {where} (data.data_dir={data_dir}) and {why_not_downloaded}. "
            f"Put the four idx files there ({', '.join(RAW_FILE_NAMES)}), {hints}or train offline with "
            "data.source=bundled (the 5,000-image sample) or data.source=auto (full MNIST when it is available, "
            "else the sample)")
