"""Per-layer activation and weight histograms in TensorBoard during training (the book's Figs. 6-10..14, live).

Every ``every_n_steps`` optimizer steps the callback hooks the network's activation modules (ReLU / Sigmoid / Tanh)
for that one training step only, so it sees the activations of the real forward pass and costs nothing on the
other steps: no extra forward, no random numbers drawn (dropout stays in step with a run without the callback).
It writes ``activations/layer<i>`` (output of the i-th activation) and ``weights/layer<i>`` (the i-th Linear
weight) as TensorBoard histograms. Loggers other than TensorBoard are ignored, with one warning.
"""

from __future__ import annotations

import logging

import lightning as L
import torch
from lightning.pytorch.loggers import TensorBoardLogger
from torch import nn

log = logging.getLogger(__name__)

ACTIVATION_TYPES = (nn.ReLU, nn.Sigmoid, nn.Tanh)


class ActivationHistograms(L.Callback):
    """Log activation and weight histograms every ``every_n_steps`` steps (step 0 included)."""

    def __init__(self, every_n_steps: int = 100) -> None:
        if every_n_steps < 1:
            raise ValueError(f"callbacks.activation_histograms.every_n_steps={every_n_steps} must be >= 1")
        self.every_n_steps = every_n_steps
        self._handles: list[torch.utils.hooks.RemovableHandle] = []
        self._captured: dict[int, torch.Tensor] = {}

    @staticmethod
    def _writer(trainer: L.Trainer):
        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger):
                return logger.experiment
        return None

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._writer(trainer) is None:
            log.warning("ActivationHistograms needs the TensorBoard logger (logger=tensorboard); it will log nothing")

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step % self.every_n_steps or self._writer(trainer) is None:
            return
        activations = [m for m in pl_module.modules() if isinstance(m, ACTIVATION_TYPES)]
        for index, module in enumerate(activations, start=1):
            def capture(module, inputs, output, index=index):
                self._captured[index] = output.detach()

            self._handles.append(module.register_forward_hook(capture))

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if not self._handles:
            return
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        writer = self._writer(trainer)
        step = trainer.global_step - 1  # the step whose forward was captured
        for index, values in sorted(self._captured.items()):
            writer.add_histogram(f"activations/layer{index}", values.float().cpu(), step)
        self._captured.clear()
        linears = [m for m in pl_module.modules() if isinstance(m, nn.Linear)]
        for index, layer in enumerate(linears, start=1):
            writer.add_histogram(f"weights/layer{index}", layer.weight.detach().float().cpu(), step)
