"""A sweep's job directories (trainlab.sweep.job_dirs): found at any depth, once each; what a resume may do in
them; the summary's columns."""

from __future__ import annotations

import pytest

from trainlab.errors import ConfigError, RunDirInUseError
from trainlab.sweep.job_dirs import DistinctJobDirs, sweep_job_dirs


def make_job(directory):
    directory.mkdir(parents=True)
    (directory / "status.json").write_text("{}")
    return directory


def test_job_dirs_in_job_order_nested_ones_included_links_and_own_folders_skipped(tmp_path):
    second = make_job(tmp_path / "10_optimizer=adam")
    first = make_job(tmp_path / "2_monitor=val" / "acc,optimizer=sgd")  # a value with a '/'
    hydra_only = tmp_path / "3_optimizer=momentum"
    (hydra_only / ".hydra").mkdir(parents=True)  # made by Hydra, not run yet
    make_job(second / "attempts" / "0")  # an earlier attempt inside a job: not a job of the sweep
    (tmp_path / "report").mkdir()
    (tmp_path / "latest").symlink_to(tmp_path)  # a link back into the sweep: no loop, no copies
    (tmp_path / "best").symlink_to(second)
    assert sweep_job_dirs(tmp_path) == [first, hydra_only, second]
    assert sweep_job_dirs(tmp_path / "missing") == []


def test_summary_columns_are_the_swept_keys_not_how_a_job_was_started_or_how_a_value_was_written(tmp_path):
    """A member resumed alone (``ckpt_path=last``, ``trainer.enable_progress_bar=False`` typed differently) is no
    swept column; a value that really differs is."""
    from trainlab.run_status import write_status
    from trainlab.sweep.summary import collect_jobs, rows

    for number, overrides in enumerate([
            ["optimizer.lr=0.1", "trainer.enable_progress_bar=false", "model.net.hidden_sizes=[100,100]",
             "optimizer.momentum=1e-3"],
            ["optimizer.lr=0.2", "trainer.enable_progress_bar=False", "model.net.hidden_sizes=[100, 100]",
             "optimizer.momentum=0.001", "ckpt_path=last", "resume_sweep=true"]]):
        job = tmp_path / f"{number}_job"
        (job / ".hydra").mkdir(parents=True)
        write_status(job, "completed", overrides, {"val/acc": 0.5 + number / 10}, 0.5 + number / 10, 1.0)
    header, table = rows(collect_jobs(tmp_path))
    assert header == ["job", "optimizer.lr", "status", "objective", "wall_time_s", "val/acc"]
    assert [row["optimizer.lr"] for row in table] == ["0.1", "0.2"]


def test_a_resume_whose_jobs_only_hydra_can_expand_or_whose_record_is_unreadable_is_left_to_each_job(tmp_path):
    """glob() needs Hydra's config loader, a truncated multirun.yaml reads as nothing: no traceback, no refusal
    here (each job still compares its recorded overrides as it runs)."""
    from trainlab.sweep.basic_sweep import BASIC_SWEEPER
    from trainlab.sweep.job_dirs import check_resumed_sweep

    (tmp_path / "multirun.yaml").write_text("hydra:\n  overrides:\n    task: ['optimizer=glob(sg*)']\n")
    assert check_resumed_sweep(tmp_path, ["optimizer=glob(sg*)"], [], BASIC_SWEEPER) is None
    (tmp_path / "multirun.yaml").write_text("hydra:\n  overrides: [unclosed\n")
    assert check_resumed_sweep(tmp_path, ["optimizer=sgd"], [], BASIC_SWEEPER) is None
    (tmp_path / "multirun.yaml").write_text("hydra:\n  overrides:\n    task: ['optimizer=sgd,adam']\n")
    with pytest.raises(RunDirInUseError, match="its job 1 ran with optimizer=adam, this command's job 1 would run "
                                                "with optimizer=momentum"):
        check_resumed_sweep(tmp_path, ["optimizer=sgd,momentum"], [], BASIC_SWEEPER)
    assert check_resumed_sweep(tmp_path, ["optimizer=sgd,adam,momentum"], [], BASIC_SWEEPER) is None


def test_a_resume_with_another_sweeper_than_the_sweeps_is_refused_before_anything(tmp_path):
    """A search resumed into a grid sweep's directory, or a grid into a search's, put both sweeps' jobs into one
    summary.csv; a record without a sweeper (an older or hand-made multirun.yaml) is compared job by job."""
    from trainlab.sweep.basic_sweep import BASIC_SWEEPER
    from trainlab.sweep.job_dirs import check_resumed_sweep

    optuna_sweeper = "hydra_plugins.trainlab_optuna_sweeper.sweeper.TrainlabOptunaSweeper"
    (tmp_path / "multirun.yaml").write_text(
        f"hydra:\n  sweeper:\n    _target_: {BASIC_SWEEPER}\n  runtime:\n    choices:\n      hydra/sweeper: basic\n"
        "  overrides:\n    task: ['optimizer=sgd,adam']\n")
    with pytest.raises(RunDirInUseError) as refused:
        check_resumed_sweep(tmp_path, [], [], optuna_sweeper, None, "trainlab_optuna")
    assert str(refused.value) == (
        f"resume_sweep=true finishes the sweep in hydra.sweep.dir={tmp_path}: it ran with hydra/sweeper=basic, this "
        "command runs with hydra/sweeper=trainlab_optuna; its jobs would land beside that sweep's and share its "
        "summary.csv; nothing was changed. allowed: that sweep's own sweeper and overrides, or a new hydra.sweep.dir "
        "for this sweep")
    assert check_resumed_sweep(tmp_path, ["optimizer=sgd,adam"], [], BASIC_SWEEPER, None, "basic") is None
    (tmp_path / "multirun.yaml").write_text(f"hydra:\n  sweeper:\n    _target_: {optuna_sweeper}\n")
    with pytest.raises(RunDirInUseError, match=f"it ran with hydra/sweeper={optuna_sweeper}, this command runs "
                                                "with hydra/sweeper=basic;"):
        check_resumed_sweep(tmp_path, ["optimizer=sgd,adam"], [], BASIC_SWEEPER, None, "basic")
    assert check_resumed_sweep(tmp_path, [], [], optuna_sweeper, None, "trainlab_optuna") is None
    (tmp_path / "multirun.yaml").write_text("- a list, not a sweep's config\n")
    assert check_resumed_sweep(tmp_path, ["optimizer=sgd"], [], BASIC_SWEEPER) is None


def test_a_searched_key_is_a_column_whatever_its_trials_drew_and_a_loss_ranks_lowest_first(tmp_path):
    """All four trials of 'data.batch_size=range(50,150,50)' drew 100: the column was dropped; a grid sweep with
    optimized_metric=val/loss ranked its highest loss first."""
    from trainlab.run_status import write_status
    from trainlab.sweep.summary import write_summary
    from trainlab.sweep.summary_callback import metric_direction

    for number, (lr, loss) in enumerate([(0.1, 2.3), (0.2, 2.1)]):
        job = tmp_path / f"{number}_job"
        (job / ".hydra").mkdir(parents=True)
        write_status(job, "completed", [f"optimizer.lr={lr}", "data.batch_size=100"], {"val/loss": loss}, loss, 1.0)
    table = write_summary(tmp_path, direction=metric_direction("val/loss"), always=["data.batch_size"])
    header = (tmp_path / "summary.csv").read_text().splitlines()[0]
    assert header == "job,data.batch_size,optimizer.lr,status,objective,wall_time_s,val/loss"
    ranking = (tmp_path / "ranking.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in ranking[1:]] == ["1_job", "0_job"]  # the lower loss first
    assert len(table) == 2
    assert [metric_direction(m) for m in ("val/loss", "eval/test_loss", "val/acc", None)] == \
        ["minimize", "minimize", "maximize", "maximize"]


def test_a_sweep_resumed_to_return_another_metric_shows_every_jobs_objective_and_no_such_column(tmp_path):
    """Re-run with optimized_metric=train/loss resume_sweep=true: the skipped jobs kept an empty objective (they
    returned their recorded train/loss to the sweeper) and optimized_metric became a column."""
    from trainlab.run_status import write_status
    from trainlab.sweep.summary import write_summary

    for number, (overrides, objective) in enumerate([
            (["seed=1"], None),  # ran with optimized_metric=val/acc, which it never logged; skipped on the resume
            (["seed=2", "optimized_metric=train/loss", "resume_sweep=true"], 0.4)]):
        job = tmp_path / f"{number}_job"
        (job / ".hydra").mkdir(parents=True)
        write_status(job, "completed", overrides, {"train/loss": 0.5 - number / 10}, objective, 1.0)
    table = write_summary(tmp_path, direction="minimize", metric="train/loss")
    assert [row["objective"] for row in table] == [0.5, 0.4]
    assert (tmp_path / "summary.csv").read_text().splitlines()[0] == "job,seed,status,objective,wall_time_s,train/loss"


def test_the_objective_on_failure_of_diverged_jobs_alone_ranks_nothing(tmp_path):
    """A comparison's diverged jobs recorded objective_on_failure (0.0) where its completed ones had no objective:
    ranking.csv was job order and the report's summary.md had an objective column that only they filled."""
    from trainlab.report.build import summary_markdown
    from trainlab.report.sweep_runs import JobRun
    from trainlab.run_status import write_status
    from trainlab.sweep.summary import write_summary
    from trainlab.train import objective_value

    for number, (status, objective) in enumerate([("completed", None), ("diverged", 0.0), ("completed", None)]):
        job = tmp_path / f"{number}_job"
        (job / ".hydra").mkdir(parents=True)
        write_status(job, status, [f"init.std={number}"], {"eval/train_acc": 0.5}, objective, 1.0)
    write_summary(tmp_path)
    assert (tmp_path / "summary.csv").is_file() and not (tmp_path / "ranking.csv").exists()
    jobs = [JobRun(name=f"{n}_job", path=tmp_path / f"{n}_job", params={"init.std": str(n)}, status=status,
                   metrics={"eval/train_acc": 0.5}, objective=objective)
            for n, (status, objective) in enumerate([("completed", None), ("diverged", 0.0)])]
    assert "| job | init.std | status | eval/train_acc |" in summary_markdown(jobs, ["init.std"],
                                                                            "compare_batchnorm").splitlines()
    # what a job returns without optimized_metric, whatever its outcome; with one, a failure returns on_failure
    assert [objective_value(None, {"val/acc": 0.9}, s, 0.0) for s in ("completed", "diverged", "failed")] == \
        [None, None, None]
    assert [objective_value("val/acc", {"val/acc": 0.9}, s, 0.0) for s in ("completed", "diverged")] == [0.9, 0.0]


def test_job_directories_added_one_by_one_are_refused_as_a_batch_refuses_them_and_a_refused_one_is_not_kept(tmp_path):
    known = DistinctJobDirs(tmp_path / "sweep")
    known.add(0, tmp_path / "sweep" / "0_lr=0.1")
    known.add(1, tmp_path / "sweep" / "nested" / ".." / "1_lr=0.2")  # compared as absolute paths
    with pytest.raises(ConfigError, match=r"gives jobs #1 and #2 the same directory .*/sweep/1_lr=0.2; they would"):
        known.add(2, tmp_path / "sweep" / "1_lr=0.2")
    with pytest.raises(ConfigError, match=r"gives job #3 the directory .*/elsewhere, which is not inside"):
        known.add(3, tmp_path / "elsewhere")
    with pytest.raises(ConfigError, match=r"gives job #4 the sweep directory itself"):
        known.add(4, tmp_path / "sweep")
    assert known.added == {0, 1}
    known.add(5, tmp_path / "sweep" / "5_lr=0.3")  # the refusals left no trace
    assert known.added == {0, 1, 5} and len(known.numbers) == 3
