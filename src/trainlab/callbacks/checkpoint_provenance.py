"""A ``trainlab`` entry in every checkpoint: the run that wrote it and the config it trained with.

    checkpoint["trainlab"] = {
        "format": 1,
        "run_dir": "/.../outputs/runs/2026-01-01_12-00-00",   # paths.output_dir of the run
        "overrides": ["optimizer=adam", ...],                   # its Hydra task overrides ([] outside Hydra)
        "config": {"model": {...}, "optimizer": {...}, "scheduler": {...} or None},   # resolved
    }

Plain values only, so the checkpoint still loads with ``torch.load(weights_only=True)``.
:mod:`trainlab.checkpoint_check` reads it to tell a trainlab checkpoint from any other file and to name what differs
between a checkpoint and the config it is resumed or evaluated with. Checkpoints written before the entry existed
have none; they are still accepted (recognised by their parameters).
"""

from __future__ import annotations

from typing import Any

import lightning as L
from omegaconf import DictConfig, OmegaConf

ENTRY = "trainlab"
FORMAT = 1
#: the config sections a checkpoint's state depends on: the network's weights, the optimizer's state, the schedule's
RECORDED_SECTIONS = ("model", "optimizer", "scheduler")


def provenance(cfg: DictConfig, overrides: list[str]) -> dict[str, Any]:
    """The entry for a run with config ``cfg`` (the training task's, ``paths.output_dir`` resolved)."""
    config = {section: OmegaConf.to_container(cfg[section], resolve=True) if cfg.get(section) is not None else None
              for section in RECORDED_SECTIONS}
    return {"format": FORMAT, "run_dir": str(cfg.paths.output_dir), "overrides": list(overrides), "config": config}


class CheckpointProvenance(L.Callback):
    """Writes :func:`provenance` into every checkpoint the Trainer saves."""

    def __init__(self, cfg: DictConfig, overrides: list[str]) -> None:
        self.entry = provenance(cfg, overrides)

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict) -> None:
        checkpoint[ENTRY] = self.entry
