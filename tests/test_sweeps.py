"""Sweeps that survive: status.json per job, summary.csv, divergence, failures, resume, launchers, the report.

Multiruns with Hydra's basic launcher run in this process (``train_in_process``); the joblib and submitit launchers
start worker processes of their own, so their tests start ``train.py`` as a subprocess.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tb_events import hparams_backend, load_run, scalar_values

from trainlab.report.build import build_report
from trainlab.report.smoothing import kaiser_smooth
from trainlab.run_status import read_status


def summary_rows(sweep_dir):
    with (sweep_dir / "summary.csv").open() as handle:
        return list(csv.DictReader(handle))


def only_sweep(tmp_path):
    (sweep_dir,) = (tmp_path / "outputs" / "multiruns").iterdir()
    return sweep_dir


def test_diverging_member_is_recorded_and_the_sweep_goes_on(train_in_process, tmp_path):
    result = train_in_process("-m", "debug=limit", "optimizer=sgd", "optimizer.lr=0.01,1000")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = summary_rows(only_sweep(tmp_path))
    assert [(r["optimizer.lr"], r["status"]) for r in rows] == [("0.01", "completed"), ("1000", "diverged")]
    assert float(rows[1]["objective"]) == 0.0  # objective_on_failure
    assert rows[1]["train/loss"] == "nan"
    diverged_dir = only_sweep(tmp_path) / rows[1]["job"]
    assert scalar_values(diverged_dir, "~hparams/status") == [1.0]  # 1 = diverged
    assert read_status(diverged_dir)["wall_time_s"] > 0
    assert "ranking.csv" in os.listdir(only_sweep(tmp_path))


def test_a_comparison_without_optimized_metric_returns_no_objective_even_for_a_diverged_job(train_in_process,
                                                                                             tmp_path):
    """optimized_metric=null (experiments F-H): the diverged job recorded objective_on_failure (0.0), the sweep's only
    objective, so ranking.csv was job order and the report's summary.md had an objective column of one 0.0000."""
    result = train_in_process("-m", "debug=limit", "optimizer=sgd", "optimizer.lr=0.01,1000", "optimized_metric=null",
                              "hydra/launcher=stacked")
    assert result.returncode == 0, result.stderr[-3000:]
    sweep_dir = only_sweep(tmp_path)
    rows = summary_rows(sweep_dir)
    assert [(r["status"], r["objective"]) for r in rows] == [("completed", ""), ("diverged", "")]
    assert [read_status(sweep_dir / r["job"])["objective"] for r in rows] == [None, None]
    assert not (sweep_dir / "ranking.csv").exists()
    table = build_report(sweep_dir)["summary"].read_text().splitlines()
    header = next(number for number, line in enumerate(table) if line.startswith("| job |"))
    assert table[header].startswith("| job | optimizer.lr | status | train/loss |")
    assert table[header + 3].startswith("| 1 | 1000 | diverged | nan |")


@pytest.mark.slow  # ~4 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_runtime_failure_is_recorded_and_the_sweep_goes_on(train_in_process, tmp_path):
    crash = "+callbacks.crash={_target_:failing_callback.FailAtStep,step:3}"  # tests/ is on sys.path
    result = train_in_process("-m", "debug=limit", "optimizer=sgd,adam", crash)
    assert result.returncode == 1, result.stderr[-3000:]  # no job completed (one that does: exit 0, see below)
    sweep_dir = only_sweep(tmp_path)
    rows = summary_rows(sweep_dir)
    assert [r["status"] for r in rows] == ["failed", "failed"]  # both ran; the first failure did not stop the sweep
    status = read_status(sweep_dir / rows[0]["job"])
    assert status["error"] == "RuntimeError: simulated crash at step 3"


def test_config_error_stops_the_sweep_before_training(train_in_process, tmp_path):
    result = train_in_process("-m", "debug=limit", "optimizer.lr=-1,0.1")
    assert result.returncode == 2
    assert "error: optimizer.lr=-1 is invalid" in result.stderr
    assert not list((tmp_path / "outputs").rglob("status.json"))


@pytest.mark.slow  # over 4 s on 2 cores: the default run stays near 4 min
def test_a_sweep_whose_jobs_failed_at_their_start_points_the_corrected_sweep_to_a_new_directory(train_in_process,
                                                                                                 tmp_path):
    sweep_dir = tmp_path / "sweep"
    # a refusal the job finds once its files are written (its data of one's own, say) stops the sweep at its first job
    refuse = "+callbacks.refuse={_target_:failing_callback.RefuseWhen,value:${seed},refused:1}"
    failed = train_in_process("-m", "debug=limit", refuse, "seed=1,2", f"hydra.sweep.dir={sweep_dir}")
    assert failed.returncode == 2
    (job,) = sorted(sweep_dir.glob("*_*"))
    assert job.name.startswith("0_") and job.name.endswith("seed=1") and read_status(job)["status"] == "failed"
    refused = train_in_process("-m", "debug=limit", "data.train_size=1000", "seed=1,2", f"hydra.sweep.dir={sweep_dir}")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith(
        f"error: hydra.sweep.dir={sweep_dir} holds jobs that failed without a checkpoint ({job.name}); nothing was "
        "overwritten. Give the corrected sweep a new hydra.sweep.dir, or re-run those jobs")


@pytest.mark.slow  # ~7 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_resume_sweep_skips_completed_jobs(train_in_process, tmp_path):
    sweep_dir = tmp_path / "sweep"
    args = ["-m", "debug=limit", "optimizer=sgd,adam", f"hydra.sweep.dir={sweep_dir}"]
    assert train_in_process(*args).returncode == 0
    first, second = sorted(p for p in sweep_dir.iterdir() if p.is_dir())
    (second / "status.json").unlink()  # as if the sweep had been killed while the second job ran
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in first.iterdir() if p.is_file()}
    every_file = {p: p.read_bytes() for p in sweep_dir.rglob("*") if p.is_file()}

    refused = train_in_process(*args)  # without the switch: refused before Hydra writes a job's .hydra/
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith(
        f"error: hydra.sweep.dir={sweep_dir} already holds a run in 0_")
    assert {p: p.read_bytes() for p in sweep_dir.rglob("*") if p.is_file()} == every_file

    result = train_in_process(*args, "resume_sweep=true")
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"resume_sweep=true: 0_\S*optimizer=sgd\S* completed before; skipping it", result.stdout)
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in first.iterdir() if p.is_file()}
    assert {k: v for k, v in after.items() if not k.endswith(".log")} == {
        k: v for k, v in before.items() if not k.endswith(".log")}
    assert read_status(second)["status"] == "completed"
    attempt = second / "attempts" / "0"  # the unfinished attempt is kept, as no TensorBoard run or HPARAMS row
    assert list(attempt.glob("events.out.attempt-events.*")) and not list(attempt.rglob("*tfevents*"))
    _, groups, runs = hparams_backend(sweep_dir)
    assert sorted(group.name for group in groups) == [first.name, second.name]
    assert not [run for run in runs if "attempts" in run]
    rows = summary_rows(sweep_dir)
    assert [r["status"] for r in rows] == ["completed", "completed"]
    assert "resume_sweep" not in rows[0]  # how the jobs were started is no column (only the re-run one carries it)



@pytest.mark.slow  # ~6 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_resume_sweep_never_skips_a_completed_job_of_another_sweep_in_the_same_directory(train_in_process, tmp_path):
    sweep_dir = tmp_path / "sweep"
    numbered = ["-m", "debug=limit", f"hydra.sweep.dir={sweep_dir}", "hydra.sweep.subdir=${hydra.job.num}"]
    assert train_in_process(*numbered, "optimizer=sgd").returncode == 0
    summary_before = (sweep_dir / "summary.csv").read_bytes()
    other = train_in_process(*numbered, "optimizer=adam", "resume_sweep=true")  # job 0 again, another optimizer
    assert other.returncode == 2  # refused by the sweep's recorded overrides (multirun.yaml), before any job
    assert other.stderr.strip().splitlines()[-1] == (
        f"error: resume_sweep=true finishes the sweep in hydra.sweep.dir={sweep_dir}: its job 0 ran with "
        "data.source=bundled optimizer=sgd, this command's job 0 would run with data.source=bundled optimizer=adam "
        "and land beside it, sharing its summary.csv; nothing was changed. allowed: that sweep's overrides and values "
        "(jobs may be added after its own; display and location keys may differ), or a new hydra.sweep.dir for this "
        "sweep")
    assert (sweep_dir / "summary.csv").read_bytes() == summary_before
    # and by each job's recorded overrides where no multirun.yaml says them
    (sweep_dir / "multirun.yaml").unlink()
    other = train_in_process(*numbered, "optimizer=adam", "resume_sweep=true")
    assert other.returncode == 2
    assert other.stderr.strip().splitlines()[-1].startswith(
        f"error: {sweep_dir / '0'} holds a completed job with other overrides (data.source=bundled "
        "optimizer=sgd) than this one (data.source=bundled optimizer=adam)")
    assert (sweep_dir / "summary.csv").read_bytes() == summary_before
    assert read_status(sweep_dir / "0")["overrides"][-1] == "optimizer=sgd"


@pytest.mark.slow  # ~10 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_resume_sweep_goes_on_with_other_display_overrides_and_warns_where_there_is_nothing_to_resume(
        train_in_process, tmp_path):
    sweep_dir = tmp_path / "sweep"
    args = ["-m", "debug=limit", "optimizer=sgd,adam", f"hydra.sweep.dir={sweep_dir}"]
    assert train_in_process(*args).returncode == 0
    # the fixed overrides in another order, the list written with a space, a display key, one job more: it goes on
    again = train_in_process("-m", f"hydra.sweep.dir={sweep_dir}", "optimizer=sgd, adam, momentum", "debug=limit",
                             "resume_sweep=true", "trainer.enable_progress_bar=false")
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("completed before; skipping it") == 2
    assert [row["status"] for row in summary_rows(sweep_dir)] == ["completed"] * 3
    elsewhere = train_in_process("-m", "debug=limit", "optimizer=sgd", f"hydra.sweep.dir={tmp_path / 'typo'}",
                                 "resume_sweep=true")
    assert elsewhere.returncode == 0
    assert (f"warning: resume_sweep=true: hydra.sweep.dir={tmp_path / 'typo'} holds no sweep to resume; every job "
            "runs") in elsewhere.stderr


def test_a_sweep_dir_that_a_config_fixes_names_the_sweep_to_resume(tmp_path):
    """Only the default, timestamped hydra.sweep.dir names no sweep: a config of one's own may fix one."""
    from trainlab.errors import ConfigError
    from trainlab.sweep.job_dirs import check_resume_names_its_sweep

    check_resume_names_its_sweep(tmp_path / "fixed", [], "${paths.log_dir}/multiruns/my_study")  # starts there
    with pytest.raises(ConfigError, match="resume_sweep=true: no hydra.sweep.dir names the sweep to resume"):
        check_resume_names_its_sweep(tmp_path / "new", [], "${paths.log_dir}/multiruns/${now:%Y-%m-%d}")


@pytest.mark.parametrize("sweep", [["-m", "optimizer=sgd,adam"], ["hparams_search=random", "hydra.sweeper.n_trials=2"]])
def test_resume_sweep_without_a_sweep_dir_is_refused_with_the_newest_sweep(train_in_process, tmp_path, sweep,
                                                                          monkeypatch):
    """Without hydra.sweep.dir the sweep goes to a new timestamped directory: nothing to resume there, and it
    started anew with exit status 0 (a search said so in a log line)."""
    multiruns = tmp_path / "outputs" / "multiruns"
    for name, age in (("2026-12-01_10-00-00", 100), ("2026-12-02_10-00-00", 0)):
        (multiruns / name).mkdir(parents=True)
        (multiruns / name / "multirun.yaml").write_text("hydra: {}\n")
        os.utime(multiruns / name / "multirun.yaml", (1e9 - age, 1e9 - age))
    monkeypatch.chdir(tmp_path)  # the newest sweep lies below the current directory: still named absolute
    result = train_in_process(*sweep, "debug=limit", "resume_sweep=true", f"paths.log_dir={tmp_path / 'outputs'}")
    assert result.returncode == 2, result.stderr[-3000:]
    line = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(
        rf"error: resume_sweep=true: no hydra.sweep.dir names the sweep to resume, and this command's sweep dir "
        rf"{re.escape(str(multiruns))}/[0-9_-]+ does not exist - there is nothing to resume there, the sweep would "
        rf"start anew; nothing was written. allowed: resume_sweep=true hydra.sweep.dir=<the sweep's directory> \(the "
        rf"newest sweep in {re.escape(str(multiruns))}: "
        rf"hydra.sweep.dir={re.escape(str(multiruns))}/2026-12-02_10-00-00\)", line), line
    assert sorted(p.name for p in multiruns.iterdir()) == ["2026-12-01_10-00-00", "2026-12-02_10-00-00"]


@pytest.mark.slow  # ~10 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_multirun_that_resumes_its_jobs_from_their_checkpoints_may_use_its_own_sweep_dir(train_in_process,
                                                                                            tmp_path):
    sweep_dir = tmp_path / "sweep"
    # jobs named by number: the resume's larger budget names the same directories
    args = ["-m", "debug=limit", "optimizer=sgd,adam", f"hydra.sweep.dir={sweep_dir}",
            "hydra.sweep.subdir=${hydra.job.num}"]
    assert train_in_process(*args).returncode == 0
    jobs = sorted(job for job in sweep_dir.iterdir() if job.is_dir())
    curves = [scalar_values(job, "val/acc") for job in jobs]
    # the same budget would train nothing (refused: it would only replace each job's status.json); one more epoch
    same = train_in_process(*args, "ckpt_path=last")
    assert same.returncode == 2 and "is at the end of this config's budget" in same.stderr.splitlines()[-1]
    resumed = train_in_process(*args, "ckpt_path=last", "trainer.max_epochs=3")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    for job, curve in zip(jobs, curves, strict=True):  # continued, not trained again from the start
        assert len(curve) == 2 and scalar_values(job, "val/acc")[:2] == curve
        assert len(scalar_values(job, "val/acc")) == 3
    assert [read_status(job)["status"] for job in jobs] == ["completed", "completed"]

@pytest.mark.slow  # ~5 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_an_override_value_with_a_slash_nests_the_job_dir_and_the_sweep_still_reads_whole(train_in_process,
                                                                                          tmp_path):
    sweep_dir = tmp_path / "sweep"
    args = ["-m", "debug=limit", "optimizer=sgd,adam", "model.scheduler_monitor=val/acc",
            f"hydra.sweep.dir={sweep_dir}"]
    result = train_in_process(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "sweep summary: " in result.stdout and "(2 completed, 0 diverged, 0 failed)" in result.stdout
    rows = summary_rows(sweep_dir)
    assert [r["optimizer"] for r in rows] == ["sgd", "adam"]
    assert rows[0]["job"] == "0_data.source=bundled,model.scheduler_monitor=val/acc,optimizer=sgd"
    assert set(build_report(sweep_dir)) >= {"summary"}
    refused = train_in_process(*args)  # the nested job directories are found too
    assert refused.returncode == 2 and "already holds a run in 0_" in refused.stderr.splitlines()[-1]


@pytest.mark.slow  # ~30 s each: every job is a new process that imports Lightning
@pytest.mark.parametrize("launcher", ["joblib", "submitit_local"])
def test_launchers_complete_a_two_job_sweep(launcher, train_subprocess, tmp_path):
    extra = ["hydra.launcher.n_jobs=2"] if launcher == "joblib" else []
    result = train_subprocess("-m", f"hydra/launcher={launcher}", *extra, "debug=limit", "optimizer=sgd,adam")
    assert result.returncode == 0, result.stderr[-3000:]
    sweep_dir = only_sweep(tmp_path)
    rows = summary_rows(sweep_dir)
    assert [(r["optimizer"], r["status"]) for r in rows] == [("sgd", "completed"), ("adam", "completed")]
    # the same job directories as with the basic launcher: one TensorBoard run and checkpoint per job
    jobs = sorted(p for p in sweep_dir.iterdir() if p.is_dir() and p.name[0].isdigit())
    assert [p.name for p in jobs] == ["0_data.source=bundled,optimizer=sgd", "1_data.source=bundled,optimizer=adam"]
    for job in jobs:
        assert len(scalar_values(job, "val/acc")) == 2 and (job / "checkpoints" / "last.ckpt").is_file(), job.name
    if launcher == "submitit_local":
        assert (sweep_dir / ".submitit").is_dir()  # submitit's own logs, as docs/launchers.md says


@pytest.mark.slow  # ~2 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_report_of_a_sweep_without_logs_says_why_it_has_no_figure(train_in_process, tmp_path):
    result = train_in_process("-m", "debug=limit", "optimizer=sgd,adam", "logger=none")
    assert result.returncode == 0
    written = build_report(only_sweep(tmp_path))
    assert set(written) == {"summary"}
    assert "No curves: the jobs left no TensorBoard events or metrics.csv (logger=none?)" in \
        written["summary"].read_text()


@pytest.mark.parametrize("logger", ["tensorboard", "csv"])  # the curves come from event files or metrics.csv
@pytest.mark.slow  # ~5 s each on 2 cores (make test-slow; the default run stays ~4 min)
def test_report_draws_figure_summary_and_tensorboard_image(logger, train_in_process, tmp_path, capsys):
    from trainlab.cli import main

    result = train_in_process("-m", "debug=limit", "optimizer=sgd,adam", f"logger={logger}")
    assert result.returncode == 0
    sweep_dir = only_sweep(tmp_path)
    assert main(["report", str(sweep_dir)]) == 0
    report = sweep_dir / "report"
    pngs = sorted(p.name for p in report.glob("*.png"))
    assert pngs == ["overlay_train_loss.png", "overlay_val_acc.png"]
    assert all((report / p).read_bytes()[:4] == b"\x89PNG" for p in pngs)
    summary = (report / "summary.md").read_text()
    assert "| job | optimizer | status |" in summary and "| 1 | adam | completed |" in summary
    images = load_run(report).Tags()["images"]
    assert set(images) == {"report/overlay_train_loss", "report/overlay_val_acc"}
    for tag in images:  # TensorBoard shows the picture the PNG holds, pixel for pixel
        logged = load_run(report).Images(tag)[0].encoded_image_string
        with Image.open(io.BytesIO(logged)) as tb_image, Image.open(report / f"{tag.split('/')[1]}.png") as png:
            assert tb_image.size == png.size and png.size[0] > 500
            assert np.array_equal(np.asarray(tb_image.convert("RGB")), np.asarray(png.convert("RGB")))
    assert "summary: " in capsys.readouterr().out
    assert main(["report", str(sweep_dir)]) == 0  # again: the images replace the earlier report's, as the PNGs do
    assert len(list(report.glob("events.out.tfevents.*"))) == 1
    assert [len(load_run(report).Images(tag)) for tag in sorted(images)] == [1, 1]


@pytest.mark.slow  # ~4 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_report_recognises_an_experiment(train_in_process, tmp_path):
    result = train_in_process("experiment=compare_init", "trainer.max_steps=40")
    assert result.returncode == 0, result.stderr[-3000:]
    written = build_report(only_sweep(tmp_path))
    assert set(written) == {"init_loss", "summary"}
    summary = written["summary"].read_text()
    assert "compare_init" in summary and "| init |" in summary


def test_report_on_a_directory_without_jobs_is_a_clear_error(tmp_path, capsys):
    from trainlab.cli import main

    assert main(["report", str(tmp_path)]) == 2
    assert f"{tmp_path} holds no job with a status.json" in capsys.readouterr().err


def test_report_on_a_single_run_says_so(tmp_path, capsys):
    from trainlab.cli import main

    run = tmp_path / "run"
    run.mkdir()
    (run / "status.json").write_text('{"status": "completed"}')
    assert main(["report", str(run)]) == 2
    assert capsys.readouterr().err == (
        f"error: {run} is a single run, not a sweep: report compares the jobs of a multirun directory; view one run "
        f"with: tensorboard --logdir {run}\n")
    (tmp_path / "multirun.yaml").write_text("hydra: {}\n")  # now run is a job of the sweep tmp_path
    assert main(["report", str(run)]) == 2
    assert f"multirun directory (it is a job of the sweep {tmp_path}: trainlab report {tmp_path}); view" in (
        capsys.readouterr().err)


def fake_job(job_dir: Path, overrides: list[str], choices: dict[str, str] | None = None, config: str = "",
             status: str | None = "completed") -> Path:
    """A job or run directory as trainlab leaves it: .hydra/ (its group choices and config), and its status.json
    once it has ended."""
    (job_dir / ".hydra").mkdir(parents=True)
    (job_dir / ".hydra" / "hydra.yaml").write_text(json.dumps({"hydra": {"runtime": {"choices": choices or {}}}}))
    (job_dir / ".hydra" / "config.yaml").write_text(config)
    if status:
        (job_dir / "status.json").write_text(json.dumps({"status": status, "overrides": overrides,
                                                          "metrics": {"val/acc": 0.5}}))
    return job_dir


def test_report_on_a_folder_of_sweeps_names_them_instead_of_reporting_what_lies_beside_them(tmp_path, capsys):
    from trainlab.cli import main

    outputs = tmp_path / "outputs"
    for written, sweep in enumerate((outputs / "B", outputs / "multiruns" / "2026-12-05_06-00-00")):
        fake_job(sweep / "0_optimizer=sgd", ["optimizer=sgd"])
        (sweep / "multirun.yaml").write_text("hydra: {}\n")
        os.utime(sweep / "multirun.yaml", (1_800_000_000 + written, 1_800_000_000 + written))
    fake_job(outputs / "runs" / "2026-12-05_07-00-00", ["optimizer=adam"])  # it was reported as a sweep of one job
    assert main(["report", str(outputs)]) == 2
    assert capsys.readouterr().err == (
        f"error: {outputs} holds 2 sweeps (B, multiruns/2026-12-05_06-00-00), not the jobs of one: report compares "
        f"the jobs of one sweep, e.g. the newest: trainlab report {outputs / 'multiruns' / '2026-12-05_06-00-00'}\n")
    assert not (outputs / "report").exists()  # nothing written


def test_report_on_the_parent_of_sweeps_suggests_the_newest_as_a_resume_does(tmp_path, capsys):
    """``trainlab report outputs/multiruns`` suggested the first sweep by name - the oldest of timestamped ones -
    where ``resume_sweep=true`` without ``hydra.sweep.dir`` names the newest (its ``multirun.yaml`` written last)."""
    from trainlab.cli import main
    from trainlab.run_dir import newest_beside

    multiruns = tmp_path / "outputs" / "multiruns"
    names = ["2026-12-07_22-22-44", "2026-12-08_09-00-00", "2026-12-08_10-30-00"]
    for written, name in enumerate(names):
        fake_job(multiruns / name / "0_optimizer=sgd", ["optimizer=sgd"])
        (multiruns / name / "multirun.yaml").write_text("hydra: {}\n")
        os.utime(multiruns / name / "multirun.yaml", (1_800_000_000 + written, 1_800_000_000 + written))
    assert main(["report", str(multiruns)]) == 2
    assert capsys.readouterr().err.endswith(f"e.g. the newest: trainlab report {multiruns / names[-1]}\n")
    assert newest_beside(multiruns / "2026-12-09_00-00-00", "multirun.yaml") == multiruns / names[-1]


def test_report_on_a_sweep_whose_jobs_have_not_ended_says_so(tmp_path, capsys):
    from trainlab.cli import main

    (tmp_path / "multirun.yaml").write_text("hydra: {}\n")
    for job in ("0_optimizer=sgd", "1_optimizer=adam"):
        fake_job(tmp_path / job, [job.split("_", 1)[1]], status=None)  # running: no status.json yet
    assert main(["report", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path} is a sweep none of whose 2 started jobs wrote a status.json (a job writes it when it "
        f"ends): still running - run trainlab report again when the sweep is over, or follow it live with: "
        f"tensorboard --logdir {tmp_path} - or stopped without one (killed): finish it with its command and "
        "resume_sweep=true\n")


def test_report_of_a_folder_of_single_runs_names_each_run_and_the_values_it_did_not_override(tmp_path):
    from trainlab.report.build import summary_markdown
    from trainlab.report.sweep_runs import load_sweep

    fake_job(tmp_path / "2026-12-05_06-00-00", ["optimizer=adam", "init=he"], {"optimizer": "adam", "init": "he"},
             "trainer:\n  max_epochs: 20\n")
    fake_job(tmp_path / "2026-12-05_06-10-00", ["optimizer=sgd", "trainer.max_epochs=2"],
             {"optimizer": "sgd", "init": "default"}, "trainer:\n  max_epochs: 2\n")
    jobs, keys, _ = load_sweep(tmp_path)
    assert keys == ["init", "optimizer", "trainer.max_epochs"]
    assert [job.label(keys) for job in jobs] == ["init=he, optimizer=adam, max_epochs=20",
                                                 "init=default, optimizer=sgd, max_epochs=2"]  # was init=? ... =?
    rows = summary_markdown(jobs, keys, None).splitlines()
    assert rows[2] == "2 jobs: 2 completed, 0 diverged, 0 failed, 0 interrupted"
    header = rows.index("| job | init | optimizer | trainer.max_epochs | status | val/acc |")
    assert rows[header + 2:header + 4] == ["| 2026-12-05_06-00-00 | he | adam | 20 | completed | 0.5 |",
                         "| 2026-12-05_06-10-00 | default | sgd | 2 | completed | 0.5 |"]  # both were "2026-12-05"


@pytest.mark.slow  # over 4 s on 2 cores: the default run stays near 4 min
def test_resuming_a_batch_norm_sweep_recorded_before_its_eps_keeps_the_eps_its_jobs_had(train_in_process, tmp_path):
    """Experiment F's completed jobs trained with ε 1e-5; its unfinished ones, resumed under today's 1e-6, would not
    have been comparable with them - nothing said so."""
    sweep = tmp_path / "sweep"
    args = ["-m", "model.net.batch_norm=custom", "seed=1,2", "debug=limit", f"hydra.sweep.dir={sweep}"]
    assert train_in_process(*args).returncode == 0
    for config in sweep.glob("*/.hydra/config.yaml"):  # as the previous version recorded them
        config.write_text(config.read_text().replace("    batch_norm_eps: 1.0e-06\n", ""))
    assert "batch_norm_eps" not in next(sweep.glob("0_*/.hydra/config.yaml")).read_text()
    refused = train_in_process(*args, "resume_sweep=true")
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert refused.stderr.strip().splitlines()[-1].startswith(
        f"error: resume_sweep=true finishes the sweep in hydra.sweep.dir={sweep}: its job 0_")
    assert ("trained its BatchNorm with ε 1e-05 (recorded before model.net.batch_norm_eps existed), this command's "
            "jobs would use 1e-06; nothing was changed. allowed: batch_norm_eps: 1e-05 in the model's config file "
            "(conf/model/mlp.yaml) while the sweep finishes as it began") in refused.stderr
    # the override the refusal once gave renamed every job: the whole sweep trained anew beside the old jobs
    jobs_before = sorted(path.name for path in sweep.iterdir())
    renamed = train_in_process(*args, "resume_sweep=true", "model.net.batch_norm_eps=1e-05")
    assert renamed.returncode == 2 and "would run with" in renamed.stderr, renamed.stderr[-2000:]
    assert sorted(path.name for path in sweep.iterdir()) == jobs_before
    # without BatchNorm ε acts on nothing: such a sweep resumes as it is
    plain = tmp_path / "plain"
    assert train_in_process("-m", "seed=1,2", "debug=limit", f"hydra.sweep.dir={plain}").returncode == 0
    for config in plain.glob("*/.hydra/config.yaml"):
        config.write_text(config.read_text().replace("    batch_norm_eps: 1.0e-06\n", ""))
    assert train_in_process("-m", "seed=1,2", "debug=limit", f"hydra.sweep.dir={plain}",
                            "resume_sweep=true").returncode == 0


def test_a_normal_initialisation_is_labelled_with_its_std_as_the_books_figure_is(tmp_path):
    from trainlab.report.sweep_runs import load_sweep

    (tmp_path / "multirun.yaml").write_text("hydra: {}\n")
    for number, init in enumerate(("normal", "he")):
        fake_job(tmp_path / f"{number}_init={init}", [f"init={init}"], {"init": init},
                 "init:\n  std: 0.01\n" if init == "normal" else "init: {}\n")
    jobs, keys, _ = load_sweep(tmp_path)
    assert [job.label(keys) for job in jobs] == ["init=normal (std=0.01)", "init=he"]  # was init=normal
    assert jobs[0].label(["init", "init.std"]).startswith("init=normal, std=")  # a key of its own: not twice


def test_a_legend_tells_keys_of_one_name_apart():
    """A sweep of seed and data.seed had the legend `seed=0, seed=0`; data.seed alone read as the model's seed."""
    from trainlab.report.sweep_runs import legend_name

    keys = ["seed", "data.seed", "optimizer.lr", "scheduler.lr", "model.net.dropout"]
    assert [legend_name(key, keys) for key in keys] == ["seed", "data.seed", "optimizer.lr", "scheduler.lr",
                                                        "dropout"]
    assert legend_name("data.seed", ["data.seed"]) == "data.seed"
    assert legend_name("optimizer.lr", ["optimizer.lr", "init"]) == "lr"


def test_kaiser_smoothing_is_the_books():
    import numpy as np

    x = np.random.default_rng(0).normal(size=50).cumsum()
    window = np.kaiser(11, 2)
    padded = np.r_[x[10:0:-1], x, x[-1:-11:-1]]
    expected = np.convolve(window / window.sum(), padded, mode="valid")[5:-5]
    smoothed = kaiser_smooth(x)
    assert smoothed.shape == x.shape
    np.testing.assert_allclose(smoothed, expected)
    np.testing.assert_allclose(kaiser_smooth(np.full(30, 2.5)), np.full(30, 2.5))  # constants stay constant
    assert np.abs(np.diff(smoothed)).sum() < np.abs(np.diff(x)).sum()  # and it does smooth


@pytest.mark.parametrize(("overrides", "status", "line"), [
    (["+callbacks.fail._target_=failing_callback.FailAtStep", "+callbacks.fail.step=1", "seed=1,2"], 1,
     "error: no job of the sweep completed (2 failed, 0 diverged): each failed job's error is in its status.json and "
     "train.log; {summary} lists them"),
    (["optimizer.lr=1e12,1e13"], 3, "diverged: every job of the sweep diverged (2); {summary} lists them"),
])
def test_a_sweep_in_which_no_job_completed_exits_non_zero_after_its_summary(train_in_process, tmp_path, overrides,
                                                                            status, line):
    """It exited 0, and a script chaining `train.py -m ... && trainlab report ...` went on."""
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", *overrides, "debug=limit", "hydra/launcher=basic", f"hydra.sweep.dir={sweep}")
    assert result.returncode == status, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == line.format(summary=sweep / "summary.csv")
    rows = list(csv.DictReader((sweep / "summary.csv").open()))
    assert [row["status"] for row in rows] == (["failed", "failed"] if status == 1 else ["diverged", "diverged"])


@pytest.mark.slow  # ~5 s on 2 cores, the Intel Xeon VM (make test-slow; the default run stays short)
def test_a_sweep_with_one_completed_job_among_failed_and_diverged_ones_exits_0(train_in_process, tmp_path):
    crash = ["+callbacks.fail._target_=failing_callback.FailAtStep", "+callbacks.fail.step=1,1000000"]
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", *crash, "optimizer.lr=1e12,0.01", "debug=limit", "hydra/launcher=basic",
                              f"hydra.sweep.dir={sweep}")
    assert result.returncode == 0, result.stderr[-3000:]
    statuses = sorted(row["status"] for row in csv.DictReader((sweep / "summary.csv").open()))
    assert statuses == ["completed", "diverged", "failed", "failed"]


def test_a_fast_dev_run_sweep_says_why_it_has_no_hparams_experiment(train_in_process):
    result = train_in_process("-m", "debug=fast_dev_run", "optimizer=sgd,adam")
    assert result.returncode == 0, result.stderr[-2000:]
    assert ("no HPARAMS experiment of the sweep: none of its jobs wrote a TensorBoard session (trainer.fast_dev_run "
            "turns the loggers off)") in result.stdout + result.stderr


@pytest.mark.slow  # ~2 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_a_basic_sweep_that_a_later_jobs_refusal_ends_lists_what_ran_in_its_summary(train_in_process, tmp_path):
    """Job 0 trained and completed, job 1 refuses what it finds once it runs (its data of one's own, say; exit status
    2): the sweep directory held only the job directories and multirun.yaml - no summary.csv or sweep HPARAMS of the
    job that ran."""
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", "seed=1,2", "debug=limit", "data.source=bundled", "hydra/launcher=basic",
                              "+callbacks.refuse={_target_:failing_callback.RefuseWhen,value:${seed},refused:2}",
                              f"hydra.sweep.dir={sweep}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1].startswith("error: value=2 is refused by the job's own data")
    assert [(row["seed"], row["status"]) for row in summary_rows(sweep)] == [("1", "completed"), ("2", "failed")]
    assert len(list(sweep.glob("events.out.tfevents.*.hparams"))) == 1


def summary_header(sweep_dir):
    return (sweep_dir / "summary.csv").read_text().splitlines()[0].split(",")


@pytest.mark.parametrize("swept_by", ["command line", "experiment"])
@pytest.mark.slow  # ~4 s on 2 cores, the Intel Xeon VM (make test-slow; the default run stays short)
def test_a_sweep_stopped_in_its_first_job_has_the_summary_columns_of_the_finished_sweep(train_in_process, tmp_path,
                                                                                          swept_by):
    """A sweep stopped with one job recorded (here by job 1's refusal; a Ctrl-C in job 0 likewise) wrote a summary
    "so far" with every override of the command as a column (job,data.source,debug,paths.data_dir,paths.log_dir,
    trainer.enable_progress_bar,trainer.limit_train_batches,status,...), where the finished sweep has the swept key."""
    def sweep(values: str) -> list[str]:
        if swept_by == "command line":
            return ["-m", f"trainer.limit_train_batches={values}"]
        experiment = tmp_path / "conf" / "experiment" / f"limits_{values.replace(',', '_')}.yaml"
        experiment.parent.mkdir(parents=True, exist_ok=True)
        experiment.write_text("# @package _global_\nhydra:\n  mode: MULTIRUN\n  sweeper:\n    params:\n"
                              f"      trainer.limit_train_batches: {values}\n")
        return ["--config-dir", str(tmp_path / "conf"), f"experiment={experiment.stem}"]

    stopped = train_in_process(*sweep("2,-3"), "debug=limit", f"hydra.sweep.dir={tmp_path / 'stopped'}")
    assert stopped.returncode == 2, stopped.stderr[-3000:]
    assert "sweep summary so far: " in stopped.stdout + stopped.stderr
    finished = train_in_process(*sweep("2,3"), "debug=limit", f"hydra.sweep.dir={tmp_path / 'finished'}")
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert summary_header(tmp_path / "stopped")[:3] == ["job", "trainer.limit_train_batches", "status"]
    assert summary_header(tmp_path / "stopped") == summary_header(tmp_path / "finished")


@pytest.mark.slow  # ~3 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_the_paths_a_sweep_prints_are_absolute_where_its_sweep_dir_is_relative(train_in_process, tmp_path,
                                                                               monkeypatch):
    """hydra.sweep.dir=rel/sw printed 'sweep summary: rel/sw/summary.csv', 'HPARAMS experiment of the sweep:
    rel/sw/events.out...', and 'sweep summary so far: rel/...' for a stopped one; the README says they are absolute."""
    monkeypatch.chdir(tmp_path)
    finished = train_in_process("-m", "debug=limit", "hydra.sweep.dir=rel/sw")
    assert finished.returncode == 0, finished.stderr[-3000:]
    printed, sweep = finished.stdout + finished.stderr, Path.cwd() / "rel" / "sw"
    assert f"sweep summary: {sweep / 'summary.csv'} (1 completed, 0 diverged, 0 failed)" in printed
    assert re.search(rf"HPARAMS experiment of the sweep: {re.escape(str(sweep))}/events\.out\.tfevents\.\S+\.hparams\n",
                     printed)
    stopped = train_in_process("-m", "trainer.limit_train_batches=2,-3", "debug=limit", "hydra.sweep.dir=rel/stop")
    assert stopped.returncode == 2, stopped.stderr[-3000:]
    assert (f"sweep summary so far: {Path.cwd() / 'rel' / 'stop' / 'summary.csv'} (1 job, 0 interrupted)"
            in stopped.stdout + stopped.stderr)
