"""``trainlab report`` of a sweep whose ``metrics.csv`` is damaged: a last row cut off (what a ``logger=csv`` run
killed while writing leaves) is left out and the rows before it drawn; a file that cannot be read at all leaves its
job without curves. Either is named in a warning and in summary.md, and the report is written with exit status 0 -
it ended in a ``ValueError`` / ``UnicodeDecodeError`` traceback, exit 1, no report (trainlab/report/sweep_runs.py).
"""

from __future__ import annotations

import pytest

from tests.test_report_output_dir import make_sweep
from trainlab.cli import main
from trainlab.errors import RecordedFileError
from trainlab.last_logged import read_last_logged
from trainlab.report.sweep_runs import read_csv_scalars


def test_a_cut_off_last_row_is_left_out_and_named_in_the_warning_and_the_summary(tmp_path, capsys):
    sweep = make_sweep(tmp_path / "sweep")
    csv_file = sweep / "0_optimizer=sgd" / "metrics.csv"
    with csv_file.open("a") as file:
        file.write("4,2.3e-")  # the writer killed in the middle of its number
    assert main(["report", str(sweep)]) == 0
    note = (f"{csv_file}: its last row (line 5) ends without a line end - cut off, as a run killed while writing it "
            "leaves: left out, the rows before it are drawn")
    assert capsys.readouterr().err == f"warning: {note}\n"
    summary = (sweep / "report" / "summary.md").read_text()
    assert f"\nJob 0's logs: {note}.\n" in summary
    assert "No curves" not in summary
    assert (sweep / "report" / "overlay_train_loss.png").is_file()


def test_a_cut_off_row_that_still_parses_is_left_out_not_read_as_a_wrong_number(tmp_path):
    csv_file = tmp_path / "metrics.csv"
    csv_file.write_text("step,train/lr\r\n1,0.1\r\n2,1.6")  # 1.6e-05, cut: 1.6 would be a value never logged
    from trainlab.report.sweep_runs import read_csv_log

    series, note = read_csv_log(csv_file)
    assert series == {"train/lr": ([1], [0.1])}
    assert note is not None and "(line 3)" in note
    assert read_csv_scalars(csv_file) == {"train/lr": ([1], [0.1])}


def test_a_killed_trials_last_logged_values_skip_its_cut_off_row(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.csv").write_text("epoch,step,train/loss\r\n0,4,2.25\r\n0,9,2.")
    logged = read_last_logged(run)
    assert logged.metrics == {"train/loss": 2.25}
    assert logged.step == 4


@pytest.mark.parametrize(("damage", "why"), [
    (lambda text: text.replace("\n2,", "\nx,", 1), "line 3: step 'x' is not an integer"),
    (lambda text: text.replace("\n2,0.2", "\n2,nan?", 1), "line 3: train/loss 'nan?' is not a number"),
    (lambda text: text.replace("\n2,0.2,0.2", "\n2,0.2,0.2,7", 1),
     "line 3 holds 1 more cell(s) than its header (3 columns): not a metrics.csv"),
])
def test_a_metrics_csv_with_a_row_that_is_no_numbers_leaves_its_job_without_curves_named(tmp_path, capsys, damage,
                                                                                         why):
    sweep = make_sweep(tmp_path / "sweep")
    csv_file = sweep / "0_optimizer=sgd" / "metrics.csv"
    csv_file.write_text(damage(csv_file.read_text()))
    assert main(["report", str(sweep)]) == 0
    assert capsys.readouterr().err == (f"warning: {sweep / '0_optimizer=sgd'} (completed) left no curves - "
                                       f"{csv_file} {why}: the figures leave it out\n")
    summary = (sweep / "report" / "summary.md").read_text()
    assert "No curves for job 0: no readable TensorBoard events or metrics.csv" in summary
    assert f"\nJob 0's logs: {csv_file} {why}.\n" in summary
    with pytest.raises(RecordedFileError, match="is not|more cell"):
        read_csv_scalars(csv_file)


def test_a_metrics_csv_that_is_not_utf8_leaves_its_job_without_curves_named(tmp_path, capsys):
    sweep = make_sweep(tmp_path / "sweep")
    csv_file = sweep / "1_optimizer=adam" / "metrics.csv"
    csv_file.write_bytes(b"step,train/loss\n1,\xff\xfe\n")
    assert main(["report", str(sweep)]) == 0
    why = f"{csv_file} is not a metrics.csv: byte 18 is not UTF-8 text"
    assert capsys.readouterr().err == (f"warning: {sweep / '1_optimizer=adam'} (completed) left no curves - "
                                       f"{why}: the figures leave it out\n")
    assert f"\nJob 1's logs: {why}.\n" in (sweep / "report" / "summary.md").read_text()


def test_a_sweep_whose_every_metrics_csv_is_damaged_says_so_not_logger_none(tmp_path, capsys):
    sweep = make_sweep(tmp_path / "sweep")
    for job in ("0_optimizer=sgd", "1_optimizer=adam"):
        (sweep / job / "metrics.csv").write_text("step,train/loss\nx,1\n")
    assert main(["report", str(sweep)]) == 0
    err = capsys.readouterr().err
    assert (f"warning: no figure of {sweep}: the metrics.csv of jobs 0, 1 holds no readable row; summary.md lists "
            "the jobs\n") in err
    assert "logger=none" not in err
    summary = (sweep / "report" / "summary.md").read_text()
    assert "No curves: the metrics.csv of jobs 0, 1 holds no readable row. The report has no figure." in summary
