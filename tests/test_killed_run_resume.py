"""A run killed outright (SIGKILL, out of memory) after its budget was trained - during its test - leaves no
``status.json``; resumed with ``ckpt_path=last`` it only tests. Its validation metrics and objective were lost:
the status recorded ``test/*`` alone, ``objective: null``, and a sweep's ``resume_sweep=true`` stopped at that job
("optimized_metric='val/acc' was not logged"). They come from what its loggers wrote (train.py,
``killed_sessions_record``)."""

from __future__ import annotations

import csv
import json
import signal

import pytest
from conftest import JOB_PYTHONPATH


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


def test_a_run_killed_while_writing_its_first_checkpoint_is_taken_over_by_the_same_command(train_in_process,
                                                                                          tmp_path):
    """A double Ctrl-C (or SIGKILL) while the first last.ckpt was written left its temporary in checkpoints/: the
    same command was refused ("already holds a run"), and ckpt_path=last said there was nothing to resume - each
    sent the user to the other."""
    run = tmp_path / "run"
    killed_before_its_first_checkpoint(train_in_process, run)
    (run / "checkpoints").mkdir()
    (run / "checkpoints" / ".last.ckpt.tmp-c75bb1df4f8d").write_bytes(b"PK\x03\x04 half a checkpoint")
    again = train_in_process("debug=limit", f"hydra.run.dir={run}")
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads((run / "status.json").read_text())["status"] == "completed"
    assert not list(run.rglob(".last.ckpt.tmp-*"))


def csv_rows(path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def test_a_killed_run_resumed_from_its_last_checkpoint_logs_each_step_once_in_metrics_csv(train_in_process, tmp_path):
    """A run killed outright had logged steps past its last checkpoint; the resume logs them again, and its
    metrics.csv held both sessions' rows for those steps (two train/loss values at one step, the curve drawn twice).
    Here the killed session is the uninterrupted run's own files with the checkpoint of its first epoch as
    last.ckpt: the resumed run's metrics.csv must be the uninterrupted run's, row for row (bit-identical on CPU)."""
    import shutil

    run = tmp_path / "run"
    args = ["debug=limit", "logger=csv", "trainer.max_epochs=3", "callbacks.model_checkpoint.save_top_k=-1",
            f"hydra.run.dir={run}"]
    assert train_in_process(*args).returncode == 0
    whole = csv_rows(run / "metrics.csv")
    assert len({row["step"] for row in whole if row["train/loss"]}) == 15  # 3 epochs x 5 steps, logged every step
    # as SIGKILL in the third epoch leaves it: the checkpoint of the first epoch's end is the last one written, and
    # the rows of the steps after it are in metrics.csv (no test yet, no status.json)
    shutil.copy(run / "checkpoints" / "epoch_000.ckpt", run / "checkpoints" / "last.ckpt")
    killed = [row for row in whole if not row["test/acc"]]
    with (run / "metrics.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(whole[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(killed)
    (run / "status.json").unlink()
    resumed = train_in_process(*args, "ckpt_path=last")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert csv_rows(run / "metrics.csv") == whole
    assert (f"{run / 'metrics.csv'}: 14 rows logged at step 5 or later, past the checkpoint this run resumes from, "
            "removed; the resumed run logs those steps again") in resumed.stdout


def test_a_run_stopped_mid_epoch_and_resumed_keeps_the_stop_steps_row_in_metrics_csv(train_in_process,
                                                                                     train_subprocess, tmp_path):
    """A stop's checkpoint is saved after its step's logs were written and before Lightning counted the step; the
    resume dropped that step's row (the trim started at the checkpoint's count), and no session logged it again."""
    run, whole = tmp_path / "run", tmp_path / "whole"
    args = ["debug=limit", "logger=csv", "trainer.max_epochs=2"]
    assert train_in_process(*args, f"hydra.run.dir={whole}").returncode == 0
    stop = "+callbacks.stop={_target_:sigterm_at_step.SigtermAtStep,step:7}"
    stopped = train_subprocess(*args, stop, f"hydra.run.dir={run}", env={"PYTHONPATH": JOB_PYTHONPATH})
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr[-3000:]  # a real SIGTERM, at step 7
    assert train_in_process(*args, "ckpt_path=last", f"hydra.run.dir={run}").returncode == 0
    assert csv_rows(run / "metrics.csv") == csv_rows(whole / "metrics.csv")


def test_a_run_resumed_from_an_older_checkpoint_keeps_no_row_of_the_later_sessions(train_in_process, tmp_path):
    """Resumed from epoch_000.ckpt of a completed 3-epoch run with a 2-epoch budget: the completed run's test row
    (step 15) stayed, between the new run's steps 4 and 5, beside the new test row at step 10."""
    run, whole = tmp_path / "run", tmp_path / "whole"
    args = ["debug=limit", "logger=csv", "callbacks.model_checkpoint.save_top_k=-1"]
    assert train_in_process(*args, "trainer.max_epochs=3", f"hydra.run.dir={run}").returncode == 0
    assert train_in_process(*args, "trainer.max_epochs=2", f"hydra.run.dir={whole}").returncode == 0
    resumed = train_in_process(*args, "trainer.max_epochs=2", f"ckpt_path={run / 'checkpoints' / 'epoch_000.ckpt'}",
                               f"hydra.run.dir={run}")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert csv_rows(run / "metrics.csv") == csv_rows(whole / "metrics.csv")
