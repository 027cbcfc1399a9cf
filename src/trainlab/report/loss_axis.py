"""The y range of the B/D loss figure: set by the curves that stay on a training loss's scale, not by one that blew up.

A classifier's loss starts where its initial weights put it (ln 10 ≈ 2.3 for the book's MNIST nets) and, while it
learns, stays below that. One member at a learning rate too high (``optimizer.lr=5``) reached 1e36 before it
diverged, and a y axis drawn to its top flattened every sound curve into a line at 0; a member that did not diverge
but settled at a loss of ~3000 (AdaGrad at lr=5) did the same. So:

* the *start* of the figure is the median of the curves' first logged losses (their loss at the initial weights);
* a curve is *off the axis* where its smoothed loss goes above :data:`CAP` times that start, or is not a number
  (nan, inf: diverged);
* the y axis runs from 0 to a little (:data:`HEADROOM`) above the highest smoothed loss of the other curves - the
  sound ones fill the figure -, or to :data:`CAP` times the start where every curve is off the axis;
* each curve off the axis is drawn up to the top and its legend entry says so, with its highest value
  (:func:`off_axis_note`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CAP = 3.0  # a curve whose smoothed loss goes above CAP times the curves' starting loss is off the axis
HEADROOM = 1.05  # the axis's top: this much above the highest loss of the curves on it


@dataclass(frozen=True)
class LossAxis:
    """The y limits of a loss figure (``bottom``, ``top``; ``top`` None: matplotlib's own, where no curve has a
    finite value) and, per curve in the order given, whether it is off the axis."""

    bottom: float
    top: float | None
    off: tuple[bool, ...]


def loss_axis(smoothed: Sequence[np.ndarray], first_values: Sequence[float]) -> LossAxis:
    """The y range of the curves ``smoothed`` (each a job's smoothed loss) whose raw series began at
    ``first_values`` (their first logged loss), and which of them are off the axis (see the module's docstring)."""
    starts = [value for value in first_values if np.isfinite(value)]
    if not starts:  # no curve began with a number: nothing to scale by
        return LossAxis(0.0, None, tuple(not np.isfinite(curve).all() for curve in smoothed))
    cap = CAP * float(np.median(starts))
    off = tuple(not np.isfinite(curve).all() or float(np.max(curve, initial=0.0)) > cap for curve in smoothed)
    shown = [float(np.max(curve)) for curve, away in zip(smoothed, off, strict=True) if not away and len(curve)]
    top = max(shown) if shown else cap
    return LossAxis(0.0, HEADROOM * top if top > 0 else 1.0, off)


def off_axis_note(curve: np.ndarray) -> str:
    """What the legend adds to a curve off the axis: its highest value, and whether it became nan or inf
    (``above the axis: max 6e+35, then nan``)."""
    finite = curve[np.isfinite(curve)]
    parts = [f"max {float(finite.max()):.2g}"] if finite.size else []
    if not np.isfinite(curve).all():
        what = "nan" if np.isnan(curve).any() else "inf"
        parts.append(f"then {what}" if finite.size else what)
    return "above the axis: " + ", ".join(parts)
