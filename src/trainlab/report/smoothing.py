"""The book's loss-curve smoothing (``smooth_curve`` of its reference code): a normalised Kaiser window of length
11, β = 2, over the series padded with 10 mirrored values on each side, so the result has the input's length.

    s = [x[10], ..., x[1],  x[0], ..., x[n-1],  x[n-1], ..., x[n-10]]
    y = convolve(kaiser(11, 2) / Σ kaiser(11, 2), s, "valid")[5 : -5]

(The book mirrors around x[0] on the left but repeats x[n-1] on the right; this follows it exactly.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

WINDOW, BETA = 11, 2.0


def kaiser_smooth(values: Sequence[float], window: int = WINDOW, beta: float = BETA) -> np.ndarray:
    """Smooth ``values`` as the book's ``smooth_curve`` does; series shorter than the window come back as they are."""
    x = np.asarray(values, dtype=np.float64)
    if len(x) < window:
        return x.copy()
    padded = np.r_[x[window - 1 : 0 : -1], x, x[-1:-window:-1]]
    weights = np.kaiser(window, beta)
    smoothed = np.convolve(weights / weights.sum(), padded, mode="valid")
    half = window // 2
    return smoothed[half : len(smoothed) - half]
