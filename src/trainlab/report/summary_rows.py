"""The rows of summary.md's table: in which order, and how their numbers are written.

A search's summary.md listed its trials in job order, while its ranking.csv ranks them by the objective: here a
search's rows are ranked as ranking.csv ranks them (:mod:`trainlab.sweep.summary`: the completed trials with an
objective first, best first, ties and the others in job order); any other sweep keeps job order - its rows are the
settings compared, in the order swept -, and a line above the table says which order it is (:func:`order_line`).

The table is read, not computed with: its numbers have 4 significant digits (a sampled learning rate
``1.2313185468743873e-07`` is ``1.231e-07``, an init std ``0.5411695265464637`` is ``0.5412``); the CSVs keep full
precision.
"""

from __future__ import annotations

from trainlab.report.sweep_runs import JobRun
from trainlab.sweep.summary import ranking_key

DIGITS = 4  # significant digits of the table's numbers


def number_cell(value: float) -> str:
    """``value`` in :data:`DIGITS` significant digits (``0.4380`` is ``0.438``, ``4996.7036`` is ``4997``, ``nan``
    stays ``nan``)."""
    return f"{value:.{DIGITS}g}"


def value_cell(text: str) -> str:
    """A swept value as the table shows it: a float with more than :data:`DIGITS` significant digits rounded to them;
    any other text - ``sgd``, ``100``, ``5.0``, ``1e-05``, ``[50]`` - as it is (it says what was typed)."""
    try:
        number = float(text)
    except ValueError:
        return text
    rounded = number_cell(number)
    return text if float(rounded) == number else rounded


def ranked(jobs: list[JobRun], minimize: bool) -> list[JobRun]:
    """The jobs as ranking.csv orders them: completed with an objective (not nan) first, best first (lowest for
    ``minimize``), then the others; ties and the others in job order."""
    return sorted(jobs, key=lambda job: ranking_key(job.status, job.objective, minimize))


def order_line(search: bool, minimize: bool, metric: str | None) -> str:
    """What summary.md says of its rows' order: a search's ``Trials ranked by the objective (val/acc), highest
    first, as in ranking.csv; ...``, any other sweep's ``Rows in job order.``"""
    if not search:
        return "Rows in job order."
    objective = f"the objective ({metric})" if metric else "the objective"
    return (f"Trials ranked by {objective}, {'lowest' if minimize else 'highest'} first, as in ranking.csv; those "
            "that did not complete with one last, in job order.")
