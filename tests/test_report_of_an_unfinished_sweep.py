"""``trainlab report`` of a sweep some of whose jobs have not ended (still running, or killed) names those jobs
instead of comparing fewer jobs than the sweep has without a word; and the commands it prints paste as they are
where the sweep's path holds a space (trainlab/report/build.py, trainlab/report/sweep_runs.py)."""

from __future__ import annotations

import shlex

from tests.test_sweeps import fake_job


def test_report_of_a_sweep_with_a_running_job_warns_and_names_it_in_the_summary(tmp_path, capsys):
    # before: "1 jobs: 1 completed, ..." and no word of job 1, still training in its directory
    from trainlab.cli import main

    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "multirun.yaml").write_text("hydra: {}\n")
    fake_job(sweep / "0_optimizer=sgd", ["optimizer=sgd"])
    fake_job(sweep / "1_optimizer=adam", ["optimizer=adam"], status=None)  # running: no status.json yet
    assert main(["report", str(sweep)]) == 0
    err = capsys.readouterr().err
    assert (f"warning: {sweep}: job 1_optimizer=adam wrote no status.json (a job writes it when it ends) and is not "
            "in the report: still running - report the sweep again when it is over - or killed (finish the sweep "
            "with its command and resume_sweep=true)\n") in err
    summary = (sweep / "report" / "summary.md").read_text().splitlines()
    assert summary[2] == "1 job: 1 completed, 0 diverged, 0 failed, 0 interrupted; 1 not ended"
    assert summary[-1] == ("Not ended: job 1 wrote no status.json (a job writes it when it ends) and is not in the "
                           "report: still running - report the sweep again when it is over - or killed (finish the "
                           "sweep with its command and resume_sweep=true).")


def test_report_of_an_ended_sweep_says_nothing_of_unended_jobs(tmp_path, capsys):
    from trainlab.cli import main

    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "multirun.yaml").write_text("hydra: {}\n")
    for number, optimizer in enumerate(("sgd", "adam")):
        fake_job(sweep / f"{number}_optimizer={optimizer}", [f"optimizer={optimizer}"])
    assert main(["report", str(sweep)]) == 0
    assert "status.json" not in capsys.readouterr().err
    summary = (sweep / "report" / "summary.md").read_text()
    assert "2 jobs: 2 completed, 0 diverged, 0 failed, 0 interrupted\n" in summary
    assert "Not ended" not in summary


def test_report_refusals_print_tensorboard_commands_that_paste_where_the_path_has_a_space(tmp_path, capsys):
    # before: "tensorboard --logdir /tmp/.../my sweep/0_optimizer=sgd", which the shell splits in two
    from trainlab.cli import main

    sweep = tmp_path / "my sweep"
    run = fake_job(sweep / "0_optimizer=sgd", ["optimizer=sgd"])
    (sweep / "multirun.yaml").write_text("hydra: {}\n")
    assert main(["report", str(run)]) == 2
    assert capsys.readouterr().err.endswith(f"view one run with: tensorboard --logdir {shlex.quote(str(run))}\n")
    (run / "status.json").unlink()  # the sweep's one job is running
    assert main(["report", str(sweep)]) == 2
    assert f"follow it live with: tensorboard --logdir '{sweep}' - or" in capsys.readouterr().err
