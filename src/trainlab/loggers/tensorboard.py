"""``TensorBoardLogger``: Lightning's TensorBoard logger without the ``epoch`` scalar card.

Lightning adds ``epoch`` (the current epoch number) to every batch of metrics a LightningModule logs, so
TensorBoard draws an ``epoch`` card: a staircase of epoch against step that is the same for every run of a sweep
(the data order and the split sizes fix the batches per epoch) and says nothing about the training. It also costs one
event per logged step, doubling the scalar events of a run that logs every step (experiment B). This logger
leaves it out; everything else is Lightning's. The book's per-epoch curves are drawn against epochs by
``trainlab report``; ``metrics.csv`` (``logger=csv``) keeps its ``epoch`` column.
"""

from __future__ import annotations

from collections.abc import Mapping

from lightning.pytorch.loggers import TensorBoardLogger as LightningTensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only

LIGHTNING_EPOCH_KEY = "epoch"


class TensorBoardLogger(LightningTensorBoardLogger):
    """``lightning.pytorch.loggers.TensorBoardLogger`` (same arguments) that does not log Lightning's ``epoch``."""

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        super().log_metrics({name: value for name, value in metrics.items() if name != LIGHTNING_EPOCH_KEY}, step)
