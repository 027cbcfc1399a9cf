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


def test_a_sweep_whose_only_jobs_are_links_names_them_and_the_sweep_they_lead_into(tmp_path, capsys):
    # before: "... holds no job with a status.json: is it a trainlab multirun directory?" - of a directory whose jobs
    # are there, linked, each with its status.json
    from trainlab.printed_trainlab import trainlab_command

    other = make_sweep(tmp_path / "other sweep")
    (other / "multirun.yaml").write_text("hydra: {}\n")
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "multirun.yaml").write_text("hydra: {}\n")
    (sweep / "0_optimizer=sgd").symlink_to(other / "0_optimizer=sgd")
    assert main(["report", str(sweep)]) == 2
    assert capsys.readouterr().err == (
        f"error: {sweep} holds no job of its own, only a symbolic link to a job directory outside it "
        f"(0_optimizer=sgd -> {other / '0_optimizer=sgd'}), which report does not read (a sweep's jobs are not read "
        "through links: one may lead to another sweep's job); nothing was written. allowed: report the sweep it "
        f"leads into ({trainlab_command('report', other)}), or a copy of each job in place of its link to report it "
        f"here (rm {sweep / '0_optimizer=sgd'} && cp -r '{other / '0_optimizer=sgd'}' {sweep / '0_optimizer=sgd'})\n")
    assert sorted(path.name for path in sweep.iterdir()) == ["0_optimizer=sgd", "multirun.yaml"]  # no report


def test_a_folder_of_links_to_jobs_moved_out_of_any_sweep_names_each_and_says_to_copy_them_in(tmp_path, capsys):
    moved = make_sweep(tmp_path / "moved")  # no multirun.yaml: no sweep to report instead
    links = tmp_path / "links"
    links.mkdir()
    for job in ("0_optimizer=sgd", "1_optimizer=adam"):
        (links / job).symlink_to(moved / job)
    assert main(["report", str(links)]) == 2
    assert capsys.readouterr().err == (
        f"error: {links} holds no job of its own, only symbolic links to job directories outside it "
        f"(0_optimizer=sgd -> {moved / '0_optimizer=sgd'}, 1_optimizer=adam -> {moved / '1_optimizer=adam'}), which "
        "report does not read (a sweep's jobs are not read through links: one may lead to another sweep's job); "
        "nothing was written. allowed: a copy of each job in place of its link to report them here "
        f"(e.g. rm {links / '0_optimizer=sgd'} && cp -r {moved / '0_optimizer=sgd'} {links / '0_optimizer=sgd'})\n")
    assert sorted(path.name for path in links.iterdir()) == ["0_optimizer=sgd", "1_optimizer=adam"]
