"""Build a sweep's report: recognise the experiment, draw its figure(s), write summary.md, log to TensorBoard.

Outputs, in ``<sweep_dir>/report/`` unless ``out`` is given:

* ``<figure>.png`` - the book-style figure of the recognised experiment (B/D: smoothed loss curves; F: 4×4
  accuracy grid; G/H: train vs test accuracy; I: top-20 trials) or, for any other sweep, one overlay against the
  step of each of :data:`OVERLAY_TAGS` the jobs logged; none where no job left curves (a warning says why);
* ``summary.md`` - one row per job: swept values, status, final metrics; the versions the jobs ran with;
* a TensorBoard run ``report`` (event file in the same directory) with every figure as an image;
* ``.report.json`` - the record of what the report wrote, so that a new report of the same sweep replaces it (and
  says so) while anything else in its way is refused (:mod:`trainlab.report.output_dir`).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from trainlab.atomic_files import write_atomically, write_text_atomically
from trainlab.report import figures
from trainlab.report.event_file_damage import DAMAGED_EVENT_FILE
from trainlab.report.output_dir import ReportDir, default_report_dir
from trainlab.report.report_turn import report_turn
from trainlab.report.shared_setup import setup_line, setup_title, shared_settings
from trainlab.report.summary_rows import number_cell, order_line, ranked, value_cell
from trainlab.report.sweep_runs import (
    JobRun,
    broken_line,
    first_named,
    jobs_not_started,
    jobs_without_status,
    load_sweep,
    optimized_metric,
    sampler_choice,
    search_minimizes,
)
from trainlab.report.tensorboard_images import image_event
from trainlab.signal_exit import last_words
from trainlab.sweep.job_dirs import broken_links, link_named, linked_job_dirs
from trainlab.versions import VERSION_KEYS

FIGURES = {  # experiment option -> (figure function, file name, title)
    # B and D: the data, net, init and optimizer the jobs share are added (shared_setup.setup_title)
    "compare_optimizers": (figures.loss_curves, "optimizers_loss", "B: optimizers"),
    "compare_init": (figures.loss_curves, "init_loss", "D: weight init"),
    "compare_batchnorm": (figures.batchnorm_grid, "batchnorm_grid", "F: Batch Normalization vs initial weight std"),
    "overfit_weight_decay": (figures.train_test_accuracy, "overfit_weight_decay", "G: overfitting and weight decay"),
    "overfit_dropout": (figures.train_test_accuracy, "overfit_dropout", "H: overfitting and dropout"),
    "hparams_search/random": (figures.top_trials_grid, "top20_trials", "I: random search"),  # + how many, ordered how
    "hparams_search/tpe": (figures.top_trials_grid, "top20_trials", "I: TPE search"),
}
SEARCHES = {"random": "random", "tpe": "TPE", "gp": "GP", "cmaes": "CMA-ES", "qmc": "QMC"}  # sampler option -> name
DPI = 90  # of the report's PNG files and TensorBoard images
OVERLAY_TAGS = ("train/loss", "val/acc", "eval/train_acc", "eval/test_acc")
SUMMARY_METRICS = ("train/loss", "val/acc", "val/acc_best", "test/acc", "eval/train_acc", "eval/test_acc")


def summary_markdown(jobs: list[JobRun], keys: list[str], experiment: str | None, metric: str | None = None,
                     unended: list[str] = (), linked: list[str] = (), unstarted: list[str] = (),
                     broken: list[str] = (), minimize: bool = False) -> str:
    """The settings all jobs share (:func:`~trainlab.report.shared_setup.setup_line`), then one row per job - a
    search's ranked by the objective as its ranking.csv (``minimize``: lowest first), any other sweep's in job order,
    which a line says (:mod:`trainlab.report.summary_rows`), numbers in 4 significant digits -; the
    objective (``metric``, the sweep's ``optimized_metric``) and that metric too when the
    completed jobs returned one (a search that minimised val/loss showed neither; a comparison's diverged jobs,
    which recorded ``objective_on_failure`` before comparisons returned no objective, add no column). ``unended``:
    the numbers of the jobs without a status.json (running or killed), counted and named below the table, as is
    each job's ``logs_note`` (a cut-off last row of its metrics.csv left out, or why the file cannot be read).
    ``linked``: what :func:`linked_line` says of the links to jobs outside the sweep, which the report leaves out;
    ``unstarted``: the jobs its multirun.yaml lists that have not started (:func:`jobs_not_started`); ``broken``:
    ``name -> target`` of each symbolic link in it to nothing (:func:`~trainlab.report.sweep_runs.broken_line`)."""
    named = [*SUMMARY_METRICS, *([metric] if metric and metric not in SUMMARY_METRICS else [])]
    metrics = [m for m in named if any(m in job.metrics for job in jobs)]
    objective = any(job.objective is not None and job.status == "completed" for job in jobs)
    header = ["job", *keys, "status", *([f"objective ({metric})" if metric else "objective"] if objective else []),
              *metrics]
    lines = [f"# Sweep summary{f' - {experiment}' if experiment else ''}", "",
             f"{len(jobs)} job{'s' if len(jobs) != 1 else ''}: "
             + ", ".join(f"{sum(j.status == s for j in jobs)} {s}"
                         for s in ("completed", "diverged", "failed", "interrupted"))
             + (f"; {len(unended)} not ended" if unended else "")
             + (f"; {len(linked)} left out (a link)" if linked else "")
             + (f"; {len(unstarted)} not started" if unstarted else "")
             + (f"; {len(broken)} broken link{'s' if len(broken) > 1 else ''}" if broken else ""), ""]
    if setup := setup_line(shared_settings(jobs)):  # what the table's rows have in common (shared_setup)
        lines += [setup, ""]
    search = experiment is not None and experiment.startswith("hparams_search/")
    lines += [order_line(search, minimize, metric), "",
              "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for job in ranked(jobs, minimize) if search else jobs:
        cells = [job.short_name, *(value_cell(job.params.get(k, "")) for k in keys), job.status]
        if objective:
            cells.append("" if job.objective is None else number_cell(job.objective))
        cells += [number_cell(job.metrics[m]) if m in job.metrics else "" for m in metrics]
        lines.append("| " + " | ".join(cells) + " |")
    if versions := versions_line(jobs):
        lines += ["", versions]
    if not any(job.scalars for job in jobs):
        lines += ["", f"No curves: {no_curves_reason(jobs)}. The report has no figure."]
    elif missing := jobs_without_curves(jobs):
        lines += ["", f"No curves for job{'s' if len(missing) > 1 else ''} "
                  f"{', '.join(job.short_name for job in missing)}: "
                  "no readable TensorBoard events or metrics.csv in its directory; the figures leave it out."]
    if damaged := [job for job in jobs if job.logs_note]:
        lines += ["", *(f"Job {job.short_name}'s logs: {job.logs_note}." for job in damaged)]
    if unended:
        lines += ["", f"Not ended: {unended_line(unended)}."]
    if linked:
        lines += ["", f"Left out: {linked_line(linked)}."]
    if unstarted:
        lines += ["", f"Not started: {unstarted_line(unstarted)}."]
    if broken:
        lines += ["", f"Broken links: {broken_line(broken)}."]
    return "\n".join(lines) + "\n"


def versions_line(jobs: list[JobRun]) -> str | None:
    """What the jobs ran with, from the versions their status.json records (:mod:`trainlab.versions`): ``Ran with
    trainlab 0.1.0, python 3.11.7, torch 2.14.1, ...`` where every job that records them agrees; where they do not
    (a sweep resumed after an upgrade, jobs run on two machines), each package that differs with its versions and
    their jobs - ``Versions differ between jobs: torch 2.13.0 (jobs 0, 1), 2.14.1 (job 2)`` - so that the rows of one
    table are not taken for one setup's. Jobs whose status.json predates the record are named (``Job 2 recorded
    none.``); None where no job recorded them."""
    recorded = [job for job in jobs if job.versions]
    if not recorded:
        return None
    unrecorded = [job.short_name for job in jobs if not job.versions]
    named = jobs_named(unrecorded)
    none = f" {named[0].upper()}{named[1:]} recorded none." if unrecorded else ""
    found = {name for job in recorded for name in job.versions}  # status.json keeps its keys sorted
    names = [name for name in VERSION_KEYS if name in found]
    names += sorted(found - set(names))
    differing = [name for name in names if len({job.versions.get(name) for job in recorded}) > 1]
    if not differing:
        return "Ran with " + ", ".join(f"{name} {recorded[0].versions[name]}" for name in names) + "." + none
    parts = []
    for name in differing:
        by_version: dict[str, list[str]] = {}
        for job in recorded:
            by_version.setdefault(job.versions.get(name, "not recorded"), []).append(job.short_name)
        parts.append(f"{name} " + ", ".join(f"{version} ({jobs_named(shorts)})"
                                            for version, shorts in by_version.items()))
    return "Versions differ between jobs: " + "; ".join(parts) + "." + none


def unended_line(names: list[str], shown: int = 8) -> str:
    """What the report says of the jobs without a status.json (:func:`jobs_without_status`): neither in the table nor
    in the figures, and why."""
    return (f"{jobs_named(names, shown)} wrote no status.json (a job writes it when it ends) and "
            f"{'are' if len(names) > 1 else 'is'} not in the report: still running - report the sweep again when it "
            "is over - or killed (finish the sweep with its command and resume_sweep=true)")


def unstarted_line(jobs: list[str], shown: int = 8) -> str:
    """What the report says of the jobs the sweep's multirun.yaml lists that have no directory yet
    (:func:`jobs_not_started`; ``3 (optimizer=momentum)`` each)."""
    return (f"{jobs_named(jobs, shown)} of the sweep's multirun.yaml "
            f"{'have' if len(jobs) > 1 else 'has'} not started: the sweep still runs - report it again when it is "
            "over - or was killed or stopped before (finish it with its command and resume_sweep=true)")


def linked_line(links: list[str]) -> str:
    """What the report says of the symbolic links in the sweep to job directories outside it
    (:func:`~trainlab.sweep.job_dirs.linked_job_dirs`; ``links``: ``name -> target`` of each): not in the report,
    why, and how to have them in it."""
    one = len(links) == 1
    return (f"{', '.join(links)} {'is a symbolic link' if one else 'are symbolic links'} to "
            f"{'a job directory' if one else 'job directories'} outside the sweep, not in the report: a sweep's jobs "
            "are not read through links (one may lead to another sweep's job); move "
            f"{'it' if one else 'them'} into the sweep to report {'it' if one else 'them'}")


def jobs_by_status(jobs: list[JobRun], shown: int = 8) -> str:
    """``jobs 0, 1: failed; job 2: completed`` - the jobs' numbers grouped by status, ``shown`` of each at most."""
    groups: dict[str, list[str]] = {}
    for job in jobs:
        groups.setdefault(job.status, []).append(job.short_name)
    return "; ".join(f"{jobs_named(names, shown)}: {status}" for status, names in groups.items())


def jobs_named(names: list[str], shown: int = 8) -> str:
    """``job 3``, ``jobs 0, 1``, ``jobs 0, 1, ... 7 and 4 more``: the first ``shown`` of the jobs ``names``."""
    return f"job{'s' if len(names) > 1 else ''} {first_named(names, shown)}"


def no_curves_reason(jobs: list[JobRun]) -> str:
    """Why no job of the sweep has a curve: which jobs, their status, and the way to curves. A job that trained
    (completed, diverged) logged none (``logger=none``); one that failed or was interrupted may have ended before
    its first logged step - its status.json says why; a job whose metrics.csv or event files are damaged is named
    (its ``logs_note`` says how), not taken for ``logger=none``."""
    if damaged := [job.short_name for job in jobs if job.logs_note]:  # its logs_note says why
        others = [job for job in jobs if not job.logs_note]
        events = all(DAMAGED_EVENT_FILE in job.logs_note for job in jobs if job.logs_note)
        logs = "TensorBoard event files" if events else "metrics.csv"
        return (f"the {logs} of job{'s' if len(damaged) > 1 else ''} {', '.join(damaged)} "
                + ("are damaged before their first curve" if events else "holds no readable row")
                + (f"; the other jobs left no TensorBoard events or metrics.csv ({jobs_by_status(others)})"
                   if others else ""))
    if any(job.status in ("completed", "diverged") for job in jobs):
        return ("the jobs left no TensorBoard events or metrics.csv (logger=none?); the figures need "
                f"logger=tensorboard (the default) or logger=csv ({jobs_by_status(jobs)})")
    return (f"the jobs left no TensorBoard events or metrics.csv ({jobs_by_status(jobs)}); each job's status.json "
            "says why it ended")


def jobs_without_curves(jobs: list[JobRun]) -> list[JobRun]:
    """The jobs that left no scalar series while others of the sweep did: their event files were deleted, emptied
    or damaged, or the job failed before its first logged step. The figures cannot draw them; the report says so
    rather than drawing a sweep with a job silently missing."""
    return [job for job in jobs if not job.scalars] if any(job.scalars for job in jobs) else []


def draw(jobs: list[JobRun], keys: list[str], experiment: str | None, minimize: bool = False,
         metric: str | None = None) -> dict[str, object]:
    """{file stem: matplotlib figure} for the recognised experiment, or the generic overlays. ``minimize``: the
    search's direction (its best trials have the lowest objective); ``metric``: what the objective is
    (``optimized_metric``; "objective" when unknown)."""
    if experiment in FIGURES:
        function, stem, title = FIGURES[experiment]
        if function is figures.top_trials_grid:
            sampler = sampler_choice(jobs)  # hparams_search=random hydra/sweeper/optuna_sampler=gp is a GP search
            if sampler is not None:
                title = f"I: {SEARCHES.get(sampler, sampler)} search"
            if not figures.rankable_trials(jobs):
                return {}  # no trial to rank: summary.md lists them (build_report says so)
            return {stem: function(jobs, keys, title, minimize=minimize, metric=metric or "objective")}
        if function is figures.loss_curves:  # the setup as the jobs recorded it, not as the experiment's file has it
            title = setup_title(title, shared_settings(jobs))
        return {stem: function(jobs, keys, title)}
    title = experiment or "sweep"
    tags = [t for t in OVERLAY_TAGS if any(job.series(t)[0] for job in jobs)]
    return {f"overlay_{t.replace('/', '_')}": figures.metric_overlay(jobs, keys, title, t) for t in tags}


def rendered(fig) -> np.ndarray:
    """The figure's pixels (H, W, 3) at :data:`DPI`, drawn once: the PNG and the TensorBoard image are the same
    picture (``savefig`` and a second ``canvas.draw()`` for TensorBoard drew every figure twice over, with its
    constrained layout, ~0.35 s of a report's 0.5 s)."""
    fig.set_dpi(DPI)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def warn_on_stderr(line: str) -> None:
    print(f"warning: {line}", file=sys.stderr)


def build_report(sweep_dir: str | Path, out: str | Path | None = None,
                 tell: Callable[[str], None] = print, warn: Callable[[str], None] = warn_on_stderr) -> dict[str, Path]:
    """Write the report of ``sweep_dir`` into ``out`` (``<sweep_dir>/report`` when None); return {name: path} of
    the figures and summary written. ``tell`` gets one line per file of an earlier report that was replaced or
    removed, ``warn`` one per job the figures leave out (:func:`jobs_without_curves`), or one line saying why there
    is no figure when no job left curves (a figure would be empty axes; summary.md is written all the same, and the
    command's status stays 0, as when some jobs left none); a directory holding anything else where the report
    writes is refused before anything is written (:mod:`trainlab.report.output_dir`). ``sweep_dir`` and ``out`` may
    begin with ``~`` (the home directory)."""
    import matplotlib.pyplot as plt

    from trainlab.loggers.buffered_event_writer import BufferedEventFileWriter

    # every path the report says is absolute, as the commands' (docs/where-files-go.md); a leading ``~`` is the home
    # directory, as the shell makes it of a word of its own - not of ``--out=~/figs``, which wrote the report into
    # ``./~/figs``
    sweep_dir = Path(sweep_dir).expanduser().absolute()
    out = Path(out).expanduser().absolute() if out is not None else None
    jobs, keys, experiment = load_sweep(sweep_dir)
    unended = [job.relative_to(sweep_dir).as_posix() for job in jobs_without_status(sweep_dir)]
    if unended:
        warn(f"{sweep_dir}: {unended_line(unended)}")
    linked = [link_named(sweep_dir, link) for link in linked_job_dirs(sweep_dir)]
    if linked:
        warn(f"{sweep_dir}: {linked_line(linked)}")
    broken = [link_named(sweep_dir, link) for link in broken_links(sweep_dir)]
    if broken:
        warn(f"{sweep_dir}: {broken_line(broken)}")
    if unstarted := jobs_not_started(sweep_dir):
        warn(f"{sweep_dir}: {unstarted_line(unstarted)}")
    without_curves = jobs_without_curves(jobs)
    for job in without_curves:
        warn(f"{job.path} ({job.status}) left no curves - "
             f"{job.logs_note or 'no readable TensorBoard events or metrics.csv'}: the figures leave it out")
    for job in jobs:
        if job.logs_note and job not in without_curves:  # a cut-off last row left out; no curves: said above
            warn(job.logs_note)
    minimize, metric = search_minimizes(sweep_dir), optimized_metric(jobs)
    has_curves = any(job.scalars for job in jobs)
    drawn = draw(jobs, keys, experiment, minimize, metric) if has_curves else {}  # else empty axes: none
    if FIGURES.get(experiment, (None,))[0] is figures.top_trials_grid and not figures.rankable_trials(jobs):
        warn(f"no trial of {sweep_dir} completed with an objective: no top-trials figure; summary.md lists the trials")
    elif not has_curves:
        warn(f"no figure of {sweep_dir}: {no_curves_reason(jobs)}; summary.md lists the jobs")
    written: dict[str, Path] = {}
    try:
        # one report at a time writes into a directory: a second one waits (trainlab.report.report_turn)
        with report_turn(out if out is not None else default_report_dir(sweep_dir), tell, warn):
            report = ReportDir.claim(sweep_dir, out, [*(f"{stem}.png" for stem in drawn), "summary.md"])

            def note_written(path: Path) -> None:
                if report.replaces(path):
                    tell(f"replaced {path} (the earlier report's)")
                report.wrote(path)

            def write_report_files() -> None:
                for earlier in report.earlier_event_files():  # the earlier report's images: replaced, as its PNGs are
                    earlier.unlink()
                    report.removed(earlier)
                    tell(f"replaced {earlier} (the earlier report's TensorBoard images)")
                writer = BufferedEventFileWriter(str(report.path))  # the TensorBoard run of the report's images
                try:
                    for stem, fig in drawn.items():
                        path = report.path / f"{stem}.png"
                        image = rendered(fig)
                        encoded = io.BytesIO()
                        plt.imsave(encoded, image, dpi=DPI, format="png")
                        png = encoded.getvalue()  # the file's bytes and the TensorBoard image's
                        write_atomically(path, lambda handle, png=png: handle.write(png))
                        note_written(path)
                        writer.add_event(image_event(f"report/{stem}", png, image.shape))
                        written[stem] = path
                finally:
                    writer.close()
                    report.wrote_new_event_files()
                summary = report.path / "summary.md"
                write_text_atomically(summary, summary_markdown(jobs, keys, experiment, metric,
                                                                 [name.split('_', 1)[0] for name in unended], linked,
                                                                 unstarted, broken, minimize))
                note_written(summary)
                written["summary"] = summary
                for stale in report.stale():
                    stale.unlink()
                    report.removed(stale)
                    tell(f"removed {stale} (the earlier report's; this report does not draw it)")

            def record_what_is_there() -> None:
                report.wrote_new_event_files()
                report.save()

            # stopped at once (Ctrl-C: trainlab.signal_exit.stop_with_line), the record still names what was written -
            # an event file begun too - so that the same command replaces it: unrecorded, it was refused ("not recorded
            # as a report's") by every report after
            with last_words(record_what_is_there):
                try:
                    write_report_files()
                finally:
                    record_what_is_there()  # what is there now, also when writing failed midway
    finally:
        for fig in drawn.values():
            plt.close(fig)
    return written
