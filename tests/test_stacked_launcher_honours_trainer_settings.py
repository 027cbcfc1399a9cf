"""``hydra/launcher=stacked`` honours the trainer and callback settings a lone run honours, or says why not:
``trainer.enable_checkpointing=false`` (refused beside a checkpoint callback, as a lone run refuses it), a wall-clock
``trainer.max_time`` (runs alone), the key that makes a checkpoint callback run alone (named), and dropout masks
that are not the lone runs' (said in the log), and a member's checkpoint holds the callback states its lone run's
holds (a diverged member resumed alone stays diverged at its step)."""

from __future__ import annotations

import csv
import re

import pytest
import torch
from test_stacked_sweeps import SMALL

from trainlab.errors import ConfigError
from trainlab.run_status import read_status
from trainlab.stacked.grouping import STRICT_ALLOWED, plan_batch, why_alone
from trainlab.stacked.train_stack import StackJob

CHECKPOINTING_OFF = ["-m", "seed=0,1", "+trainer.enable_checkpointing=false", *SMALL]
MAX_TIME_REASON = ("trainer.max_time=00:00:00:03: a wall-clock budget is each lone run's own; a stack's members "
                   "would share one (and stop at other steps)")


def summary(sweep_dir):
    with (sweep_dir / "summary.csv").open() as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow  # over 4 s on 2 cores: the default run stays near 4 min
def test_stacked_sweep_refuses_checkpointing_off_beside_a_checkpoint_callback_as_a_basic_sweep(train_in_process,
                                                                                               tmp_path):
    results = {launcher: train_in_process(*CHECKPOINTING_OFF, f"hydra/launcher={launcher}",
                                          f"hydra.sweep.dir={tmp_path / launcher}")
               for launcher in ("basic", "stacked")}
    for result in results.values():
        assert result.returncode == 2
        assert result.stderr.strip().splitlines()[-1] == (
            "error: trainer.enable_checkpointing=false is invalid; lightning.pytorch.trainer.Trainer raised "
            "MisconfigurationException: Trainer was configured with `enable_checkpointing=False` but found "
            "`ModelCheckpoint` in callbacks list.")
    assert not (tmp_path / "stacked").exists()  # refused before any job's directory is made


@pytest.mark.slow  # two 2-job sweeps that train (~3-8 s on 2 cores)
def test_stacked_members_without_checkpoint_callbacks_and_checkpointing_off_train_as_basic_and_save_nothing(
        train_in_process, tmp_path):
    for launcher in ("basic", "stacked"):
        result = train_in_process(*CHECKPOINTING_OFF, "callbacks=none", f"hydra/launcher={launcher}",
                                  f"hydra.sweep.dir={tmp_path / launcher}")
        assert result.returncode == 0, result.stderr[-3000:]
    assert "one stacked run of 2 jobs" in (tmp_path / "stacked" / summary(tmp_path / "stacked")[0]["job"]
                                           / "train.log").read_text()
    for stacked, basic in zip(summary(tmp_path / "stacked"), summary(tmp_path / "basic"), strict=True):
        assert stacked["job"] == basic["job"] and stacked["status"] == basic["status"] == "completed"
        assert float(stacked["objective"]) == pytest.approx(float(basic["objective"]), abs=1e-6)
        assert float(stacked["val/loss"]) == pytest.approx(float(basic["val/loss"]), rel=1e-5)
    assert not list(tmp_path.rglob("*.ckpt")) and not list(tmp_path.rglob("checkpoints"))


def test_a_job_with_a_wall_clock_budget_runs_alone_naming_trainer_max_time(make_cfg):
    budget = make_cfg("+trainer.max_time=00:00:00:03")
    assert why_alone(budget) == MAX_TIME_REASON
    assert why_alone(make_cfg("+trainer.max_time=null")) is None
    stacks, reasons = plan_batch([budget, make_cfg("+trainer.max_time=00:00:00:03", "seed=1")], max_members=8,
                                 apart_by=["", ""], strict=False, job_numbers=[0, 1])
    assert stacks == [[0], [1]] and reasons == {0: MAX_TIME_REASON, 1: MAX_TIME_REASON}
    with pytest.raises(ConfigError) as refusal:
        plan_batch([budget, budget], max_members=8, apart_by=["", ""], strict=True, job_numbers=[0, 1])
    assert str(refusal.value) == (f"hydra.launcher.strict=true: job #0 cannot be stacked: {MAX_TIME_REASON}; "
                                  f"{STRICT_ALLOWED}")


@pytest.mark.parametrize(("overrides", "reason"), [
    (["callbacks.model_checkpoint.save_last=true"],
     "callbacks.model_checkpoint.save_last=true: Lightning's own last.ckpt is not stacked (the stack keeps last.ckpt "
     "as callbacks.last_checkpoint does: filename last, save_top_k 1, no monitor)"),
    (["+callbacks.last_checkpoint.save_last=true"],
     "callbacks.last_checkpoint.save_last=true: Lightning's own last.ckpt is not stacked (the stack keeps last.ckpt "
     "as callbacks.last_checkpoint does: filename last, save_top_k 1, no monitor)"),
    (["+callbacks.last_checkpoint.every_n_train_steps=5"],
     "callbacks.last_checkpoint.every_n_train_steps=5: a checkpoint within the epoch; the stack saves at the end of a "
     "training epoch"),
    (["+callbacks.last_checkpoint.train_time_interval=00:00:10"],
     "callbacks.last_checkpoint.train_time_interval=00:00:10: a checkpoint by wall-clock time; the stack saves at the "
     "end of a training epoch"),
    (["callbacks.last_checkpoint.filename=latest"],
     "callbacks.last_checkpoint.filename=latest: the stack saves only checkpoints/last.ckpt"),
    (["callbacks.model_checkpoint.monitor=val/acc", "callbacks.model_checkpoint.save_top_k=1"],
     "callbacks.model_checkpoint keeps the best epochs by a metric (save_top_k=1, monitor=val/acc)"),
], ids=["save_last", "last_checkpoint.save_last", "every_n_train_steps", "train_time_interval", "filename",
        "monitor"])
def test_a_checkpoint_callback_that_runs_alone_names_the_key_that_makes_it(make_cfg, overrides, reason):
    assert why_alone(make_cfg(*overrides)) == reason


def test_dropout_masks_line_names_the_members_with_dropout_and_points_to_basic(make_cfg, tmp_path):
    from trainlab.stacked.train_stack import dropout_masks_line

    jobs = [StackJob(make_cfg(f"model.net.dropout={p}", output_dir=tmp_path / name), [], name=name)
            for p, name in ((0.0, "0_plain"), (0.2, "1_dropout"))]
    assert dropout_masks_line(jobs, 7) == (
        "dropout (model.net.dropout > 0 in 1_dropout): the members' dropout masks are drawn from generators seeded "
        "with the first member's seed (7) - independent between members and reproducible, but not the masks of their "
        "lone runs, so their numbers differ from hydra/launcher=basic's; hydra/launcher=basic gives a lone run's "
        "exact numbers")
    assert dropout_masks_line(jobs[:1], 7) is None
    # the stack's order is its optimizers' (sgd members before adam's): the line names the members in job order
    shuffled = [StackJob(make_cfg("model.net.dropout=0.2", output_dir=tmp_path / name), [], name=name)
                for name in ("17_sgd", "3_adam", "10_sgd", "2_adam")]
    assert dropout_masks_line(shuffled, 7).startswith(
        "dropout (model.net.dropout > 0 in 2_adam, 3_adam, 10_sgd, 17_sgd): ")


def test_a_stack_with_dropout_says_once_that_its_masks_are_not_the_lone_runs(train_in_process, tmp_path):
    result = train_in_process("-m", "model.net.dropout=0.0,0.2", "hydra/launcher=stacked", *SMALL,
                              f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = [row["job"] for row in summary(tmp_path / "sweep")]
    log = (tmp_path / "sweep" / jobs[0] / "train.log").read_text()
    assert "one stacked run of 2 jobs" in log
    lines = [line for line in log.splitlines() if "dropout masks" in line]
    assert len(lines) == 1 and f"model.net.dropout > 0 in {jobs[1]})" in lines[0]
    assert "[INFO]" in lines[0] and "hydra/launcher=basic gives a lone run's exact numbers" in lines[0]


def callback_states(job_dir, sweep_dir) -> str:
    """The ``callbacks`` part of the job's ``last.ckpt``, its sweep directory's path written ``<sweep>``."""
    states = torch.load(job_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)["callbacks"]
    return repr(states).replace(str(sweep_dir), "<sweep>")


@pytest.mark.slow  # two 2-job sweeps and two resumed runs (~10 s on 2 cores)
def test_a_stacked_members_checkpoint_holds_its_lone_runs_callback_states_and_resumes_alone_as_it(train_in_process,
                                                                                                  tmp_path):
    job = ["optimizer=sgd", "debug=limit", "hydra.sweep.subdir=job${hydra.job.num}"]
    for launcher in ("basic", "stacked"):  # job0 completes, job1 diverges at step 2
        result = train_in_process("-m", *job, "optimizer.lr=0.1,1e12", f"hydra/launcher={launcher}",
                                  f"hydra.sweep.dir={tmp_path / launcher}")
        assert result.returncode == 0, result.stderr[-3000:]
    assert "one stacked run of 2 jobs" in (tmp_path / "stacked" / "job0" / "train.log").read_text()
    for name in ("job0", "job1"):  # the checkpoint-keeping ModelCheckpoint's file, the guard's divergence step
        assert (callback_states(tmp_path / "stacked" / name, tmp_path / "stacked")
                == callback_states(tmp_path / "basic" / name, tmp_path / "basic"))
    assert "'DivergenceGuard': {'diverged_at_step': 2}" in callback_states(tmp_path / "stacked" / "job1", tmp_path)
    said = {}
    for launcher in ("basic", "stacked"):  # the diverged job resumed alone: its NaN weights refused, as alone
        resumed = train_in_process(*job[:2], "optimizer.lr=1e12", "ckpt_path=last",
                                   f"hydra.run.dir={tmp_path / launcher / 'job1'}")
        assert resumed.returncode == 2, resumed.stderr[-3000:]
        line = resumed.stderr.strip().splitlines()[-1].replace(str(tmp_path / launcher), "<sweep>")
        # (a diverged member saves inside the step that diverged, its lone run after ending that epoch: the
        # checkpoints' epoch and batch counters differ, test_stacked_training.assert_same_run's epoch_state)
        said[launcher] = re.sub(r"epoch \d+( and \d+ batch(es)? of the next)?\)", "epoch N)", line)
        assert read_status(tmp_path / launcher / "job1")["status"] == "diverged"
    assert said["stacked"] == said["basic"]
    assert said["stacked"].startswith("error: ckpt_path=last: the checkpoint (step 2, epoch N) holds NaN/Inf weights")
    assert (read_status(tmp_path / "stacked" / "job1")["metrics"]["train/acc"]
            == pytest.approx(read_status(tmp_path / "basic" / "job1")["metrics"]["train/acc"], abs=1e-6))
