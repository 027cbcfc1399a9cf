"""Lightning ``CheckpointIO`` that writes checkpoints atomically (temporary file, fsync, rename).

A checkpoint whose writing fails midway - a full disk, a kill - leaves the previous file of that name intact.
"""

from __future__ import annotations

from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from trainlab.atomic_files import write_atomically


class AtomicCheckpointIO(TorchCheckpointIO):
    """``torch.save`` into a temporary file beside the target, then ``os.replace`` it over the target."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options: Any | None = None) -> None:
        if storage_options is not None:
            raise TypeError("AtomicCheckpointIO takes no storage_options")
        write_atomically(path, lambda handle: torch.save(checkpoint, handle))
