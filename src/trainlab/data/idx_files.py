"""Checks of MNIST's idx files (the format of ``train-images-idx3-ubyte`` & co.) before anything reads them.

An idx file is a big-endian header - the magic number ``0x0000 08 D`` (``0x08`` = unsigned byte data, ``D`` = number of
dimensions), then ``D`` uint32 sizes - followed by ``prod(sizes)`` bytes. A missing, truncated or foreign file gets
an :class:`IdxFileError` that names the file, what was expected and what was found, instead of a reshape error deep
inside a loader. A labels file's labels are checked against the classes there are (:func:`check_idx_labels`): a label
out of range was found only by the loss, once the run had written its files (``IndexError: Target 11 is out of
bounds``).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from trainlab.errors import DataError

UNSIGNED_BYTE = 0x08


class IdxFileError(DataError):
    """An MNIST idx file is missing, truncated or not the idx file it should be."""


def unreadable(path: Path, error: OSError, kind: str = "file") -> IdxFileError:
    """The error for an idx file (or the ``kind`` of place that holds them: ``folder``) that cannot be read:
    ``MNIST file <path> cannot be read (permission denied)``."""
    reason = (error.strerror or type(error).__name__).lower()
    return IdxFileError(f"MNIST {kind} {path} cannot be read ({reason}); allowed: a {kind} this user can read")


def check_idx_file(path: str | os.PathLike, ndim: int, trailing_shape: tuple[int, ...] = ()) -> tuple[int, ...]:
    """Validate ``path`` as an unsigned-byte idx file with ``ndim`` dimensions; return its shape.

    ``trailing_shape`` fixes the sizes after the first one (``(28, 28)`` for MNIST images).
    """
    path = Path(path)
    header_size = 4 + 4 * ndim
    try:
        if not path.is_file():
            raise IdxFileError(f"MNIST file {path} is missing (expected an idx file with {ndim} dimension(s))")
        file_size = path.stat().st_size
        with path.open("rb") as f:
            header = f.read(header_size)
    except OSError as error:  # its folder or the file itself not readable (permissions), an I/O error
        raise unreadable(path, error) from error
    if len(header) < header_size:
        raise IdxFileError(f"MNIST file {path} is truncated: {file_size} bytes, shorter than its "
                           f"{header_size}-byte idx header")
    magic = struct.unpack(">I", header[:4])[0]
    expected_magic = (UNSIGNED_BYTE << 8) | ndim
    if magic != expected_magic:
        raise IdxFileError(f"MNIST file {path} has idx magic number 0x{magic:08x}, expected 0x{expected_magic:08x} "
                           f"(unsigned bytes, {ndim} dimension(s)); is it the right file, or still gzip-compressed?")
    shape = struct.unpack(f">{ndim}I", header[4:])
    if trailing_shape and tuple(shape[1:]) != tuple(trailing_shape):
        raise IdxFileError(f"MNIST file {path} holds items of shape {tuple(shape[1:])}, expected {trailing_shape}")
    payload = 1
    for size in shape:
        payload *= size
    expected_size = header_size + payload
    if file_size != expected_size:
        raise IdxFileError(f"MNIST file {path} is {file_size} bytes but its header {tuple(shape)} needs "
                           f"{expected_size} bytes: the file is truncated or corrupt")
    return tuple(shape)


def check_idx_labels(path: str | os.PathLike, classes: int, what: str) -> None:
    """Refuse the labels file ``path`` (checked by :func:`check_idx_file` first) holding a label that is not one of
    ``0 .. classes - 1`` (``what``: what the classes are, for the message). Reads the labels (a byte each: 60 KB for
    MNIST's training file), not the images."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            f.seek(8)  # magic number and the one size
            labels = f.read()
    except OSError as error:
        raise unreadable(path, error) from error
    largest = max(labels, default=0)
    if largest >= classes:
        beyond = sum(labels.count(bytes([label])) for label in range(classes, largest + 1))
        raise IdxFileError(f"MNIST file {path} holds labels up to {largest} ({beyond} of its {len(labels)} labels "
                           f"{'is' if beyond == 1 else 'are'} {classes} or more); allowed: 0-{classes - 1} ({what})")
