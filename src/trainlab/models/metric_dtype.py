"""The dtype a model's metrics are computed in: its network's, never below float32.

Lightning's ``trainer.precision=64-true`` turns the LightningModule into float64 with ``module.double()``, which
torchmetrics ignores on purpose (``Metric.double`` is a no-op, ``Metric.set_dtype`` converts): the states of
``val/loss``, ``val/acc``, ``test/*`` and ``eval/*`` stayed float32, made so from the float32 default, and a float64
network's losses were averaged and logged in float32 (``val/loss`` agreed with the network's own float64 value to
about 1e-7). :func:`metrics_follow` gives every metric of a module the dtype :func:`metric_dtype` names. A
half-precision network (``16-true``, ``bf16-true``) keeps float32 metrics: a split's sums would lose digits in 16 bits,
as Lightning's own logged values are kept "in float32 or higher".
"""

from __future__ import annotations

import torch
from torch import nn
from torchmetrics import Metric


def metric_dtype(net: nn.Module) -> torch.dtype:
    """The dtype of ``net``'s floating-point parameters, widened to float32 (float32 for a net without any)."""
    dtype = next((p.dtype for p in net.parameters() if p.is_floating_point()), torch.float32)
    return torch.promote_types(dtype, torch.float32)


def metrics_follow(module: nn.Module, dtype: torch.dtype) -> None:
    """Give every torchmetrics ``Metric`` in ``module`` the dtype ``dtype`` (its states and the values it computes).

    Metrics already there are left alone - in particular the integer counts of a float32 accuracy, which
    ``set_dtype`` would turn into floats. A metric whose floating states a checkpoint replaced with another dtype
    (a float32 run's checkpoint resumed in float64) is converted again.
    """
    for metric in module.modules():
        if not isinstance(metric, Metric):
            continue
        states = [value for value in metric.metric_state.values() if isinstance(value, torch.Tensor)]
        if metric.dtype != dtype or any(s.is_floating_point() and s.dtype != dtype for s in states):
            metric.set_dtype(dtype)
