"""The book-style figures, one function each, all taking the sweep's jobs and returning a matplotlib figure."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from trainlab.report.legend_placement import clear_legend  # noqa: E402
from trainlab.report.loss_axis import loss_axis, off_axis_note  # noqa: E402
from trainlab.report.series_styles import series_style  # noqa: E402
from trainlab.report.smoothing import kaiser_smooth  # noqa: E402
from trainlab.report.sweep_runs import JobRun  # noqa: E402

#: a legend of one entry per job stays inside the axes up to this many entries; more go beside the axes, in columns
#: of at most LEGEND_ROWS entries
INSIDE_ENTRIES = 10
LEGEND_ROWS = 24
GRID_COLUMNS = 4  # experiment F's panels per row: the book's 4×4 grid of 16 weight scales


def job_legend(fig, ax, fontsize: float, beside: bool = False) -> None:
    """The legend of ``ax``, one entry per job (none without a line): inside the axes for a few jobs, beside them
    for more - inside, the 32 entries of a 32-job sweep covered the plot and ran off the figure - or where
    ``beside`` asks (entries too long to sit over the curves). The figure widens by the legend's columns, so the axes
    keep their width, and grows taller where the column needs it."""
    handles, labels = ax.get_legend_handles_labels()
    if len(handles) <= INSIDE_ENTRIES and not beside:
        if handles:
            ax.legend(fontsize=fontsize)
        return
    columns = math.ceil(len(handles) / LEGEND_ROWS)
    rows = math.ceil(len(handles) / columns)
    column_width = max(map(len, labels)) * fontsize * 0.6 / 72 + 0.6  # inches: the label, its line sample, a gap
    width, height = fig.get_size_inches()
    fig.set_size_inches(width + columns * column_width, max(height, rows * fontsize * 1.45 / 72 + 1.2))
    fig.legend(handles, labels, loc="outside right upper", ncols=columns, fontsize=fontsize)


def curve_label(job: JobRun, keys: list[str]) -> str:
    """A job's legend entry: its values of ``keys``, and its status where it did not complete (``(interrupted)``,
    ``(diverged)``): a curve that ends early then says why, where only summary.md said it."""
    return job.label(keys) + ("" if job.status == "completed" else f" ({job.status})")


def show_ticks_above_missing_panels(axes, drawn: int, columns: int) -> None:
    """Tick labels under each panel with no panel below it: a grid sharing its x-axis labels the bottom row only,
    so the panels above the unused cells of an incomplete last row had none."""
    for index, ax in enumerate(axes.flat[:drawn]):
        if index + columns >= drawn:
            ax.xaxis.set_tick_params(labelbottom=True)


def loss_curves(jobs: list[JobRun], keys: list[str], title: str):
    """Experiments B and D: training loss per iteration, Kaiser-smoothed as in the book, one line per job. The y axis
    is set by the curves that stay on a training loss's scale; one that blew up (diverged, or settled far above its
    start) is drawn to the axis's top, its legend entry saying so (:mod:`trainlab.report.loss_axis`)."""
    fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
    drawn = [(index, job, *job.series("train/loss")) for index, job in enumerate(jobs) if job.series("train/loss")[0]]
    smoothed = [kaiser_smooth(values) for *_, values in drawn]
    axis = loss_axis(smoothed, [values[0] for *_, values in drawn])
    for (index, job, steps, _), curve, off in zip(drawn, smoothed, axis.off, strict=True):
        label = curve_label(job, keys) + (f" - {off_axis_note(curve)}" if off else "")
        ax.plot(steps, curve, label=label, linewidth=1.2, **series_style(index, len(steps)))
    ax.set(xlabel="iterations", ylabel="training loss (smoothed)", title=title)
    ax.set_ylim(axis.bottom, axis.top)
    # none where the jobs, shorter than trainer.log_every_n_steps, logged no loss; beside the axes where an entry
    # says a curve is above it (inside, the long entries covered the sound curves)
    job_legend(fig, ax, fontsize=10, beside=any(axis.off))
    return fig


def batchnorm_grid(jobs: list[JobRun], keys: list[str], title: str):
    """Experiment F: one panel per initial weight std, in rows of at most :data:`GRID_COLUMNS` (the book's 4×4 for
    its 16 stds; two stds are two panels side by side - four columns left the right half blank and the shared
    "epochs" label off centre), training accuracy per epoch, BN vs no BN. The accuracy is ``eval/train_acc``: the
    training set evaluated in eval mode, BatchNorm normalising with its running statistics - as the book's script
    measures it (``predict(train_flg=False)``); the y label says so."""
    std_key = next(k for k in keys if k.endswith("std"))
    bn_key = next(k for k in keys if k.endswith("batch_norm"))
    stds = sorted({float(job.params[std_key]) for job in jobs}, reverse=True)
    cols = min(GRID_COLUMNS, len(stds))
    rows = math.ceil(len(stds) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(3 * cols, 5), 2.6 * rows), sharex=True, sharey=True,
                             constrained_layout=True, squeeze=False)
    for ax, std in zip(axes.flat, stds, strict=False):
        notes = []
        for job in (j for j in jobs if float(j.params[std_key]) == std):
            steps, values = job.series("eval/train_acc")
            with_bn = job.params[bn_key] != "none"
            name = "Batch Normalization" if with_bn else "Normal (without BN)"
            ax.plot(range(1, len(values) + 1), values, color="tab:blue" if with_bn else "tab:orange",
                    linestyle="-" if with_bn else "--", label=name)
            if job.status != "completed":
                notes.append(f"{'BN' if with_bn else 'no BN'}: {job.status}")
        if notes:
            ax.text(0.5, 0.5, "\n".join(notes), transform=ax.transAxes, ha="center", fontsize=8, color="tab:red")
        ax.set_title(f"W std = {std:.2g}", fontsize=9)
        ax.set_ylim(0, 1)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # epochs: no 2.5
    axes.flat[0].legend(fontsize=7)
    for ax in axes.flat[len(stds):]:
        ax.axis("off")
    show_ticks_above_missing_panels(axes, len(stds), cols)
    fig.supxlabel("epochs")
    fig.supylabel("training accuracy\n(measured in eval mode)", fontsize=10)
    fig.suptitle(title)
    return fig


def train_test_accuracy(jobs: list[JobRun], keys: list[str], title: str):
    """Experiments G and H: training vs test accuracy per epoch, one panel per job (the gap is the overfitting)."""
    fig, axes = plt.subplots(1, len(jobs), figsize=(5.5 * len(jobs), 4.2), sharey=True, constrained_layout=True,
                             squeeze=False)
    for ax, job in zip(axes[0], jobs, strict=True):
        for tag, name, style in (("eval/train_acc", "train", "-"), ("eval/test_acc", "test", "--")):
            _, values = job.series(tag)
            ax.plot(range(1, len(values) + 1), values, style, label=name)
        ax.set(title=curve_label(job, keys), xlabel="epochs", ylim=(0, 1.02))  # a curve at 100 % stays off the frame
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # epochs: no 2.5
    axes[0][0].set_ylabel("accuracy")
    fig.suptitle(title)
    for ax in axes[0]:  # where it covers no curve: "best" covered the train curve at 100 % (legend_placement)
        clear_legend(ax)
    return fig


# how a top-trials panel names a searched key (the book's two; any other by its last part)
PANEL_NAMES = {"optimizer.lr": "lr", "model.weight_decay": "wd"}


def drawn_value(text: str) -> str:
    """A sampled value as a panel shows it: a float in 3 significant digits (1.23e-03 below 0.01, 0.85), anything
    else as it is."""
    try:
        number = float(text)
    except ValueError:
        return text
    if text.lstrip("-").isdigit():
        return text
    return f"{number:.2e}" if number != 0 and not 1e-2 <= abs(number) < 1e4 else f"{number:.3g}"


def rankable_trials(jobs: list[JobRun]) -> list[JobRun]:
    """The trials a search's top-trials figure ranks: those that completed with an objective (the report draws no
    such figure where there is none)."""
    return [job for job in jobs if job.status == "completed" and job.objective is not None]


def top_trials_grid(jobs: list[JobRun], keys: list[str], title: str, top: int = 20, minimize: bool = False,
                    metric: str = "objective"):
    """Experiment I: the best ``top`` trials by their objective (the search's ``optimized_metric``, named ``metric``
    in each panel; highest first, or lowest first for ``minimize``), validation (solid) and training (dashed)
    accuracy per epoch - the book's figure, whatever the search optimised. ``title`` names the search; the figure
    adds how many trials it shows and in which order. Each panel names its rank, trial, objective and the trial's
    values of ``keys`` (the searched keys: ``lr`` and ``wd`` for the book's search, any other the search drew)."""
    ranked = sorted(rankable_trials(jobs), key=lambda j: j.objective, reverse=not minimize)[:top]
    title = f"{title}, the {len(ranked)} best trials ({'lowest' if minimize else 'highest'} {metric} first)"
    cols = max(1, min(5, len(ranked)))  # a search of 3 trials: 3 panels, not 3 of 5 columns
    rows = max(1, math.ceil(len(ranked) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(14, 2.5 * rows), sharex=True, sharey=True, constrained_layout=True,
                             squeeze=False)
    for rank, (ax, job) in enumerate(zip(axes.flat, ranked, strict=False), start=1):
        _, val = job.series("val/acc")
        _, train = job.series("train/acc")
        marker = "o" if max(len(val), len(train)) < 10 else None  # a run of a few epochs: its points are seen
        ax.plot(range(1, len(val) + 1), val, "-", label="val", marker=marker, markersize=3)
        ax.plot(range(1, len(train) + 1), train, "--", label="train", marker=marker, markersize=3)
        shown = sorted(keys, key=lambda key: list(PANEL_NAMES).index(key) if key in PANEL_NAMES else len(PANEL_NAMES))
        values = [f"{PANEL_NAMES.get(key, key.rsplit('.', 1)[-1])} {drawn_value(job.params.get(key, '?'))}"
                  for key in shown]  # the book's lr and weight decay first
        lines = [", ".join(values[i:i + 2]) for i in range(0, len(values), 2)]  # two values per line
        ax.set_title("\n".join([f"#{rank} trial {job.short_name}: {metric} {job.objective:.3f}", *lines]),
                     fontsize=8)
        ax.set_ylim(0, 1)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # epochs
        if marker:
            ax.set_xlim(0.5, max(len(val), len(train), 1) + 0.5)
    for ax in axes.flat[len(ranked):]:
        ax.axis("off")
    show_ticks_above_missing_panels(axes, len(ranked), cols)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(title)
    fig.supxlabel("epochs", fontsize=9)
    fig.supylabel("accuracy", fontsize=9)
    return fig


def metric_overlay(jobs: list[JobRun], keys: list[str], title: str, tag: str):
    """Any other sweep: ``tag`` against its step, one line per job (a job has the same style in every overlay)."""
    fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
    for index, job in enumerate(jobs):
        steps, values = job.series(tag)
        if steps:
            ax.plot(steps, values, label=curve_label(job, keys), **series_style(index, len(steps)))
    ax.set(xlabel="step", ylabel=tag, title=f"{title}: {tag}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps: no 2.5
    job_legend(fig, ax, fontsize=8)
    return fig
