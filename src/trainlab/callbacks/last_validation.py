"""``LastValidation``: the step of a run's last validation, for :mod:`trainlab.validation_lag`."""

from __future__ import annotations

import lightning as L


class LastValidation(L.Callback):
    """Records the step at which the last validation's metrics are logged (``trainer.global_step - 1``: the step of
    the batch it follows, where Lightning and the stack log them); the sanity check is no validation."""

    def __init__(self) -> None:
        self.step: int | None = None

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.sanity_checking:
            self.step = trainer.global_step - 1
