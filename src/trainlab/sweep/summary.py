"""``summary.csv`` and ``ranking.csv`` of a sweep, built from the ``status.json`` of its jobs.

``summary.csv`` has one row per job directory (in job order): ``job``, one column per *swept* key (the override keys
whose values differ between jobs, and those the sweep sweeps; all override keys for a sweep of one job that sweeps
none), ``status``, ``objective``, ``wall_time_s``, ``validated_at_step`` and ``trained_steps`` where a completed
job's validation metrics (and so its objective) were measured before its last step (:mod:`trainlab.validation_lag`),
then the final value of every metric any job logged. ``ranking.csv`` holds the same rows sorted by the objective -
best first, completed jobs before the others - for sweeps whose completed jobs returned an objective (searches, grid
sweeps with an ``optimized_metric``); a comparison (``optimized_metric: null``) has none.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import OverrideParseException

from trainlab.atomic_files import write_text_atomically
from trainlab.run_status import read_status
from trainlab.sweep.job_dirs import link_named, linked_job_dirs, sweep_job_dirs

log = logging.getLogger(__name__)

SUMMARY_FILE, RANKING_FILE = "summary.csv", "ranking.csv"
#: status.json's record of validation metrics measured before the run's last step
#: (:meth:`trainlab.validation_lag.ValidationLag.status_fields`): columns where a job has them
LAG_COLUMNS = ("validated_at_step", "trained_steps")
# How a job was started or what it returns, not what it trains: a resumed sweep's re-run jobs carry
# resume_sweep=true, its skipped ones do not, a job resumed alone carries ckpt_path=last, a sweep resumed to return
# another metric carries optimized_metric=...; the column would say nothing about the runs.
RUN_SWITCHES = frozenset({"resume_sweep", "ckpt_path", "optimized_metric", "objective_on_failure"})
OVERRIDE_PARSER = OverridesParser.create()


def split_override(override: str) -> tuple[str, str]:
    key, _, value = override.partition("=")
    return key.lstrip("+~"), value


def collect_jobs(sweep_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """Every job directory of the sweep that has a status.json, in job order, with its overrides as a dict (the
    switches that say how the job was started left out). ``job`` is its path relative to the sweep directory."""
    jobs = []
    for job_dir in sweep_job_dirs(Path(sweep_dir)):
        status = read_status(job_dir)
        if status is None:
            continue
        status["job"] = job_dir.relative_to(sweep_dir).as_posix()
        status["params"] = {key: value for key, value in map(split_override, status.get("overrides", []))
                            if key not in RUN_SWITCHES}
        jobs.append(status)
    return jobs


def same_value(text: str | None) -> Any:
    """An override's value as the value Hydra reads in it, so that ``false`` and ``False``, ``1e-3`` and ``0.001``,
    ``[100,100]`` and ``[100, 100]`` are one value (the text itself where Hydra's grammar reads none)."""
    if text is None:
        return None
    try:
        return repr(OVERRIDE_PARSER.parse_override(f"key={text}").value())
    except OverrideParseException:
        return text


def swept_keys(jobs: list[dict[str, Any]], always: Collection[str] = ()) -> list[str]:
    """Override keys whose value differs between jobs, and the keys of ``always`` (the keys the sweep sweeps: a
    searched key whose trials all drew one value is still a column). With a single job, the keys of ``always`` - a
    sweep stopped in its first job has the columns of the finished sweep - or all its keys when ``always`` names none
    of them (``-m optimizer=sgd`` sweeps nothing)."""
    keys = sorted({key for job in jobs for key in job["params"]})
    if len(jobs) <= 1:
        return [k for k in keys if k in always] or keys
    return [k for k in keys if k in always or values_differ([job["params"].get(k) for job in jobs])]


def values_differ(texts: list[str | None]) -> bool:
    """Whether the override texts hold more than one value (:func:`same_value`). Equal texts are one value without
    reading them, and the reading stops at the first text whose value differs from the first one's: a search's
    ``optimizer.lr`` of 1,000 trials is read twice, not 1,000 times (Hydra's override grammar takes ~0.3 ms a read)."""
    distinct = list(dict.fromkeys(texts))
    if len(distinct) <= 1:
        return False
    first = same_value(distinct[0])
    return any(same_value(text) != first for text in distinct[1:])


def rows(jobs: list[dict[str, Any]], always: Collection[str] = ()) -> tuple[list[str], list[dict[str, Any]]]:
    keys = swept_keys(jobs, always)
    metric_names = sorted({name for job in jobs for name in job["metrics"]})
    # where a job's val/* (and objective) were measured before its last step (trainlab.validation_lag): said where any
    lagged = [name for name in LAG_COLUMNS if any(job.get(name) is not None for job in jobs)]
    header = ["job", *keys, "status", "objective", "wall_time_s", *lagged, *metric_names]
    table = []
    for job in jobs:
        row = {"job": job["job"], "status": job["status"], "objective": job.get("objective"),
               "wall_time_s": job.get("wall_time_s"), **{name: job.get(name, "") for name in lagged}}
        row.update({k: job["params"].get(k, "") for k in keys})
        row.update({name: job["metrics"].get(name, "") for name in metric_names})
        table.append(row)
    return header, table


def as_csv(header: list[str], table: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    return buffer.getvalue()


def linked_note(sweep_dir: Path, links: list[Path]) -> str:
    """What the summary says of the job directories of ``sweep_dir`` that are symbolic links to jobs outside it
    (:func:`~trainlab.sweep.job_dirs.linked_job_dirs`): no row, why, and how to have one."""
    one = len(links) == 1
    named = ", ".join(link_named(sweep_dir, link) for link in links)
    return (f"{sweep_dir / SUMMARY_FILE} leaves out {named}: {'a symbolic link' if one else 'symbolic links'} to "
            f"{'a job directory' if one else 'job directories'} outside the sweep, whose jobs are not read through "
            f"links (one may lead to another sweep's job); move {'it' if one else 'them'} into the sweep to have "
            f"{'its row' if one else 'their rows'} there")


def write_summary(sweep_dir: str | os.PathLike, direction: str = "maximize",
                  always: Collection[str] = (), metric: str | None = None) -> list[dict[str, Any]]:
    """Write summary.csv (and ranking.csv when completed jobs returned objectives, best first for ``direction``);
    return the rows. The ``objective_on_failure`` of diverged or failed jobs alone ranks nothing (a comparison's
    diverged jobs recorded 0.0 before comparisons returned no objective at all). ``always``: keys that are columns
    whatever their values (:func:`swept_keys`). ``metric``: the sweep's ``optimized_metric`` - a completed job
    that recorded no objective (run before ``optimized_metric`` named a metric, then skipped by
    ``resume_sweep=true``, which returned its recorded value of ``metric``) shows that value, as the sweeper got
    it. A job directory that is a symbolic link to a job outside the sweep has no row (one may be another sweep's
    job) and is named in a warning: ``resume_sweep=true`` said "completed before; skipping it" of such a job, whose
    row the summary then left out without a word."""
    if direction not in ("maximize", "minimize"):
        raise ValueError(f"direction={direction!r}; allowed: maximize, minimize")
    sweep_dir = Path(sweep_dir)
    jobs = collect_jobs(sweep_dir)
    for job in jobs:
        if job.get("objective") is None and job.get("status") == "completed" and metric in job.get("metrics", {}):
            job["objective"] = job["metrics"][metric]
    header, table = rows(jobs, always)
    write_text_atomically(sweep_dir / SUMMARY_FILE, as_csv(header, table))
    if linked := linked_job_dirs(sweep_dir):
        log.warning("%s", linked_note(sweep_dir, linked))
    if any(row["objective"] is not None and row["status"] == "completed" for row in table):
        ranked = sorted(table, key=lambda row: ranking_key(row["status"], row["objective"], direction == "minimize"))
        write_text_atomically(sweep_dir / RANKING_FILE, as_csv(header, ranked))
    return table


def ranking_key(status: str, objective: float | None, minimize: bool) -> tuple[int, float]:
    """Where a job ranks (ranking.csv, a search's summary.md), sorted ascending: completed with an objective (not
    nan) first, best first (lowest for ``minimize``), then the others; a stable sort keeps ties in job order."""
    usable = status == "completed" and objective is not None and objective == objective
    return (0, objective if minimize else -objective) if usable else (1, 0.0)


def lag_note(table: list[dict[str, Any]]) -> str | None:
    """What the sweep's summary line adds when jobs validated last before their last step (``LAG_COLUMNS``): how
    many, at which steps, and that their validation metrics - and objective - are not the final weights'; None
    when no job did."""
    lagged = [row for row in table if row.get("validated_at_step") not in (None, "")]
    if not lagged:
        return None
    steps = ", ".join(dict.fromkeys(f"{row['validated_at_step']} of {row['trained_steps']}" for row in lagged))
    with_objective = any(row.get("objective") is not None for row in lagged)
    measured = "validation metrics and objective" if with_objective else "validation metrics"
    jobs = f"{len(lagged)} job{'s' if len(lagged) > 1 else ''}"
    return (f"{jobs} last validated before their last step (at step {steps}): their {measured} are of the weights "
            "at that step, not the final ones (summary.csv: validated_at_step)")
