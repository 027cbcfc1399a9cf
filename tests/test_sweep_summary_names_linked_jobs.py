"""The sweep summary (``summary.csv``, written when a multirun ends) names the job directories that are symbolic
links to jobs outside the sweep, which it leaves out: ``resume_sweep=true`` said "completed before; skipping it" of
such a job (read through the link) and the summary then counted one job fewer without a word
(trainlab/sweep/summary.py write_summary, linked_note)."""

from __future__ import annotations

import csv
import logging

from tests.test_report_output_dir import make_sweep
from trainlab.sweep.summary import write_summary


def test_the_summary_leaves_out_a_job_linked_from_outside_the_sweep_and_says_so(tmp_path, caplog):
    sweep = make_sweep(tmp_path / "sweep")
    other = make_sweep(tmp_path / "other")
    (sweep / "2_optimizer=momentum").symlink_to(other / "1_optimizer=adam")
    (sweep / "best").symlink_to(sweep / "0_optimizer=sgd")  # a link inside the sweep: no job of its own, not named
    caplog.set_level(logging.WARNING, logger="trainlab.sweep.summary")
    rows = write_summary(sweep)
    assert [row["job"] for row in rows] == ["0_optimizer=sgd", "1_optimizer=adam"]
    with (sweep / "summary.csv").open() as file:
        assert [row["job"] for row in csv.DictReader(file)] == ["0_optimizer=sgd", "1_optimizer=adam"]
    assert [(record.levelno, record.getMessage()) for record in caplog.records] == [(logging.WARNING, (
        f"{sweep / 'summary.csv'} leaves out 2_optimizer=momentum -> {other / '1_optimizer=adam'}: a symbolic link "
        "to a job directory outside the sweep, whose jobs are not read through links (one may lead to another "
        "sweep's job); move it into the sweep to have its row there"))]
