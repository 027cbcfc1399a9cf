"""A logged metric as a Python number, without the digits that widening float32 to float64 invents.

Metrics are float32 tensors. ``float(tensor)`` widens the value exactly, and the float64 shows digits the float32
never had: an accuracy of 79 images in 100 reads ``0.7900000214576721`` in ``status.json``, ``summary.csv``, the
search's ``best_value`` and its log lines. :func:`metric_number` gives instead the shortest decimal that reads back
as the same float32 (``0.79``): converted back to float32 it is the very value the run computed, so nothing is
rounded away. Values of a float64 tensor (``trainer.precision=64-true``) are kept as they are.
"""

from __future__ import annotations

import numpy as np
import torch


def metric_number(value: torch.Tensor | float) -> float:
    """``value`` (a one-element tensor, or a float already widened from float32) as described above."""
    if isinstance(value, torch.Tensor):
        if value.dtype == torch.float64:
            return float(value)
        value = float(value.float())
    return float(str(np.float32(value)))
