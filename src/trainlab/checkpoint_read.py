"""Read a checkpoint file as plain values and tensors, or say in one line what the file is instead.

:func:`read_checkpoint` loads with ``torch.load(weights_only=True)`` (tensors and plain values only: nothing in the
file is executed) after checking the archive's stored CRC-32s (``torch.load`` does not), and wants a Lightning
checkpoint (``state_dict``, ``pytorch-lightning_version``). An empty, truncated or damaged file, another kind of file,
a bare ``state_dict`` or a pickled object are each named as such in a :class:`~trainlab.errors.CheckpointError`.

Torch alone: ``trainlab evaluate --ckpt best`` reads ``last.ckpt``'s records here before it knows whether there is a
best epoch to evaluate, and a run without one is told so without importing Lightning
(:mod:`trainlab.checkpoint_check`, which checks a checkpoint against a config, needs it).
"""

from __future__ import annotations

import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import torch

from trainlab.errors import CheckpointError

KEYS_SHOWN = 4  # a foreign file's keys named in its message
TAKES = "a checkpoint that a trainlab run wrote (<run dir>/checkpoints/last.ckpt)"


def subject(name: str, path: Path) -> str:
    """How the message names the file: ``ckpt_path=/x.ckpt``, or ``ckpt_path=last (/run/checkpoints/last.ckpt)``."""
    return name if str(path) in name else f"{name} ({path})"


def takes(name: str) -> str:
    """``ckpt_path takes ...`` / ``--ckpt takes ...``: what the option that named the file expects."""
    return f"{name.split('=')[0].split()[0]} takes {TAKES}"


def read_checkpoint(path: Path, name: str) -> dict[str, Any]:
    """The checkpoint in ``path`` as plain values and tensors, or a CheckpointError saying what the file is."""
    who = subject(name, path)
    if path.stat().st_size == 0:
        raise CheckpointError(f"{who} is an empty file, not a checkpoint; {takes(name)}")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"{who} is not a checkpoint: not a PyTorch archive (a truncated or damaged checkpoint, "
                              f"or another kind of file); {takes(name)}")
    check_stored_crcs(path, who, name)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:  # weights_only refused a pickled object
        found = re.search(r"GLOBAL (\S+)", str(error))
        what = f" ({found.group(1)})" if found else ""
        raise CheckpointError(f"{who} holds pickled Python objects{what}, not only tensors and plain values, and is "
                              "not loaded: it was not written by trainlab, or an object of your own code (an "
                              "optimizer's, schedule's or callback's state) put them there; "
                              f"{takes(name)}") from error
    except Exception as error:  # noqa: BLE001 - any other reading failure: a damaged archive, said so with its cause
        cause = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise CheckpointError(f"{who} is a damaged PyTorch archive ({type(error).__name__}: {cause}); "
                              f"{takes(name)}") from error
    if not (isinstance(checkpoint, dict) and "state_dict" in checkpoint and "pytorch-lightning_version" in checkpoint):
        held = (f"keys {', '.join(map(str, list(checkpoint)[:KEYS_SHOWN]))}" if isinstance(checkpoint, dict)
                else f"a {type(checkpoint).__name__}")
        raise CheckpointError(f"{who} is a PyTorch file but not a Lightning checkpoint (it holds {held}); "
                              f"{takes(name)}")
    return checkpoint


def check_stored_crcs(path: Path, who: str, name: str) -> None:
    """Raise :class:`CheckpointError` naming the first entry of the archive in ``path`` whose bytes fail the CRC-32
    it was written with. ``torch.load`` does not check them: a checkpoint whose tensors were overwritten on disk
    (a bad sector, a partial copy over it) loaded, and ``trainlab evaluate`` printed the loss of garbage weights, a
    resume trained on from them. One read of the file: milliseconds for this project's checkpoints (MBs)."""
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, EOFError, OSError) as error:  # a damaged directory or header: said with its cause
        raise CheckpointError(f"{who} is a damaged PyTorch archive ({type(error).__name__}: {error}); "
                              f"{takes(name)}") from error
    if damaged is not None:
        raise CheckpointError(f"{who} is a damaged checkpoint: its entry {damaged} does not match the CRC it was "
                              f"written with (the file was changed or corrupted after it was saved); {takes(name)}")
