"""A callback for tests: the global step stored in checkpoints/last.ckpt at the start of every training epoch."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch


class LastCheckpointProbe(L.Callback):
    seen: list[int | None] = []  # one entry per epoch start: last.ckpt's global_step, or None when there is none

    def __init__(self, dirpath: str) -> None:
        self.path = Path(dirpath) / "last.ckpt"
        LastCheckpointProbe.seen = []

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        step = torch.load(self.path, weights_only=False)["global_step"] if self.path.is_file() else None
        LastCheckpointProbe.seen.append(step)
