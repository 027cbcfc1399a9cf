"""The training task end to end: fast_dev_run, reproducibility, multirun layout and TensorBoard runs, errors."""

from __future__ import annotations

import json
import logging
import math
import re
import subprocess
import sys
import textwrap

import pytest
import torch
from checkpoint_probe import LastCheckpointProbe
from conftest import ROOT
from tb_events import load_run, scalar_values

from trainlab.report.sweep_runs import read_csv_scalars
from trainlab.run_status import read_status
from trainlab.train import train


def test_fast_dev_run_on_bundled_data(make_cfg):
    value = train(make_cfg("debug=fast_dev_run"))
    assert value is not None and 0.0 <= value <= 1.0


def test_debug_overfit_fits_one_fixed_batch(make_cfg, tmp_path, recwarn):
    train(make_cfg("debug=overfit", "optimizer=adam", "trainer.max_epochs=60", "logger=csv", "callbacks=none",
                   "test=false"))
    metrics = read_status(tmp_path / "run")["metrics"]
    # the same 128 images every epoch: Adam drives their loss to ~0 (shuffled batches would not get near it)
    assert metrics["train/acc"] == 1.0
    assert metrics["train/loss"] < 0.01
    assert not [w for w in recwarn if "turning off" in str(w.message)]  # no shuffling for Lightning to undo
    # an epoch is one step: the debug config logs every step instead of tripping Lightning's interval warning
    assert not [w for w in recwarn if "smaller than the logging interval" in str(w.message)]


@pytest.mark.parametrize("precision", ["bf16-mixed", "64-true"])
def test_precision_option_trains_with_the_custom_batch_norm_and_optimizer(precision, make_cfg, tmp_path):
    train(make_cfg(f"trainer.precision={precision}", "model.net.batch_norm=custom", "optimizer=adam",
                   "debug=limit", "logger=none", "callbacks=none", "test=false"))
    metrics = read_status(tmp_path / "run")["metrics"]
    # it learned as in float32 (train/loss 1.54, val/acc 0.53 there; chance is ln 10 = 2.30 and 0.1)
    assert math.isfinite(metrics["train/loss"]) and metrics["train/loss"] < 1.8
    assert metrics["val/acc"] > 0.4


@pytest.mark.parametrize(("monitor", "mode"), [("val/acc", "max"), ("val/loss", "min")])
def test_checkpoint_callback_keeps_the_best_epoch_when_asked(monitor, mode, make_cfg, tmp_path):
    train(make_cfg("trainer.max_epochs=4", "data.train_size=400", "data.val_size=200", "logger=csv", "test=false",
                   f"callbacks.model_checkpoint.monitor={monitor}", "callbacks.model_checkpoint.save_top_k=1",
                   f"callbacks.model_checkpoint.mode={mode}"))
    values = dict(enumerate(read_csv_scalars(tmp_path / "run" / "metrics.csv")[monitor][1]))  # one per epoch
    pick = max if mode == "max" else min
    best_epoch = pick(values, key=lambda epoch: (values[epoch], -epoch if mode == "max" else epoch))
    assert len(set(values.values())) > 1  # the epochs differ, so there is something to choose
    saved = sorted(p.name for p in (tmp_path / "run" / "checkpoints").glob("*.ckpt"))
    assert saved == sorted(["last.ckpt", f"epoch_{best_epoch:03d}.ckpt"]), (values, saved)


def checkpoint_step(path) -> int:
    return torch.load(path, weights_only=False)["global_step"]


@pytest.mark.parametrize("validate_every", [1, 2])
def test_last_checkpoint_is_rewritten_every_epoch_and_at_the_stop(validate_every, make_cfg, tmp_path):
    # a job killed between epochs (SIGKILL, out of memory, a lost node) resumes from its last finished epoch,
    # also from an epoch without validation
    probe = "+callbacks.probe={_target_:checkpoint_probe.LastCheckpointProbe,dirpath:${paths.output_dir}/checkpoints}"
    train(make_cfg("data.train_size=400", "trainer.max_epochs=3", f"trainer.check_val_every_n_epoch={validate_every}",
                   "logger=none", "test=false", "optimized_metric=null", probe))
    assert LastCheckpointProbe.seen == [None, 4, 8]  # 4 steps per epoch
    assert checkpoint_step(tmp_path / "run" / "checkpoints" / "last.ckpt") == 12
    # a run stopped by max_steps in the middle of an epoch saves that step
    train(make_cfg("data.train_size=400", "trainer.max_epochs=-1", "trainer.max_steps=10", "logger=none",
                   "test=false", "optimized_metric=null", output_dir=tmp_path / "steps"))
    assert checkpoint_step(tmp_path / "steps" / "checkpoints" / "last.ckpt") == 10


@pytest.mark.parametrize("overrides", [["callbacks=none"],
                                       ["callbacks.model_checkpoint=null", "callbacks.last_checkpoint=null"]])
def test_no_checkpoint_callback_means_no_checkpoint_file(overrides, make_cfg, tmp_path):
    # Lightning would add a ModelCheckpoint of its own (epoch=1-step=8.ckpt) when none is configured
    train(make_cfg("data.train_size=400", "trainer.max_epochs=2", "logger=none", "test=false", *overrides))
    assert read_status(tmp_path / "run")["status"] == "completed"
    assert not list((tmp_path / "run").rglob("*.ckpt"))


def test_early_stopping_ends_the_run_when_the_monitor_stops_improving(make_cfg, tmp_path):
    # no epoch can beat the previous best val/acc by min_delta=1.0, so patience 1 stops after the second epoch
    objective = train(make_cfg("callbacks=early_stopping", "callbacks.early_stopping.min_delta=1.0",
                               "callbacks.early_stopping.patience=1", "trainer.max_epochs=6", "data.train_size=400",
                               "logger=none", "test=false"))
    status = read_status(tmp_path / "run")
    assert status["status"] == "completed" and objective == status["metrics"]["val/acc"]
    checkpoint = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=False)
    assert checkpoint["global_step"] == 8  # 2 epochs of 400 / 100 batches, not 6


def test_same_seed_gives_bit_identical_final_loss(make_cfg, tmp_path):
    def final_loss(run: str, seed: int) -> float:
        cfg = make_cfg("debug=limit", f"seed={seed}", "logger=csv", output_dir=tmp_path / run)
        train(cfg)
        return read_csv_scalars(tmp_path / run / "metrics.csv")["train/loss"][1][-1]

    a, b, c = final_loss("a", 0), final_loss("b", 0), final_loss("c", 1)
    assert a == b  # bit-identical on CPU
    assert a != c  # and the seed does matter
    assert math.isfinite(a)


def test_single_run_with_a_misspelt_optimized_metric_says_so_before_training_and_returns_none(make_cfg, tmp_path,
                                                                                                caplog):
    with caplog.at_level(logging.WARNING, logger="trainlab.train"):
        objective = train(make_cfg("debug=limit", "optimized_metric=val/nope", "logger=none", "callbacks=none"))
    assert objective is None
    warnings = [r.getMessage() for r in caplog.records if "optimized_metric" in r.getMessage()]
    # once, naming what the run reports: it warned after training that val/nope "was not logged (did validation
    # run?)" - validation had run
    assert warnings == ["optimized_metric='val/nope' is not a metric this run reports; allowed: one of val/loss, "
                        "val/acc, val/acc_best, train/acc, train/loss, test/loss, test/acc, or optimized_metric=null; "
                        "did you mean val/loss?; this run returns no objective"]
    assert '"status": "completed"' in (tmp_path / "run" / "status.json").read_text()


def test_single_run_that_never_validates_warns_after_training_that_it_returns_none(make_cfg, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="trainlab.train"):
        objective = train(make_cfg("debug=limit", "trainer.limit_val_batches=0", "logger=none", "callbacks=none"))
    assert objective is None
    assert re.search(r"optimized_metric='val/acc' was not logged \(did validation run\?\); logged metrics: .*"
                     r"optimized_metric=null for runs that return no objective; this run returns no objective",
                     caplog.text)
    assert '"status": "completed"' in (tmp_path / "run" / "status.json").read_text()


def test_run_shorter_than_an_epoch_exits_zero_without_validation(train_in_process, tmp_path):
    result = train_in_process("trainer.max_steps=3", "test=false")  # 3 of the epoch's 32 batches: no validation
    assert result.returncode == 0, result.stderr[-3000:]
    assert "optimized_metric='val/acc' was not logged" in result.stdout + result.stderr
    (run_dir,) = (tmp_path / "outputs" / "runs").iterdir()
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()


@pytest.mark.slow  # ~5 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_multirun_job_without_its_optimized_metric_fails_the_sweep(train_in_process, tmp_path):
    # a metric no job reports (a typo): refused before the first job trains
    typo = train_in_process("-m", "debug=limit", "optimized_metric=val/nope", "optimizer=sgd,adam")
    assert typo.returncode == 2  # a config value to fix
    assert "error: optimized_metric='val/nope' is not a metric the sweep's jobs report" in typo.stderr
    assert not list(tmp_path.rglob("status.json"))
    # a budget that ends before the first validation: refused at the start of the first job's training
    short = train_in_process("-m", "debug=limit", "trainer.max_steps=3", "optimizer=sgd,adam",
                             f"hydra.sweep.dir={tmp_path / 'short'}")
    assert short.returncode == 2
    assert "error: optimized_metric='val/acc' is computed by validation, which first runs after 5 steps" in short.stderr
    assert [json.loads(p.read_text())["status"] for p in (tmp_path / "short").rglob("status.json")] == ["failed"]
    # a metric the job would report but did not log (validation switched off): found at its end
    result = train_in_process("-m", "debug=limit", "trainer.limit_val_batches=0", "optimizer=sgd,adam",
                              f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert result.returncode == 2
    assert "error: optimized_metric='val/acc' was not logged (did validation run?)" in result.stderr
    (status,) = (tmp_path / "sweep").rglob("status.json")  # the sweep stopped at its first job, whose training is kept
    assert '"status": "completed"' in status.read_text()
    assert status.parent.name.startswith("0_") and "optimizer=sgd" in status.parent.name


def test_help_starts_with_what_trainlab_is_and_lists_every_group(train_subprocess):
    result = train_subprocess("--help")
    assert result.returncode == 0
    assert result.stdout.startswith('trainlab - chapter 6 of "Deep Learning from Scratch"')
    assert "python train.py experiment=compare_optimizers" in result.stdout
    assert "scheduler: cosine, exponential, plateau, step" in result.stdout  # Hydra's own list follows


@pytest.mark.slow  # ~4-5 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_commands_that_stop_before_training_answer_without_importing_torch(tmp_path):
    # --cfg, --help and config errors, of a run or of a sweep, are Hydra's work before main() or before a sweep's
    # first job; a bad value, precision or search setting is refused by trainlab's checks before anything is
    # written. None of them must wait for the import of torch (~1 s) or Lightning (~4 s). One interpreter runs them
    # all, then lists its imports.
    out = f"paths.log_dir={tmp_path}"
    commands = [["--cfg", "job", "optimizer=adam"], ["--help"], ["optimizer=adamm"], ["-m", out, "optimizer=sgd,adamm"],
                ["-m", out, "data.source=bundled", "optimizer=sgd,adamm"],
                ["-m", out, "optimizer.lr=interval(1e-4,1e-1)"],
                [out, "optimizer.lr=-0.1"],
                [out, "trainer.precision=17"], ["-m", out, "optimizer.lr=0.1,-0.1"],
                ["-m", f"hydra.sweep.dir={tmp_path / 'search'}", "hparams_search=tpe", "hydra.sweeper.direction=max"]]
    code = textwrap.dedent(f"""
        import runpy, sys
        from hydra.core.global_hydra import GlobalHydra
        for argv in {commands!r}:
            sys.argv = ["train.py", *argv]
            try:
                runpy.run_path("train.py", run_name="__main__")
                status = 0
            except SystemExit as stop:
                status = stop.code or 0
            GlobalHydra.instance().clear()
            print("exit status", status, flush=True)
        heavy = ("torch", "lightning", "torchmetrics", "trainlab.train")
        print("imported:", sorted(m for m in heavy if m in sys.modules))
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "_target_: trainlab.optim.adam.Adam" in result.stdout  # the composed config was printed
    assert re.findall(r"exit status (\d+)", result.stdout) == ["0", "0"] + ["2"] * 8, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors[-4:] == [
        "error: optimizer.lr=-0.1 is invalid; allowed: a finite number >= 0.0",
        errors[-3], "error: optimizer.lr=-0.1 is invalid; allowed: a finite number >= 0.0",
        "error: hydra.sweeper.direction=max is invalid; allowed: maximize, minimize"], result.stderr[-3000:]
    assert errors[-3].startswith("error: trainer.precision=17 is invalid; allowed: ")
    assert result.stdout.rstrip().endswith("imported: []")
    assert not list(tmp_path.rglob("*.yaml"))  # refused before Hydra wrote a run's or a sweep's config


def test_single_run_writes_tensorboard_and_checkpoint(train_subprocess, tmp_path):
    result = train_subprocess("debug=limit", "seed=0")
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = (tmp_path / "outputs" / "runs").iterdir()
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    run = load_run(run_dir)
    assert len(run.Scalars("train/loss")) >= 1
    assert len(run.Scalars("val/acc")) == 2  # two epochs
    assert "MNIST source=bundled: train=4000 val=500 test=500" in result.stdout + result.stderr
    assert "LeafSpec" not in result.stderr  # Lightning's use of a deprecated torch class is not the user's to fix
    assert "litlogger" not in result.stdout + result.stderr  # nor its cloud-logger advert (lightning_noise.py)
    # Lightning is imported inside the Hydra task: its lines appear once, and in the run's train.log too
    assert (result.stdout + result.stderr).count("GPU available: False") == 1
    assert "[lightning.pytorch.utilities.rank_zero][INFO] - GPU available: False" in (run_dir / "train.log").read_text()


@pytest.mark.slow  # ~12 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_multirun_gives_one_tensorboard_run_per_job(train_subprocess, tmp_path):
    # the README's sweep command, in a process of its own: what a user sees, job after job
    result = train_subprocess("-m", "optimizer=sgd,adam", "debug=limit")
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert output.count("GPU available: False") == 2 and "LeafSpec" not in output  # once per job, no noise
    (sweep_dir,) = (tmp_path / "outputs" / "multiruns").iterdir()
    jobs = sorted(p for p in sweep_dir.iterdir() if p.is_dir())
    # job dir = TensorBoard run name = job number + the job's overrides
    assert [p.name for p in jobs] == [
        "0_data.source=bundled,optimizer=sgd",  # not trainer.enable_progress_bar=false: display, not a setting
        "1_data.source=bundled,optimizer=adam",
    ]
    losses = [scalar_values(job, "train/loss") for job in jobs]
    assert all(losses) and losses[0] != losses[1]
    # hyper-parameters are logged resolved, with the final metrics as ~hparams/* scalars
    hparams = (jobs[1] / "hparams.yaml").read_text()
    assert "trainlab.optim.adam.Adam" in hparams and "${" not in hparams
    assert "resolved_source: bundled" in hparams
    assert len(scalar_values(jobs[1], "~hparams/val/acc")) == 1
    for job in jobs:  # each job's log holds its own run, Lightning's lines included
        log = (job / "train.log").read_text()
        assert log.count("GPU available: False") == 1 and "MNIST source=bundled" in log, job.name
