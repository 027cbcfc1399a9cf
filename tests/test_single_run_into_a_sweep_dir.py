"""A single run aimed at a sweep's directory, or at a directory that holds no run of trainlab's, moves nothing.

``train.py hydra.run.dir=<a finished sweep>`` took the sweep's HPARAMS event file (and no ``status.json``) for a run
killed before its first checkpoint: it moved both job directories and that file to ``attempts/0``, renamed their
event files, trained at the sweep's top and exited 0 - after which ``resume_sweep=true`` and ``trainlab report``
took the directory for a single run's. It is refused before anything is moved or written, as the reverse (``-m
hydra.sweep.dir=<a single run's directory>``) is (trainlab/sweep/job_dirs.py ``check_run_dir_not_a_sweep``). The
same logic took any directory with an event file, ``metrics.csv`` or ``hparams.yaml`` at its top - a user's, another
tool's logs - for a killed run, and moved with it every folder below that held logs, another run's or a sweep's
inside a run's directory included (trainlab/run_dir.py ``killed_before_recording``, ``own_logger_dirs``).
"""

from __future__ import annotations

import json
from pathlib import Path

from trainlab.run_dir import set_attempt_aside


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``root``, by relative path."""
    return {path.relative_to(root).as_posix(): path.read_bytes() if path.is_file() else None
            for path in sorted(root.rglob("*"))}


def refusal(run_dir: Path, marks: str) -> str:
    return (f"error: hydra.run.dir={run_dir} is a sweep's directory ({marks}), not a single run's; a single run "
            "would write its files among the sweep's jobs, or move them aside; nothing was written. allowed: a new "
            "hydra.run.dir, or, to finish that sweep: ")


def test_a_single_run_into_a_finished_sweep_is_refused_and_leaves_the_sweep_as_it_was(train_in_process, tmp_path):
    sweep = tmp_path / "sweep"
    ran = train_in_process("-m", "optimizer=sgd,adam", "debug=limit", "trainer.max_epochs=1",
                           f"hydra.sweep.dir={sweep}")
    assert ran.returncode == 0, ran.stderr[-3000:]
    (hparams,) = (path.name for path in sweep.glob("*.hparams"))
    before = snapshot(sweep)
    for resumed in ([], ["ckpt_path=last"]):
        result = train_in_process("debug=limit", "trainer.max_epochs=1", f"hydra.run.dir={sweep}", *resumed)
        assert result.returncode == 2, result.stderr[-3000:]
        line = result.stderr.splitlines()[-1]
        assert line.startswith(refusal(sweep, f"multirun.yaml, {hparams}")), line
        assert " -m " in line and line.endswith(f" optimizer=sgd,adam debug=limit trainer.max_epochs=1 ckpt_path=last "
                                                f"resume_sweep=true hydra.sweep.dir={sweep}"), line
        assert snapshot(sweep) == before  # no attempts/, no .hydra/ or train.log at its top


def test_a_single_run_into_a_searchs_directory_is_refused_before_anything_is_written(train_in_process, tmp_path):
    """A search's directory without its multirun.yaml (deleted): its study file marks it."""
    search = tmp_path / "search"
    trial = search / "0_optimizer.lr=0.01"
    (trial / ".hydra").mkdir(parents=True)
    (trial / ".hydra" / "config.yaml").write_text("seed: 0\n")
    (trial / "status.json").write_text(json.dumps({"status": "completed", "overrides": [], "metrics": {}}))
    (search / "optuna.journal").write_text("{}\n")
    before = snapshot(search)
    result = train_in_process("debug=limit", f"hydra.run.dir={search}")
    assert result.returncode == 2, result.stderr[-3000:]
    line = result.stderr.splitlines()[-1]
    assert line.startswith(refusal(search, "optuna.journal")), line
    assert line.endswith(f"<the same overrides> resume_sweep=true hydra.sweep.dir={search}"), line
    assert snapshot(search) == before


def test_a_directory_with_logs_but_no_trainlab_run_is_refused_and_nothing_moved(train_in_process, tmp_path):
    """A user's folder with another tool's metrics.csv and TensorBoard logs: taken for a run killed before its first
    checkpoint, its metrics.csv and every folder below that held logs went to attempts/0, renamed."""
    mine = tmp_path / "mine"
    (mine / "tb").mkdir(parents=True)
    (mine / "notes.txt").write_text("my notes\n")
    (mine / "metrics.csv").write_text("step,loss\n0,1.0\n")
    (mine / "tb" / "events.out.tfevents.1.host.1.0").write_bytes(b"another tool's events")
    before = snapshot(mine)
    result = train_in_process("debug=limit", f"hydra.run.dir={mine}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.splitlines()[-1] == (
        f"error: output directory {mine} holds files a run writes (metrics.csv) and no record of a trainlab run (no "
        ".hydra/ or status.json: another tool's logs, or a run with hydra.output_subdir=null); nothing was moved or "
        "overwritten. Start the run in a new directory, or move those files out of it.")
    assert snapshot(mine) == before


def test_a_failed_runs_attempt_leaves_a_run_and_a_sweep_inside_its_directory_where_they_are(tmp_path):
    """Its named loggers' folders go with the attempt; a run started in a subfolder of it (hydra.run.dir=<run>/retry)
    and a sweep there hold logs too, and went with them, renamed."""
    run = tmp_path / "run"
    files = {".hydra/config.yaml": "seed: 0\n", "train.log": "log\n", "events.out.tfevents.1.host.7.0": "events",
             "lr_0.1/events.out.tfevents.2.host.7.1": "named logger's events",
             "retry/.hydra/config.yaml": "seed: 1\n", "retry/events.out.tfevents.3.host.8.0": "another run's",
             "retry/checkpoints/last.ckpt": "its checkpoint", "sweep/multirun.yaml": "hydra: {}\n",
             "sweep/events.out.tfevents.4.host.9.0.hparams": "a sweep's HPARAMS"}
    for name, text in files.items():
        (run / name).parent.mkdir(parents=True, exist_ok=True)
        (run / name).write_text(text)
    (run / "status.json").write_text(json.dumps({"status": "failed", "overrides": [], "metrics": {}}))
    others = {name: text for name, text in files.items() if name.startswith(("retry/", "sweep/"))}
    assert set_attempt_aside(run) == run / "attempts" / "0"
    assert {name: (run / name).read_text() for name in others} == others  # in place, not renamed
    assert sorted(path.relative_to(run).as_posix() for path in (run / "attempts" / "0").rglob("*")
                  if path.is_file()) == [
        "attempts/0/events.out.attempt-events.1.host.7.0", "attempts/0/lr_0.1/events.out.attempt-events.2.host.7.1",
        "attempts/0/status.json"]

