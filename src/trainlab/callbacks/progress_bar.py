"""Lightning's Rich progress bar, whose epoch line says nothing wrong about a run bounded by its steps.

Lightning writes ``Epoch {e}/{max_epochs - 1}`` whatever ``max_epochs`` is: a run bounded by ``trainer.max_steps``
alone (``max_epochs: -1``, as experiments B and D train 2,000 steps) showed ``Epoch 4/-2``. There the line reads
``Epoch 4``, as Lightning's TQDM bar writes it; the step bar below it counts the steps.
"""

from __future__ import annotations

from lightning.pytorch.callbacks import RichProgressBar


class ProgressBar(RichProgressBar):
    """``RichProgressBar`` (same arguments) with ``Epoch e`` instead of ``Epoch e/-2`` where no epoch bounds the run."""

    def _get_train_description(self, current_epoch: int) -> str:
        max_epochs = self.trainer.max_epochs
        if max_epochs is not None and max_epochs >= 0:
            return super()._get_train_description(current_epoch)
        # unbounded (-1): only max_steps or max_time stops the run; padded to the validation bar's text, as Lightning's
        return f"{f'Epoch {current_epoch}':{len(self.validation_description)}}"
