"""A search stopped at once (a second Ctrl-C) wrote no results: its running trials were closed and the command to
continue it printed, but ``optimization_results.yaml`` and ``summary.csv`` / ``ranking.csv`` of the trials that had
finished waited for a resume. A fresh program the process replaces itself with on the way out writes them
(:mod:`trainlab.search.results_at_once`)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import JOB_PYTHONPATH
from test_search_stopped_at_once import trial_states

from trainlab.search import results_at_once
from trainlab.signal_exit import take_way_out, way_out


@pytest.mark.slow  # ~13 s on 2 cores: three trials through train.py (make test-slow)
def test_a_search_stopped_at_once_writes_the_results_of_its_finished_trials_as_a_snapshot(train_subprocess,
                                                                                         tmp_path):
    """Trial 0 finishes, trial 1 gets two Ctrl-Cs (basic launcher: the trials train in the command's process)."""
    sweep_dir = tmp_path / "sweep"
    run = train_subprocess("hparams_search=random", "hydra.sweeper.n_trials=3", "hydra/launcher=basic",
                           "trainer.max_epochs=2", "data.train_size=100", "data.val_size=100", "data.batch_size=25",
                           f"hydra.sweep.dir={sweep_dir}", "hydra.sweep.subdir=${hydra.job.num}",
                           "+callbacks.twice={_target_:sigterm_at_step.SignalTwiceAtStepOfJob,step:3,job:1}",
                           env={"PYTHONPATH": JOB_PYTHONPATH})
    text = run.stdout + run.stderr
    assert run.returncode == -signal.SIGINT, text[-3000:]  # died of it: exit status 130 in a shell
    assert "Traceback" not in text, text[-3000:]
    # one batch of 3 (random sampling), run one by one: trial 2 never started, trial 0 was not told yet
    assert trial_states(sweep_dir) == [(0, "COMPLETE", "completed"), (1, "FAIL", "interrupted"),
                                       (2, "FAIL", "interrupted")], text[-3000:]
    lines = run.stderr.strip().splitlines()
    assert lines[-3].startswith("closed the search's running trials: trial 0 completed; trials 1, 2 "
                                "interrupted "), text[-3000:]
    results = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())
    assert lines[-2] == (f"the search's results so far (1 completed, 2 interrupted; best: trial 0 with "
                         f"{results['best_value']}): {sweep_dir / 'optimization_results.yaml'}, "
                         f"{sweep_dir / 'summary.csv'} - a snapshot, which resume_sweep=true rewrites")
    assert lines[-1].startswith("Continue the search with: ") and lines[-1].endswith(
        f"resume_sweep=true hydra.sweep.dir={sweep_dir}")
    assert results["best_trial"] == 0 and results["best_value"] > 0
    assert results["trials"] == {"completed": 1, "diverged": 0, "failed": 0, "interrupted": 2, "surplus": 0,
                                 "running": 0}
    assert results["note"] == ("the search was stopped at once (a second stop signal): its finished trials as they "
                               "stood then, the trials it was running closed as interrupted (2 interrupted in all); "
                               "resume_sweep=true continues the search and rewrites this file; 1 of the "
                               "interrupted trials (2) never trained: stopped before their turn, they have no "
                               "status.json and so no row in summary.csv, which lists this sweep dir's jobs")
    assert "counted_at" in results and "running_in" not in results
    summary = list(csv.DictReader((sweep_dir / "summary.csv").open()))
    assert [(row["job"].split("_")[0], row["status"]) for row in summary] == [("0", "completed"), ("1", "interrupted")]
    assert {"optimizer.lr", "model.weight_decay"} <= set(summary[0])  # the searched keys are its columns
    ranking = list(csv.DictReader((sweep_dir / "ranking.csv").open()))
    assert [row["status"] for row in ranking] == ["completed", "interrupted"]
    assert not list(sweep_dir.glob(".*.tmp-*"))  # written whole, no temporary left


def journal_search(sweep_dir: Path) -> dict:
    """A study of two trials in ``sweep_dir``'s journal, one completed with job directories that say so, as a
    search leaves them; returns the program's settings."""
    import optuna

    from trainlab.run_status import write_status
    from trainlab.search.storage import open_storage

    sweep_dir.mkdir()
    with open_storage(None, sweep_dir) as storage:
        study = optuna.create_study(study_name="s", storage=storage.storage, direction="maximize")
        for number, (state, value) in enumerate([("completed", 0.75), ("interrupted", None)]):
            trial = study.ask({"optimizer.lr": optuna.distributions.FloatDistribution(1e-3, 1.0)})
            job_dir = sweep_dir / f"{number}_optimizer.lr={trial.params['optimizer.lr']}"
            trial.set_user_attr("job_dir", str(job_dir))
            trial.set_user_attr("sweep_dir", str(sweep_dir))
            job_dir.mkdir()
            write_status(job_dir, state, [f"optimizer.lr={trial.params['optimizer.lr']}"], {"val/acc": value or 0.0},
                         value, 0.1)
            if value is None:
                trial.set_user_attr("outcome", "interrupted")
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, value)
    return {"sweep_dir": str(sweep_dir), "storage": None, "study_name": "s",
            "summary": {"direction": "maximize", "always": ["optimizer.lr"], "metric": "val/acc"},
            "continue_line": "Continue the search with: python train.py resume_sweep=true"}


def test_the_program_writes_results_and_ends_by_the_signal_with_the_continue_line_last(tmp_path):
    settings = journal_search(tmp_path / "sweep")
    run = subprocess.run([sys.executable, *results_at_once.program(settings), str(int(signal.SIGTERM))],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == -signal.SIGTERM, run.stderr
    assert run.stderr.splitlines()[-1] == "Continue the search with: python train.py resume_sweep=true"
    results = yaml.safe_load((tmp_path / "sweep" / "optimization_results.yaml").read_text())
    assert (results["best_value"], results["trials"]["completed"], results["trials"]["interrupted"]) == (0.75, 1, 1)
    assert [row["status"] for row in csv.DictReader((tmp_path / "sweep" / "summary.csv").open())] == [
        "completed", "interrupted"]


def test_an_interrupted_write_at_once_keeps_the_earlier_complete_results_file(tmp_path, monkeypatch):
    """A write cut short (here its rename, as a further Ctrl-C or a full disk would) leaves the file of the earlier
    stop whole, and no temporary beside it; the failure is said, the continue line and exit status stay."""
    settings = journal_search(tmp_path / "sweep")
    earlier = "name: optuna\nbest_trial: 0\n"
    (tmp_path / "sweep" / "optimization_results.yaml").write_text(earlier)

    def cut_short(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", cut_short)
    with pytest.raises(KeyboardInterrupt):
        results_at_once.write_results_at_once(settings)
    assert (tmp_path / "sweep" / "optimization_results.yaml").read_text() == earlier
    assert not list((tmp_path / "sweep").glob(".*.tmp-*"))


def test_a_way_out_that_cannot_start_says_so_and_does_its_otherwise(monkeypatch, capsys):
    said: list[str] = []

    def no_exec(path, argv):
        raise OSError("no such interpreter")

    monkeypatch.setattr(os, "execv", no_exec)
    with way_out(["-c", "pass"], otherwise=lambda: said.append("continue line")):
        take_way_out(signal.SIGINT)
    assert said == ["continue line"]
    assert capsys.readouterr().err == f"while stopping at once: {sys.executable} did not start (no such interpreter)\n"
    take_way_out(signal.SIGINT)  # none registered: nothing happens
    assert said == ["continue line"]
