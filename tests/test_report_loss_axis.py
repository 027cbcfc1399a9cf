"""The B/D loss figure's y axis is set by the sound curves: one member that blew up (lr=5: 1e36, then nan; or
AdaGrad settling at ~3000) ran the axis to 1.2e36 and drew every other curve as a flat line at 0."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")

from trainlab.report.figures import loss_curves  # noqa: E402
from trainlab.report.loss_axis import loss_axis  # noqa: E402
from trainlab.report.smoothing import kaiser_smooth  # noqa: E402
from trainlab.report.sweep_runs import JobRun  # noqa: E402


def loss_job(number: int, lr: str, losses: list[float], status: str = "completed") -> JobRun:
    return JobRun(name=f"{number}_x", path=Path(f"/x/{number}"), params={"optimizer.lr": lr}, status=status,
                  metrics={}, objective=None, scalars={"train/loss": (list(range(len(losses))), losses)})


SOUND = [2.3 * 0.97 ** step for step in range(80)]  # from ln 10 down, as a learning net's loss
SLOWER = [2.3 * 0.99 ** step for step in range(80)]
DIVERGED = [2.3, 59.5, 3.0e5, 2.5e15, 6.0e35, float("nan")]
SETTLED_HIGH = [2.3, 3.5e10, *([3000.0] * 78)]  # AdaGrad at lr=5: finite, far above its start


def test_a_diverged_and_a_huge_member_leave_the_axis_to_the_sound_curves():
    jobs = [loss_job(0, "0.01", SOUND), loss_job(1, "5.0", DIVERGED, "diverged"), loss_job(2, "0.001", SLOWER),
            loss_job(3, "5.0", SETTLED_HIGH)]
    figure = loss_curves(jobs, ["optimizer.lr"], "B")
    (ax,) = figure.axes
    highest = max(kaiser_smooth(SOUND).max(), kaiser_smooth(SLOWER).max())
    assert ax.get_ylim() == (0.0, 1.05 * highest)  # 0 to a little above the sound curves: they fill the figure
    labels = [text.get_text() for text in figure.legends[0].get_texts()]
    assert labels == ["lr=0.01", "lr=5.0 (diverged) - above the axis: max 6e+35, then nan", "lr=0.001",
                      f"lr=5.0 - above the axis: max {kaiser_smooth(SETTLED_HIGH).max():.2g}"]


def test_sound_curves_alone_keep_their_whole_range():
    figure = loss_curves([loss_job(0, "0.01", SOUND), loss_job(1, "0.1", SLOWER)], ["optimizer.lr"], "B")
    assert figure.axes[0].get_ylim() == (0.0, 1.05 * kaiser_smooth(SLOWER).max())
    assert [text.get_text() for text in figure.axes[0].get_legend().get_texts()] == ["lr=0.01", "lr=0.1"]


def test_every_curve_off_the_axis_leaves_it_at_three_times_the_starting_loss():
    axis = loss_axis([np.array([2.0, 50.0]), np.array([2.0, np.nan])], [2.0, 2.0])
    assert axis.off == (True, True) and axis.top == 1.05 * 3 * 2.0
