"""The report's overlays tell every job apart, beyond matplotlib's 10 colours (trainlab.report.series_styles)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib.colors import to_hex  # noqa: E402

from trainlab.report.build import draw  # noqa: E402
from trainlab.report.sweep_runs import JobRun  # noqa: E402

GRID = [(optimizer, lr) for optimizer in ("sgd", "momentum", "adagrad", "adam") for lr in ("0.1", "0.01", "0.001")]


def sweep_of_twelve() -> list[JobRun]:
    """docs/stacked-sweeps.md's 4 optimizers × 3 learning rates, one epoch: one val/acc point, 100 train/loss points
    each."""
    return [JobRun(name=f"{n}_x", path=Path(f"/x/{n}"), params={"optimizer": opt, "optimizer.lr": lr},
                   status="completed", metrics={}, objective=None,
                   scalars={"val/acc": ([62], [0.5 + n / 100]), "train/loss": (list(range(100)), [2.0 - n / 50] * 100)})
            for n, (opt, lr) in enumerate(GRID)]


def looks(ax, points: bool) -> list[tuple]:
    """How each line of ``ax`` is drawn: colour and marker, and the line style unless the series is single points."""
    return [(to_hex(line.get_color()), line.get_marker(), *([] if points else [line.get_linestyle()]))
            for line in ax.get_lines()]


def test_twelve_jobs_are_twelve_distinct_series_in_every_overlay_and_its_legend():
    """adam lr=0.01 and sgd lr=0.1 were both blue solid lines (matplotlib's cycle has 10 colours)."""
    drawn = draw(sweep_of_twelve(), ["optimizer", "optimizer.lr"], None)
    assert set(drawn) == {"overlay_val_acc", "overlay_train_loss"}
    points, curves = drawn["overlay_val_acc"].axes[0], drawn["overlay_train_loss"].axes[0]
    assert len(set(looks(points, points=True))) == 12  # one-point series: colour + marker tell them apart
    assert len(set(looks(curves, points=False))) == 12
    (figure_legend,) = drawn["overlay_val_acc"].legends  # beside the plot: more than ten jobs
    legend = [(to_hex(h.get_color()), h.get_marker(), h.get_linestyle()) for h in figure_legend.legend_handles]
    assert len(set(legend)) == 12
    assert [t.get_text() for t in figure_legend.get_texts()][9:] == \
        ["optimizer=adam, lr=0.1", "optimizer=adam, lr=0.01", "optimizer=adam, lr=0.001"]
    # the same job, the same look in both overlays; the first ten long curves keep plain solid lines
    assert [look[:1] for look in looks(points, True)] == [look[:1] for look in looks(curves, False)]
    assert {line.get_linestyle() for line in curves.get_lines()[:10]} == {"-"}
    assert {line.get_marker() for line in curves.get_lines()[:10]} == {"None"}
    assert (curves.get_lines()[10].get_linestyle(), curves.get_lines()[10].get_marker()) == ("--", "s")


def test_the_loss_curves_of_experiments_b_and_d_tell_more_than_ten_jobs_apart_too():
    figure = draw(sweep_of_twelve(), ["optimizer", "optimizer.lr"], "compare_optimizers")["optimizers_loss"]
    assert len(set(looks(figure.axes[0], points=False))) == 12
