"""Line styles that tell the series of one plot apart, however many there are.

matplotlib's default cycle has 10 colours and one line style, so the 11th series of an overlay (docs/stacked-sweeps.md's
4 optimizers × 3 learning rates is 12) was drawn like the 1st: same colour, same line, one legend entry for two
runs. Here series ``i`` takes colour ``i mod 10`` and, for each further ten, another line style *and* another
marker: a long curve is told apart by its line, a run of one or a few epochs - points, where no line shows - by
its marker. The 4 line styles and 5 markers (coprime counts) give 20 distinct looks per colour: 200 series before
one repeats. The first ten keep the plain look of a small sweep's figure: solid lines, markers only on short series.
"""

from __future__ import annotations

COLORS = tuple(f"C{n}" for n in range(10))  # the default colour cycle (tab10)
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v")
SHORT = 60  # a series of fewer points has a marker on each (its points are what is seen)
MARKED_POINTS = 12  # markers along a long series beyond the first ten, so its line stays readable


def series_style(index: int, points: int) -> dict[str, object]:
    """matplotlib ``plot`` keyword arguments of the ``index``-th series (from 0) of a plot, a series of ``points``
    points: colour, line style and marker (with where along the series the markers go; none on one of the first ten
    long series)."""
    group = index // len(COLORS)
    style: dict[str, object] = {"color": COLORS[index % len(COLORS)], "linestyle": LINESTYLES[group % len(LINESTYLES)]}
    if points < SHORT:
        style.update(marker=MARKERS[group % len(MARKERS)], markersize=4)
    elif group:
        style.update(marker=MARKERS[group % len(MARKERS)], markersize=4, markevery=max(1, points // MARKED_POINTS))
    return style
