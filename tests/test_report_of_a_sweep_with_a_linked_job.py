"""A job directory of a sweep that is a symbolic link (the job moved elsewhere and linked back) is left out of the
report, as sweep_job_dirs leaves every link out (one back into the sweep loops, one to a job counts it twice, one
to another sweep's job adds it) - but named in a warning and in summary.md: the report said "1 job" of a two-job
sweep without a word (trainlab/sweep/job_dirs.py linked_job_dirs, trainlab/report/build.py)."""

from __future__ import annotations

from tests.test_report_output_dir import make_sweep
from trainlab.cli import main


def test_a_job_linked_from_outside_the_sweep_is_named_in_a_warning_and_the_summary(tmp_path, capsys):
    sweep = make_sweep(tmp_path / "sweep")
    moved = tmp_path / "elsewhere" / "adam"
    moved.parent.mkdir()
    (sweep / "1_optimizer=adam").rename(moved)
    (sweep / "1_optimizer=adam").symlink_to(moved)
    (sweep / "best").symlink_to(sweep / "0_optimizer=sgd")  # a link into the sweep: no job of its own, not named
    (sweep / "latest").symlink_to(sweep)
    assert main(["report", str(sweep)]) == 0
    said = (f"1_optimizer=adam -> {moved} is a symbolic link to a job directory outside the sweep, not in the "
            "report: a sweep's jobs are not read through links (one may lead to another sweep's job); move it into "
            "the sweep to report it")
    assert capsys.readouterr().err == f"warning: {sweep}: {said}\n"
    summary = (sweep / "report" / "summary.md").read_text()
    assert "1 job: 1 completed, 0 diverged, 0 failed, 0 interrupted; 1 left out (a link)\n" in summary
    assert summary.endswith(f"\nLeft out: {said}.\n")
