"""A run killed outright (SIGKILL, out of memory) after its budget was trained - during its test - leaves no
``status.json``; resumed with ``ckpt_path=last`` it only tests. Its validation metrics and objective were lost:
the status recorded ``test/*`` alone, ``objective: null``, and a sweep's ``resume_sweep=true`` stopped at that job
("optimized_metric='val/acc' was not logged"). They come from what its loggers wrote (train.py,
``killed_sessions_record``)."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("logger", ["tensorboard", "csv"])
def test_a_run_killed_in_its_test_resumes_with_its_validation_metrics_and_objective(train_in_process, tmp_path,
                                                                                     logger):
    run = tmp_path / "run"
    args = ["debug=limit", f"logger={logger}", f"hydra.run.dir={run}"]
    assert train_in_process(*args).returncode == 0
    whole = json.loads((run / "status.json").read_text())
    (run / "status.json").unlink()  # as the kill left it: no status.json
    resumed = train_in_process(*args, "ckpt_path=last")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    status = json.loads((run / "status.json").read_text())
    assert status["status"] == "completed"
    assert status["objective"] == pytest.approx(whole["objective"])
    for name in ("val/acc", "val/loss", "train/loss", "test/acc"):
        assert status["metrics"][name] == pytest.approx(whole["metrics"][name], rel=1e-6), name
    assert "was not logged" not in resumed.stdout + resumed.stderr


def killed_before_its_first_checkpoint(train_in_process, run) -> None:
    """A run's directory as SIGKILL before its first checkpoint leaves it: its files, no status.json, no checkpoint."""
    import shutil

    assert train_in_process("debug=limit", f"hydra.run.dir={run}").returncode == 0
    (run / "status.json").unlink()
    shutil.rmtree(run / "checkpoints")


def test_a_run_killed_before_its_first_checkpoint_is_told_so_and_its_directory_reused(train_in_process, tmp_path):
    """The resume named "the newest run here with one", another run; the same command again was refused ("already
    holds a run ... or finish an interrupted sweep with resume_sweep=true") with nothing to resume in it."""
    run = tmp_path / "run"
    killed_before_its_first_checkpoint(train_in_process, run)
    resumed = train_in_process("debug=limit", "ckpt_path=last", f"hydra.run.dir={run}")
    assert resumed.returncode == 2
    assert resumed.stderr.strip().splitlines()[-1] == (
        f"error: ckpt_path=last: no checkpoint file at {run / 'checkpoints' / 'last.ckpt'} (the run in {run} was "
        "killed before its first checkpoint: nothing to resume; the command without ckpt_path trains it anew there, "
        "its earlier files moved to attempts/)")
    again = train_in_process("debug=limit", f"hydra.run.dir={run}")
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"{run} held a run that was killed before its first checkpoint; its files were moved to " \
           f"{run / 'attempts' / '0'}" in again.stderr
    assert (run / "attempts" / "0" / "hparams.yaml").is_file()
    assert json.loads((run / "status.json").read_text())["status"] == "completed"
