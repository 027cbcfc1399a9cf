"""A job directory of a sweep that is a symbolic link to nothing (the job moved out of the sweep, linked back, then
deleted) is named: the report left it out without a word (and called a grid sweep's job behind it "not started",
asking for resume_sweep=true), and a multirun into the sweep - resume_sweep=true included - ended at that job in
a FileExistsError traceback from Hydra's mkdir, after the jobs before it had run (trainlab/sweep/job_dirs.py
broken_links, check_no_broken_job_links; trainlab/report/build.py, trainlab/report/sweep_runs.py)."""

from __future__ import annotations

import pytest

from tests.test_report_names_jobs_not_started import MULTIRUN_YAML
from tests.test_report_output_dir import make_sweep, snapshot
from trainlab.cli import main
from trainlab.errors import RunDirInUseError
from trainlab.sweep.job_dirs import check_sweep_dir_free


def sweep_with_a_broken_link(tmp_path):
    """A grid sweep of sgd, adam, momentum whose jobs 0 and 1 ended and whose job 2's directory links to nothing."""
    sweep = make_sweep(tmp_path / "sweep")
    (sweep / "multirun.yaml").write_text(MULTIRUN_YAML.format(params="null"))
    gone = tmp_path / "moved" / "momentum"  # never made: the link's target does not exist
    (sweep / "2_optimizer=momentum").symlink_to(gone)
    (sweep / "latest").symlink_to(tmp_path / "deleted sweep")  # a broken link named like no job: no refusal
    return sweep, gone


def test_the_report_names_a_broken_job_link_in_a_warning_and_the_summary_not_as_a_job_not_started(tmp_path, capsys):
    sweep, gone = sweep_with_a_broken_link(tmp_path)
    assert main(["report", str(sweep)]) == 0
    said = (f"2_optimizer=momentum -> {gone}, latest -> {tmp_path / 'deleted sweep'} are symbolic links to nothing "
            "(the target does not exist: deleted or moved); a job whose directory they were is not in the report: "
            "put their targets back to report them, or remove the links")
    assert capsys.readouterr().err == f"warning: {sweep}: {said}\n"  # and no "job 2 ... has not started"
    summary = (sweep / "report" / "summary.md").read_text()
    assert "2 jobs: 2 completed, 0 diverged, 0 failed, 0 interrupted; 2 broken links\n" in summary
    assert summary.endswith(f"\nBroken links: {said}.\n")
    assert "Not started" not in summary


def test_a_sweep_whose_only_job_links_to_nothing_is_refused_naming_the_link(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "multirun.yaml").write_text("hydra: {}\n")
    (sweep / "0_optimizer=sgd").symlink_to(tmp_path / "gone")
    assert main(["report", str(sweep)]) == 2
    assert capsys.readouterr().err == (
        f"error: {sweep} holds no job with a status.json: 0_optimizer=sgd -> {tmp_path / 'gone'} is a symbolic link "
        "to nothing (the target does not exist: deleted or moved); a job whose directory it was is not in the "
        "report: put its target back to report it, or remove the link\n")
    assert sorted(path.name for path in sweep.iterdir()) == ["0_optimizer=sgd", "multirun.yaml"]


@pytest.mark.parametrize("resume_sweep", [True, False])
def test_a_multirun_into_a_sweep_with_a_job_link_to_nothing_is_refused_before_writing(tmp_path, resume_sweep):
    sweep, gone = sweep_with_a_broken_link(tmp_path)
    before = snapshot(sweep)
    with pytest.raises(RunDirInUseError) as refusal:
        check_sweep_dir_free(sweep, resume_sweep=resume_sweep, resuming_checkpoints=False)
    assert str(refusal.value) == (
        f"hydra.sweep.dir={sweep} holds a job directory that is a symbolic link to nothing (2_optimizer=momentum -> "
        f"{gone}: deleted or moved); the sweep's job there could not make its directory, and its summary and report "
        "leave that job out; nothing was written. allowed: the target put back, or the link removed to run that job "
        f"anew (rm {sweep / '2_optimizer=momentum'}), or a new hydra.sweep.dir")
    assert snapshot(sweep) == before
    (sweep / "2_optimizer=momentum").unlink()  # as the refusal says: the sweep's own links left alone (latest)
    check_sweep_dir_free(sweep, resume_sweep=True, resuming_checkpoints=False)


def test_train_py_resume_sweep_into_a_sweep_with_a_job_link_to_nothing_exits_with_the_refusal(
        tmp_path, train_in_process):
    sweep, gone = sweep_with_a_broken_link(tmp_path)
    before = snapshot(sweep)
    result = train_in_process("-m", "optimizer=sgd,adam,momentum", "resume_sweep=true", f"hydra.sweep.dir={sweep}")
    assert result.returncode != 0
    assert (f"error: hydra.sweep.dir={sweep} holds a job directory that is a symbolic link to nothing "
            f"(2_optimizer=momentum -> {gone}: deleted or moved)") in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert snapshot(sweep) == before
