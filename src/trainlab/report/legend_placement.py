"""A panel's legend where it covers none of its curves.

G's and H's panels had ``legend(loc="best")``, and matplotlib's "best" put the weight_decay=0 panel's legend over the
train curve where it reaches 100 % (upper right); a fixed "lower right" covered the curves' ends where the accuracies
stay low (a short run). Here the legend tries the places of :data:`PLACES` in turn, as drawn, and takes the first
whose box no curve crosses - or, where each is crossed, the one crossed by the fewest curves.
"""

from __future__ import annotations

import numpy as np
from matplotlib.path import Path

#: where an accuracy panel's legend is tried, in order: the book's lower right first (the curves rise to the top)
PLACES = ("lower right", "upper left", "center right", "lower left", "upper right", "center left", "lower center",
          "upper center", "center")
MARGIN = 3  # pixels around the legend's box that a curve must keep clear of


def curves_covered(ax, legend, renderer) -> int:
    """How many of ``ax``'s lines cross (or lie within) ``legend``'s box as drawn with ``renderer``."""
    box = legend.get_window_extent(renderer).expanded(1.0, 1.0).padded(MARGIN)
    covered = 0
    for line in ax.get_lines():
        points = line.get_xydata()
        points = points[np.isfinite(points).all(axis=1)]
        if len(points) and Path(ax.transData.transform(points)).intersects_bbox(box, filled=False):
            covered += 1
    return covered


def clear_legend(ax, **legend_options):
    """``ax.legend(**legend_options)`` at the first place of :data:`PLACES` that covers no curve (the fewest
    covered, where each covers some); the figure is drawn first, so that its layout is the one the PNG has."""
    legend = ax.legend(loc=PLACES[0], **legend_options)
    figure = ax.figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    covered = {}
    for place in PLACES:
        legend.set_loc(place)
        covered[place] = curves_covered(ax, legend, renderer)
        if covered[place] == 0:
            return legend
    legend.set_loc(min(PLACES, key=covered.__getitem__))
    return legend
