"""A report written inside its own sweep (``trainlab report <sweep> --out <sweep>/figs``) is no job of that sweep:
its TensorBoard event file made a second ``trainlab report <sweep>`` warn that "job figs wrote no status.json ...
still running or killed" and count "1 not ended" in summary.md (trainlab/sweep/job_dirs.py, is_report_dir)."""

from __future__ import annotations

from tests.test_report_output_dir import make_sweep
from trainlab.cli import main
from trainlab.report.output_dir import RECORD
from trainlab.sweep.job_dirs import sweep_job_dirs


def test_a_report_written_inside_its_sweep_is_no_job_of_it_but_a_job_a_report_went_into_stays_one(tmp_path, capsys):
    sweep = make_sweep(tmp_path / "sweep")
    assert main(["report", str(sweep), "--out", str(sweep / "figs")]) == 0
    assert (sweep / "figs" / RECORD).is_file() and list((sweep / "figs").glob("events.out.tfevents.*"))
    capsys.readouterr()
    assert main(["report", str(sweep)]) == 0
    assert "warning" not in capsys.readouterr().err
    summary = (sweep / "report" / "summary.md").read_text()
    assert "2 jobs: 2 completed, 0 diverged, 0 failed, 0 interrupted\n" in summary
    assert "not ended" not in summary.lower()
    assert [job.name for job in sweep_job_dirs(sweep)] == ["0_optimizer=sgd", "1_optimizer=adam"]

    # a job's directory a report was written into (jobs of metrics.csv: no TensorBoard run to refuse) stays a job
    assert main(["report", str(sweep), "--out", str(sweep / "1_optimizer=adam")]) == 0
    assert (sweep / "1_optimizer=adam" / RECORD).is_file()
    assert [job.name for job in sweep_job_dirs(sweep)] == ["0_optimizer=sgd", "1_optimizer=adam"]
