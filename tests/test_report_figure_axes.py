"""The book-style figures' axes read as the book's: whole epochs and steps, and no empty panel columns."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from trainlab.report.figures import batchnorm_grid, metric_overlay, top_trials_grid, train_test_accuracy  # noqa: E402
from trainlab.report.sweep_runs import JobRun  # noqa: E402


def job(number: int, params: dict[str, str], epochs: int = 3, objective: float | None = None) -> JobRun:
    curve = [0.1 * (epoch + 1) for epoch in range(epochs)]
    scalars = {tag: (list(range(epochs)), curve) for tag in ("eval/train_acc", "eval/test_acc", "val/acc",
                                                           "train/acc", "train/loss")}
    return JobRun(name=f"{number}_x", path=Path(f"/x/{number}"), params=params, status="completed", metrics={},
                  objective=objective, scalars=scalars)


def shown_ticks(ax) -> list[float]:
    low, high = ax.get_xlim()
    return [tick for tick in ax.get_xticks() if low <= tick <= high]


def test_epoch_and_step_axes_have_whole_ticks():
    """Three epochs drew ticks at 1.0, 1.25, 1.5, ... (F, G, H) and 0.5 steps in an overlay."""
    grid = batchnorm_grid([job(n, {"init.std": "0.1", "model.net.batch_norm": bn}) for n, bn in
                           enumerate(("none", "custom"))], ["init.std", "model.net.batch_norm"], "F")
    pair = train_test_accuracy([job(0, {"model.weight_decay": "0.1"})], ["model.weight_decay"], "G")
    overlay = metric_overlay([job(0, {"seed": "1"}, epochs=2)], ["seed"], "sweep", "train/loss")
    for ax in (grid.axes[0], pair.axes[0], overlay.axes[0]):
        ticks = shown_ticks(ax)
        assert ticks and all(float(tick).is_integer() for tick in ticks), ticks


def test_a_search_of_three_trials_draws_three_panels_side_by_side():
    """3 trials were drawn into the first 3 of 5 columns, the other 2 left empty, the epochs label off centre."""
    trials = [job(n, {"optimizer.lr": str(0.1 / (n + 1))}, objective=0.5 + n / 10) for n in range(3)]
    figure = top_trials_grid(trials, ["optimizer.lr"], "I")
    assert len(figure.axes) == 3 and all(ax.axison for ax in figure.axes)
    assert figure.get_supxlabel() == "epochs"


def drawn_extent(fig, artist):
    fig.canvas.draw()
    return artist.get_window_extent(fig.canvas.get_renderer())


def test_a_legend_of_many_jobs_sits_beside_the_plot_inside_the_figure():
    """32 jobs' legend drew inside the axes: it covered the plot and ran off the figure's top or bottom."""
    jobs = [job(n, {"seed": str(n), "optimizer": "momentum"}) for n in range(32)]
    for figure in (metric_overlay(jobs, ["seed", "optimizer"], "sweep", "val/acc"),):
        (ax,) = figure.axes
        (legend,) = figure.legends
        assert len(legend.get_texts()) == 32
        plot, box, page = drawn_extent(figure, ax), drawn_extent(figure, legend), figure.bbox
        assert box.x0 >= plot.x1  # beside the axes, not over them
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1
        assert plot.width >= 0.5 * page.width  # the plot kept its room
    few = metric_overlay(jobs[:4], ["seed"], "sweep", "val/acc")
    assert not few.legends and few.axes[0].get_legend() is not None  # a few jobs: inside the axes, as before


def test_panels_above_the_empty_cells_of_an_incomplete_last_row_have_tick_labels():
    """12 trials in rows of 5: panels 8-10 have no panel below them and showed no epoch labels."""
    trials = [job(n, {"optimizer.lr": str(0.1 / (n + 1))}, objective=0.5 + n / 100) for n in range(12)]
    figure = top_trials_grid(trials, ["optimizer.lr"], "I")
    figure.canvas.draw()
    labelled = [index for index, ax in enumerate(figure.axes[:12])
                if any(label.get_visible() and label.get_text() for label in ax.get_xticklabels())]
    assert labelled == [7, 8, 9, 10, 11]  # the bottom of each column


def test_a_curve_of_a_job_that_did_not_complete_says_its_status_in_the_legend():
    """An interrupted job's curve ended early in the overlay without a word (only summary.md said it)."""
    stopped = job(1, {"seed": "2"}, epochs=2)
    stopped.status = "interrupted"
    figure = metric_overlay([job(0, {"seed": "1"}), stopped], ["seed"], "sweep", "val/acc")
    assert [text.get_text() for text in figure.axes[0].get_legend().get_texts()] == ["seed=1", "seed=2 (interrupted)"]


def f_jobs(stds: list[str]) -> list[JobRun]:
    return [job(2 * n + k, {"init.std": std, "model.net.batch_norm": bn}) for n, std in enumerate(stds)
            for k, bn in enumerate(("custom", "none"))]


def test_f_with_two_weight_scales_draws_two_panels_and_centres_its_labels_on_them():
    """Two stds kept 4 columns: the right half was blank, the shared 'epochs' label centred on the whole figure."""
    figure = batchnorm_grid(f_jobs(["1.0", "0.01"]), ["init.std", "model.net.batch_norm"], "F")
    assert len(figure.axes) == 2 and all(ax.axison for ax in figure.axes)
    figure.canvas.draw()
    left, right = (ax.get_window_extent() for ax in figure.axes)
    label = figure._supxlabel.get_window_extent()
    assert abs((label.x0 + label.x1) / 2 - (left.x0 + right.x1) / 2) < 0.1 * (right.x1 - left.x0)
    full = batchnorm_grid(f_jobs([str(10 ** (-n / 4)) for n in range(16)]), ["init.std", "model.net.batch_norm"], "F")
    assert len(full.axes) == 16 and full.axes[4].get_subplotspec().rowspan.start == 1  # the book's 4×4


def test_f_says_its_training_accuracy_is_measured_in_eval_mode():
    """It plots eval/train_acc (BatchNorm with its running statistics, as the book's script) labelled 'training
    accuracy', which a student reads as the accuracy of the training steps."""
    figure = batchnorm_grid(f_jobs(["1.0"]), ["init.std", "model.net.batch_norm"], "F")
    assert figure.get_supylabel() == "training accuracy\n(measured in eval mode)"


def accuracy_job(number: int, train: list[float], test: list[float]) -> JobRun:
    epochs = list(range(len(train)))
    return JobRun(name=f"{number}_x", path=Path(f"/x/{number}"), params={"model.weight_decay": str(number / 10)},
                  status="completed", metrics={}, objective=None,
                  scalars={"eval/train_acc": (epochs, train), "eval/test_acc": (epochs, test)})


def test_g_and_h_legends_cover_no_curve():
    """Full-budget G: the weight_decay=0 panel's legend ("best") sat over the train curve where it reaches 100 %; a
    fixed lower right covered the ends of curves that stay low."""
    from trainlab.report.legend_placement import curves_covered

    overfit = accuracy_job(0, [min(1.0, 0.1 + epoch / 80) for epoch in range(200)],
                           [min(0.78, 0.1 + epoch / 90) for epoch in range(200)])
    low = accuracy_job(1, [0.1 + 0.1 * epoch / 9 for epoch in range(10)],
                       [0.1 + 0.08 * epoch / 9 for epoch in range(10)])
    figure = train_test_accuracy([overfit, low], ["model.weight_decay"], "G")
    figure.canvas.draw()
    for ax in figure.axes:
        assert curves_covered(ax, ax.get_legend(), figure.canvas.get_renderer()) == 0
    box, panel = figure.axes[0].get_legend().get_window_extent(), figure.axes[0].get_window_extent()
    assert box.x1 > panel.x1 - 30 and box.y0 < panel.y0 + 30  # lower right, under the curves that rise to the top
