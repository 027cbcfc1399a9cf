"""``WeightedMean``: a split's loss, Σ wᵢ·ℓᵢ / Σ wᵢ over its batches (wᵢ the batch's size), NaN kept.

The validation and test losses are the mean over a split's samples: each batch's mean cross-entropy ℓᵢ weighted by
its size wᵢ (the last batch may be smaller), summed over the epoch's batches - and over the processes of a DDP run,
whose two sums are added before the division.

torchmetrics' ``MeanMetric`` does this sum, but with its default ``nan_strategy="warn"`` it **drops** a NaN batch
loss, with a ``UserWarning`` quoting its own source: a network whose outputs overflow on some batches reported the
mean of the others as its ``val/loss`` - a finite number for a diverging network, and not the value the stacked
launcher's members log for the same weights (their sums keep the NaN). ``nan_strategy="disable"`` is not in every
torchmetrics this project supports (1.4 lacks it), and one version replaces the weights by ones with it. This metric
keeps the NaN: the split's loss is NaN where any batch's is, as the book's ``np.mean`` of the batch losses would be.

Its two states are ``MeanMetric``'s, by name and meaning (``mean_value``: Σ wᵢ·ℓᵢ, ``weight``: Σ wᵢ), so the
checkpoints of earlier versions, which hold ``MeanMetric`` states, load unchanged.
"""

from __future__ import annotations

import torch
from torchmetrics import Metric


class WeightedMean(Metric):
    """Σ wᵢ·ℓᵢ / Σ wᵢ of the values ``ℓᵢ`` given to :meth:`update` with weights ``wᵢ`` (NaN and ±Inf kept)."""

    full_state_update = False
    is_differentiable = False
    higher_is_better = None

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.add_state("mean_value", default=torch.tensor(0.0), dist_reduce_fx="sum")
        self.add_state("weight", default=torch.tensor(0.0), dist_reduce_fx="sum")

    def update(self, value: torch.Tensor, weight: float | torch.Tensor = 1.0) -> None:
        """Add ``weight`` · ``value`` (a scalar tensor: one batch's mean loss) to the sums."""
        value = value.detach().to(self.mean_value.dtype)
        self.mean_value += (value * weight).sum()
        self.weight += torch.as_tensor(weight, dtype=self.weight.dtype, device=self.weight.device).sum()

    def compute(self) -> torch.Tensor:
        return self.mean_value / self.weight
