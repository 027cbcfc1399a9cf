"""A logged metric as a Python number, without the digits that widening float32 to float64 invents.

Metrics are float32 tensors. ``float(tensor)`` widens the value exactly, and the float64 shows digits the float32
never had: an accuracy of 79 images in 100 reads ``0.7900000214576721`` in ``status.json``, ``summary.csv``, the
search's ``best_value`` and its log lines. :func:`metric_number` gives instead the shortest decimal that reads back
as the same float32 (``0.79``): converted back to float32 it is the very value the run computed, so nothing is
rounded away. Values of a float64 tensor (``trainer.precision=64-true``) or an integer one are kept as they are, and
so is a Python float said to come from a float64 (``dtype``).
"""

from __future__ import annotations

import numpy as np
import torch

SHORTEST_IN = {torch.float16: np.float16, torch.bfloat16: np.float32, torch.float32: np.float32}


def metric_number(value: torch.Tensor | float, dtype: torch.dtype = torch.float32) -> float:
    """``value`` - a one-element tensor, or a Python float widened from a ``dtype`` value - as described above: the
    shortest digits of its own float type (float16 and float32; a bfloat16 value is exact in float32's). Values of
    other dtypes (float64, integers) are returned as ``float(value)``."""
    kind = SHORTEST_IN.get(value.dtype if isinstance(value, torch.Tensor) else dtype)
    if kind is None:
        return float(value)
    return float(str(kind(float(value))))
