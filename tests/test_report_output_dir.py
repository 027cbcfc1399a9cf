"""``trainlab report`` again, or into another ``--out``: it replaces its own earlier report and says so, and never
overwrites what it did not write - an edited file, another sweep's report, a job's TensorBoard run.

The report used to delete every event file in its directory and write its figures and ``summary.md`` over whatever
was there, silently. The sweeps here are made by hand (``status.json`` and ``metrics.csv`` per job): no training.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from trainlab.cli import main
from trainlab.report.build import build_report
from trainlab.report.output_dir import RECORD
from trainlab.run_status import write_status


def make_sweep(path: Path, tags: tuple[str, ...] = ("train/loss", "val/acc")) -> Path:
    """A finished two-job sweep whose jobs logged ``tags`` (metrics.csv) at steps 1-3."""
    for number, optimizer in enumerate(("sgd", "adam")):
        job = path / f"{number}_optimizer={optimizer}"
        job.mkdir(parents=True)
        rows = [",".join(("step", *tags))] + [",".join((str(step), *(f"{0.1 * step + number}",) * len(tags)))
                                               for step in (1, 2, 3)]
        (job / "metrics.csv").write_text("\n".join(rows) + "\n")
        write_status(job, "completed", [f"optimizer={optimizer}"], {"val/acc": 0.5 + number / 10}, None, 1.0)
    return path


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_a_second_report_of_the_sweep_replaces_the_first_and_names_every_file_it_replaced(tmp_path):
    sweep = make_sweep(tmp_path / "sweep")
    report = sweep / "report"
    first: list[str] = []
    written = build_report(sweep, tell=first.append)
    assert first == []  # nothing there before
    assert sorted(written) == ["overlay_train_loss", "overlay_val_acc", "summary"]
    (earlier_events,) = report.glob("events.out.tfevents.*")
    record = json.loads((report / RECORD).read_text())
    assert record["sweep"] == str(sweep.resolve())
    assert sorted(record["files"]) == sorted([earlier_events.name, "overlay_train_loss.png", "overlay_val_acc.png",
                                              "summary.md"])

    again: list[str] = []
    build_report(sweep, tell=again.append)
    assert again == [f"replaced {earlier_events} (the earlier report's TensorBoard images)",
                     f"replaced {report / 'overlay_train_loss.png'} (the earlier report's)",
                     f"replaced {report / 'overlay_val_acc.png'} (the earlier report's)",
                     f"replaced {report / 'summary.md'} (the earlier report's)"]
    (events,) = report.glob("events.out.tfevents.*")  # one TensorBoard run: the new report's images only
    assert events != earlier_events
    assert sorted(json.loads((report / RECORD).read_text())["files"]) == sorted(
        [events.name, "overlay_train_loss.png", "overlay_val_acc.png", "summary.md"])


def test_the_cli_prints_the_replaced_files(tmp_path, capsys):
    sweep = make_sweep(tmp_path / "sweep")
    assert main(["report", str(sweep)]) == 0
    capsys.readouterr()
    assert main(["report", str(sweep)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"replaced {sweep / 'report' / 'summary.md'} (the earlier report's)" in out
    assert f"summary: {sweep / 'report' / 'summary.md'}" in out
    assert sum(line.startswith("replaced ") for line in out) == 4


def test_the_cli_prints_absolute_paths_for_a_sweep_named_relatively(tmp_path, capsys, monkeypatch):
    """``trainlab report outputs/multiruns/<sweep>`` printed ``summary: outputs/multiruns/.../summary.md``, where
    docs/where-files-go.md says the commands print absolute paths."""
    sweep = make_sweep(tmp_path / "sweep")
    monkeypatch.chdir(tmp_path)
    assert main(["report", "sweep"]) == 0
    capsys.readouterr()
    assert main(["report", "sweep"]) == 0  # again: the replaced files too
    out = capsys.readouterr().out.splitlines()
    assert f"summary: {sweep / 'report' / 'summary.md'}" in out
    assert f"replaced {sweep / 'report' / 'summary.md'} (the earlier report's)" in out
    assert all(Path(line.split(": ", 1)[1].split(" (")[0]).is_absolute() for line in out if ": " in line), out


def test_a_file_edited_since_the_report_wrote_it_is_never_overwritten(tmp_path, capsys):
    sweep = make_sweep(tmp_path / "sweep")
    report = sweep / "report"
    assert main(["report", str(sweep)]) == 0
    with (report / "summary.md").open("a") as summary:
        summary.write("\nMy notes on this sweep.\n")
    before = snapshot(report)
    capsys.readouterr()
    assert main(["report", str(sweep)]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot write the report of {sweep} into {report}: it already holds summary.md (changed since the "
        "report wrote it); nothing was written. Write the report elsewhere (--out DIR), or move those files away\n")
    assert snapshot(report) == before  # the notes, the figures, the event file and the record as they were
    elsewhere = tmp_path / "elsewhere"
    assert main(["report", str(sweep), "--out", str(elsewhere)]) == 0  # the way out it names
    assert (elsewhere / "summary.md").is_file() and snapshot(report) == before


def test_a_report_into_the_directory_of_another_sweeps_report_is_refused(tmp_path, capsys):
    first, second = make_sweep(tmp_path / "first"), make_sweep(tmp_path / "second", tags=("val/acc",))
    out = tmp_path / "reports"
    assert main(["report", str(first), "--out", str(out)]) == 0
    before = snapshot(out)
    capsys.readouterr()
    assert main(["report", str(second), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot write the report of {second} into {out}: it holds the report of another sweep, "
        f"{first.resolve()}; nothing was written. Write the report elsewhere (--out DIR), or move that report away\n")
    assert snapshot(out) == before
    assert main(["report", str(first), "--out", str(out)]) == 0  # its own sweep's report is replaced as usual


def test_a_sweep_moved_elsewhere_keeps_its_report_directory(tmp_path):
    sweep = make_sweep(tmp_path / "sweep")
    build_report(sweep)
    moved = tmp_path / "moved"
    shutil.move(sweep, moved)
    told: list[str] = []
    build_report(moved, tell=told.append)  # <sweep>/report is the sweep's, whatever its record says
    assert f"replaced {moved / 'report' / 'summary.md'} (the earlier report's)" in told
    assert json.loads((moved / "report" / RECORD).read_text())["sweep"] == str(moved.resolve())


def test_a_job_directory_as_out_keeps_its_tensorboard_run(tmp_path, capsys):
    """The report deleted every event file in its directory: --out <a job> lost the job's training curves."""
    sweep = make_sweep(tmp_path / "sweep")
    job = sweep / "0_optimizer=sgd"
    (job / "events.out.tfevents.1.host.1.0").write_bytes(b"the job's curves")
    before = snapshot(job)
    assert main(["report", str(sweep), "--out", str(job)]) == 2
    warning, *error = capsys.readouterr().err.splitlines()
    # the stand-in for the job's curves is no TensorBoard record: named as a damaged event file, as a real one is
    assert warning.startswith(f"warning: {job / 'events.out.tfevents.1.host.1.0'}: this TensorBoard event file is "
                              "damaged at record 1")
    assert error == [
        f"error: cannot write the report of {sweep} into {job}: it already holds events.out.tfevents.1.host.1.0 (not "
        "recorded as a report's); nothing was written. Write the report elsewhere (--out DIR), or move those files "
        "away"]
    assert snapshot(job) == before


def test_an_earlier_figure_the_new_report_does_not_draw_is_removed_and_named(tmp_path):
    sweep = make_sweep(tmp_path / "sweep")
    build_report(sweep)
    (sweep / "report" / "notes.txt").write_text("mine")  # another file in the directory: kept
    for job in sweep.glob("*_optimizer=*"):  # the jobs no longer log train/loss (say, trained again without it)
        (job / "metrics.csv").write_text("step,val/acc\n1,0.5\n")
    told: list[str] = []
    assert sorted(build_report(sweep, tell=told.append)) == ["overlay_val_acc", "summary"]
    stale = sweep / "report" / "overlay_train_loss.png"
    assert told[-1] == f"removed {stale} (the earlier report's; this report does not draw it)"
    assert not stale.exists() and (sweep / "report" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("record", ["{not json", '{"files": {}}', '{"sweep": "/s", "files": {"../x.png": "0"}}'])
def test_an_unreadable_record_is_an_error_naming_it(tmp_path, capsys, record):
    sweep = make_sweep(tmp_path / "sweep")
    (sweep / "report").mkdir()
    (sweep / "report" / RECORD).write_text(record)
    assert main(["report", str(sweep)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: cannot read {sweep / 'report' / RECORD} (") and error.endswith(
        f"), the record of the report in {sweep / 'report'}; nothing was written. Move the directory away, or write "
        "the report elsewhere (--out DIR)\n")
    assert [p.name for p in (sweep / "report").iterdir()] == [RECORD]


def test_a_job_whose_curves_are_gone_is_named_in_a_warning_and_in_the_summary(tmp_path, capsys):
    sweep = make_sweep(tmp_path / "sweep")
    (sweep / "1_optimizer=adam" / "metrics.csv").unlink()  # or its event file deleted or damaged
    assert main(["report", str(sweep)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {sweep / '1_optimizer=adam'} (completed) left no curves" in err
    assert "the figures leave it out" in err
    summary = (sweep / "report" / "summary.md").read_text()
    assert "No curves for job 1: no readable TensorBoard events or metrics.csv" in summary


def test_a_report_whose_jobs_all_have_curves_warns_of_nothing(tmp_path, capsys):
    sweep = make_sweep(tmp_path / "sweep")
    assert main(["report", str(sweep)]) == 0
    assert "warning" not in capsys.readouterr().err
    assert "No curves" not in (sweep / "report" / "summary.md").read_text()


def make_sweep_without_curves(path: Path, status: str, jobs: int = 2) -> Path:
    """A sweep of experiment B (``compare_optimizers``, whose figure is the loss curves) none of whose jobs left
    curves: ``status`` ``failed`` - every job failed at its start, before its first logged step - or ``completed``
    (trained with ``logger=none``)."""
    (path / "multirun.yaml").parent.mkdir(parents=True)
    (path / "multirun.yaml").write_text("{}\n")
    for number in range(jobs):
        job = path / f"{number}_seed={number}"
        (job / ".hydra").mkdir(parents=True)
        (job / ".hydra" / "hydra.yaml").write_text(
            "hydra:\n  runtime:\n    choices:\n      experiment: compare_optimizers\n")
        write_status(job, status, [f"seed={number}"], {}, None, 0.1,
                     error="RuntimeError: boom" if status == "failed" else None)
    return path


def test_a_sweep_whose_jobs_all_failed_at_their_start_has_no_blank_figure_and_says_why(tmp_path, capsys):
    """It drew optimizers_loss.png as empty axes (0-1) and said nothing about it."""
    sweep = make_sweep_without_curves(tmp_path / "sweep", "failed")
    assert main(["report", str(sweep)]) == 0  # as when some jobs left no curves: a warning, the report written
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [f"summary: {sweep / 'report' / 'summary.md'}"]
    assert captured.err.splitlines() == [
        f"warning: no figure of {sweep}: the jobs left no TensorBoard events or metrics.csv (jobs 0, 1: failed); "
        "each job's status.json says why it ended; summary.md lists the jobs"]
    assert list((sweep / "report").glob("*.png")) == []
    summary = (sweep / "report" / "summary.md").read_text()
    assert "| 0 | 0 | failed |\n| 1 | 1 | failed |\n" in summary
    assert summary.endswith("No curves: the jobs left no TensorBoard events or metrics.csv (jobs 0, 1: failed); "
                            "each job's status.json says why it ended. The report has no figure.\n")


def test_a_sweep_trained_without_a_logger_has_no_blank_figure_and_names_the_logger(tmp_path, capsys):
    sweep = make_sweep_without_curves(tmp_path / "sweep", "completed", jobs=10)
    assert main(["report", str(sweep)]) == 0
    assert capsys.readouterr().err.splitlines() == [
        f"warning: no figure of {sweep}: the jobs left no TensorBoard events or metrics.csv (logger=none?); the "
        "figures need logger=tensorboard (the default) or logger=csv (jobs 0, 1, 2, 3, 4, 5, 6, 7 and 2 more: "
        "completed); summary.md lists the jobs"]
    assert sorted(p.name for p in (sweep / "report").iterdir() if not p.name.startswith("events.")) == [
        RECORD, "summary.md"]


def test_an_earlier_figure_is_removed_when_no_job_has_curves_any_more(tmp_path, capsys):
    sweep = make_sweep(tmp_path / "sweep")
    assert main(["report", str(sweep)]) == 0
    for job in ("0_optimizer=sgd", "1_optimizer=adam"):
        (sweep / job / "metrics.csv").unlink()
    capsys.readouterr()
    assert main(["report", str(sweep)]) == 0
    captured = capsys.readouterr()
    assert f"removed {sweep / 'report' / 'overlay_train_loss.png'} (the earlier report's; this report does not draw " \
           "it)" in captured.out
    assert captured.err.startswith(f"warning: no figure of {sweep}: ")
    assert list((sweep / "report").glob("*.png")) == []
