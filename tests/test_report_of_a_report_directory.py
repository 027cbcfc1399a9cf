"""``trainlab report`` given a report's own directory - ``<sweep>/report``, tab-completed one name too far, or an
``--out`` directory - names the sweep it reports and the command that writes it anew; it said "... holds no job with
a status.json: is it a trainlab multirun directory?" (trainlab/report/sweep_runs.py report_dir_refusal)."""

from __future__ import annotations

from tests.test_report_output_dir import make_sweep, snapshot
from trainlab.cli import main
from trainlab.printed_trainlab import trainlab_command


def test_report_of_a_report_directory_names_its_sweep_and_the_command_that_writes_it(tmp_path, capsys):
    sweep = make_sweep(tmp_path / "sweep").resolve()
    figures = tmp_path.resolve() / "figures"
    assert main(["report", str(sweep)]) == 0
    assert main(["report", str(sweep), "--out", str(figures)]) == 0
    capsys.readouterr()
    before = snapshot(tmp_path)
    for report, command in ((sweep / "report", trainlab_command("report", sweep)),
                            (figures, trainlab_command("report", sweep, "--out", figures))):
        assert main(["report", str(report)]) == 2
        assert capsys.readouterr().err == (
            f"error: {report} is a report's directory (its .report.json records the report of {sweep}), not a "
            f"sweep: report reads a sweep's jobs; {command} writes that report anew\n")
    assert snapshot(tmp_path) == before  # nothing written
