"""Config validation, exact resume after SIGTERM, atomic files, data errors, run directories."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import optuna
import pytest
import torch
import yaml
from conftest import JOB_PYTHONPATH, ROOT
from tb_events import hparams_backend, load_run

from trainlab.checkpoint_io import AtomicCheckpointIO
from trainlab.config_validation import validate_config
from trainlab.data.bundled_mnist import CACHE_NAME, load_bundled_mnist
from trainlab.errors import ConfigError, RunDirInUseError
from trainlab.lightning_noise import silence_lightning_noise
from trainlab.loggers.csv_logger import ResumableCSVLogger
from trainlab.models.net_choices import ACTIVATIONS
from trainlab.run_status import read_status
from trainlab.train import train

BAD_CONFIGS = [  # override, what the one-line error must say
    ("optimizer.lr=-0.1", "optimizer.lr=-0.1 is invalid; allowed: a finite number >= 0.0"),
    ("optimizer.lr=fast", "optimizer.lr='fast' is invalid; allowed: a finite number >= 0.0"),
    ("optimizer.lr=inf", "optimizer.lr=inf is invalid; allowed: a finite number >= 0.0"),  # NaN weights at step 1
    ("data.batch_size=null", "data.batch_size=null is invalid; allowed: an integer >= 1"),  # as typed, not None
    ("data.batch_size=true", "data.batch_size=true is invalid; allowed: an integer >= 1"),
    ("optimizer=adam optimizer.betas=[0.9,null]", "optimizer.betas=[0.9, null] is invalid; allowed: a pair"),
    # an entry made by setting a key of a callback or logger the config does not build (it was a traceback)
    ("+callbacks.early_stopping.patience=5", "callbacks.early_stopping: not one of this config's callbacks "
     "(model_checkpoint, last_checkpoint, divergence_guard, graceful_shutdown, rng_state, progress_bar), and nothing "
     "names the class to build it from; allowed: "),
    ("+logger.wandb.project=x", "logger.wandb: not one of this config's logger (tensorboard), and nothing names the "
     "class to build it from; allowed: a whole entry with its _target_ ('+logger.wandb={_target_: <class>, ...}')"),
    ("init=normal init.std=inf", "init.std=inf is invalid; allowed: a finite number >= 0.0"),
    ("model.net.dropout=1.0", "model.net.dropout=1.0 is invalid; allowed: a number >= 0.0 and < 1.0"),
    ("model.net.dropout=-0.2", "model.net.dropout=-0.2 is invalid"),
    ("model.net.hidden_sizes=[]", "model.net.hidden_sizes=[] is invalid; allowed: a non-empty list, each item an "
     "integer >= 1"),
    ("data.eval_splits=[val,tests]", "data.eval_splits=['val', 'tests'] is invalid; allowed: a non-empty list, each "
     "item one of val, train, test"),
    ("trainer.devices=0", "trainer.devices=0 is invalid; allowed: a number of devices N >= 1 (N > 1 trains with "
     "DDP, one process per device: trainer=ddp), or a list of distinct device indices [i, j, ...] (GPUs only)"),
    # was accepted, then refused by Lightning's CPUAccelerator once the DDP processes had started
    ("trainer.devices=[0,1]", "trainer.devices=[0, 1] is invalid with trainer.accelerator=cpu, which trains on the "
     "CPU here: a list of device indices is for GPUs; allowed: a number of processes N >= 1 (trainer.devices=2: 2 "
     "DDP processes on the CPU), or trainer.accelerator=gpu with the list"),
    ("trainer.devices=auto", "trainer.devices='auto' is invalid; allowed: a number of devices N >= 1"),
    ("trainer.devices=[0,0]", "trainer.devices=[0, 0] is invalid"),
    ("+trainer.num_nodes=0", "trainer.num_nodes=0 is invalid; allowed: an integer >= 1"),
    ("model.net.hidden_sizes=[100,0]", "model.net.hidden_sizes=[100, 0] is invalid"),
    ("data.batch_size=0", "data.batch_size=0 is invalid; allowed: an integer >= 1"),
    ("data.batch_size=12.5", "data.batch_size=12.5 is invalid; allowed: an integer >= 1"),
    # the activations of net_choices (docs/extending.md adds gelu: this test stays true with it)
    ("model.net.activation=no_such",
     f"model.net.activation='no_such' is invalid; allowed: one of {', '.join(ACTIVATIONS)}"),
    ("data.source=imagenet", "data.source='imagenet' is invalid; allowed: one of auto, bundled, torchvision"),
    ("model.net.batch_norm=yes", "model.net.batch_norm='yes' is invalid; allowed: one of none, custom, torch"),
    ("optimizer=momentum optimizer.momentum=1.0", "optimizer.momentum=1.0 is invalid"),
    ("optimizer=adam optimizer.eps=0", "optimizer.eps=0 is invalid; allowed: a finite number > 0.0"),
    ("optimizer=adam optimizer.betas=[0.9,1.0]",
     "optimizer.betas=[0.9, 1.0] is invalid; allowed: a pair [b1, b2], each a number >= 0.0 and < 1.0"),
    ("trainer.max_epochs=-5", "trainer.max_epochs=-5 is invalid; allowed: an integer >= 1, or -1 (no limit) or null"),
    ("trainer.accumulate_grad_batches=0", "trainer.accumulate_grad_batches=0 is invalid; allowed: an integer >= 1"),
    ("trainer.gradient_clip_val=-1",
     "trainer.gradient_clip_val=-1 is invalid; allowed: a finite number >= 0.0 or null"),
    ("+model.net.widht=3", "model.net.widht: unknown key for trainlab.models.mlp.MLP; allowed: activation"),
    ("+data.batchsize=3", "data.batchsize: unknown key for trainlab.data.mnist_datamodule.MNISTDataModule"),
    ("+learning_rate=0.1", "learning_rate: unknown top-level key"),
    ("seed=abc", "seed='abc' is invalid; allowed: an integer from 0 to 4294967295 or null"),
    ("seed=-1", "seed=-1 is invalid; allowed: an integer from 0 to 4294967295 or null"),  # seed_everything's range
    ("data.seed=4294967296", "data.seed=4294967296 is invalid; allowed: an integer from 0 to 4294967295"),
    ("ckpt_path=[1]", "ckpt_path=[1] is invalid; allowed: a checkpoint file, last or null"),
    ("model.net.input_size=10",  # found by the first matrix product before
     "model.net.input_size=10 does not fit the MNIST data (an MNIST image's 28 x 28 pixels); allowed: 784"),
    ("model.num_classes=5", "model.num_classes=5 does not fit the MNIST data (MNIST's 10 digits); allowed: 10"),
    ("test=no", "test='no' is invalid; allowed: true or false"),  # the string 'no' would count as true
    ("trainer.deterministic=sometimes", "trainer.deterministic='sometimes' is invalid; allowed: true, false or warn"),
    ("compile.enabled=1", "compile.enabled=1 is invalid; allowed: true or false"),
    ("scheduler=step scheduler.step_size=0", "scheduler.step_size=0 is invalid; allowed: an integer >= 1"),
    # T_max is ${trainer.max_epochs}: the line names where the value came from
    ("scheduler=cosine trainer.max_epochs=-1", "scheduler.T_max=-1 is invalid: it comes from trainer.max_epochs=-1 "
     "(no epoch limit: a budget of trainer.max_steps=-1), through ${trainer.max_epochs}; allowed: an integer >= 1, set "
     "as scheduler.T_max=N (the number of epochs to anneal over)"),
    ("scheduler=plateau scheduler.mode=up", "scheduler.mode='up' is invalid; allowed: one of min, max"),
    ("scheduler=plateau scheduler.factor=1.5", "scheduler.factor=1.5 is invalid; allowed: a number >= 0.0 and < 1.0"),
    ("scheduler=plateau model.scheduler_monitor=eval/test_acc",
     "model.scheduler_monitor='eval/test_acc' is not computed with data.eval_splits=['val'] (scheduler=plateau "
     "needs it after every validation); allowed: one of val/loss, val/acc"),
    ("model.scheduler_monitor=val/accuracy", "model.scheduler_monitor='val/accuracy' is invalid; allowed: one of"),
    ("callbacks=early_stopping callbacks.early_stopping.monitor=val/accc",
     "callbacks.early_stopping.monitor='val/accc' is not a metric this run logs; allowed: one of val/loss, val/acc, "
     "val/acc_best, train/acc, train/loss"),
    ("callbacks.model_checkpoint.monitor=train/lr",  # logged only with a scheduler
     "callbacks.model_checkpoint.monitor='train/lr' is not a metric this run logs"),
    ("scheduler=step +scheduler.steps=3", "scheduler.steps: unknown key for torch.optim.lr_scheduler.StepLR"),
]


def test_lightnings_null_defaults_of_its_switches_are_accepted(make_cfg):
    validate_config(make_cfg("trainer.deterministic=null", "trainer.enable_progress_bar=null",
                             "trainer.enable_model_summary=null", "trainer.deterministic=warn"))


@pytest.mark.parametrize("overrides,message", BAD_CONFIGS, ids=[o for o, _ in BAD_CONFIGS])
def test_bad_config_is_rejected_naming_the_key(overrides, message, make_cfg):
    with pytest.raises(ConfigError) as error:
        validate_config(make_cfg(*overrides.split()))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.slow  # ~10 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_split_sizes_beyond_the_data_exit_2_with_the_allowed_sizes(train_subprocess, tmp_path):
    """The sizes are checked once the source is known (before anything is written), as a one-line config error.

    A real process: the exit status of a trainlab error raised inside the task, as the shell sees it (the other
    errors' tests run train.py in-process)."""
    result = train_subprocess("data.source=bundled", "data.val_size=100000")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: data.train_size=null (the rest of the pool) + data.val_size=100000 do not fit the bundled training "
        "pool of 4500 images; "
        "allowed: data.val_size at most 4499 (default 500) and data.train_size + data.val_size at most 4500")
    assert "Traceback" not in result.stderr
    assert not list((tmp_path / "outputs").rglob("*.ckpt"))


@pytest.mark.skipif(importlib.util.find_spec("torch_xla") is not None, reason="torch_xla installed: Lightning's")
@pytest.mark.parametrize(("accelerator", "needs"), [
    ("tpu", "a TPU (through torch_xla, which is not installed here)"),
    ("mps", "Apple silicon's GPU (torch.backends.mps.is_available() is False here)")])
@pytest.mark.parametrize("cuda", [False, True], ids=["cpu", "cuda"])
def test_an_accelerator_this_machine_lacks_names_those_it_has(train_in_process, tmp_path, monkeypatch, accelerator,
                                                               needs, cuda):
    """trainer.accelerator=tpu said Lightning's "HINT: Try running `pip install -U 'torch_xla>=1.13'`" (on a machine
    without a TPU), mps Lightning's MisconfigurationException from inside the Trainer."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2 if cuda else 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    result = train_in_process("debug=limit", f"trainer.accelerator={accelerator}")
    assert result.returncode == 2
    has = "cpu, gpu (2 CUDA devices)" if cuda else "cpu"
    assert result.stderr.splitlines()[-1] == (
        f"error: trainer.accelerator='{accelerator}' needs {needs}; this machine has: {has}; train on the CPU with "
        "trainer.accelerator=cpu, or let Lightning choose with trainer.accelerator=auto")
    assert not (tmp_path / "outputs").exists()


def test_gpu_trainer_without_cuda_is_a_config_error_naming_the_alternatives(make_cfg, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError) as error:
        validate_config(make_cfg("trainer=gpu"))
    message = str(error.value)
    assert message.startswith("trainer.accelerator='gpu' needs a CUDA GPU, and "  # no Hydra: no choice to name
                              "torch.cuda.is_available() is False here")
    assert "trainer=cpu" in message and "trainer.accelerator=auto" in message and "\n" not in message
    validate_config(make_cfg("trainer=cpu"))  # the CPU and auto choices pass on the same machine
    validate_config(make_cfg("trainer=gpu", "trainer.accelerator=auto"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    validate_config(make_cfg("trainer=gpu"))  # and trainer=gpu passes where CUDA is there


def test_device_indices_on_the_cpu_are_refused_before_anything_starts(train_in_process, tmp_path):
    """``trainer.devices=[0,1]`` passed the values' rule ("a list of distinct device indices") and started two DDP
    processes, whose Trainer then raised "devices selected with CPUAccelerator should be an int > 0"."""
    run_dir = tmp_path / "run"
    result = train_in_process("debug=limit", "trainer.devices=[0,1]", f"hydra.run.dir={run_dir}")
    assert (result.returncode, result.stderr.strip().splitlines()) == (2, [
        "error: trainer.devices=[0, 1] is invalid with trainer.accelerator=cpu, which trains on the CPU here: a list "
        "of device indices is for GPUs; allowed: a number of processes N >= 1 (trainer.devices=2: 2 DDP processes on "
        "the CPU), or trainer.accelerator=gpu with the list"])
    assert not run_dir.exists()


def test_device_indices_with_accelerator_auto_are_refused_only_without_cuda(make_cfg, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match=r"^trainer.devices=\[0\] is invalid with trainer.accelerator=auto, which "):
        validate_config(make_cfg("trainer.accelerator=auto", "trainer.devices=[0]"))
    validate_config(make_cfg("trainer.accelerator=auto", "trainer.devices=[0]"), machine=False)  # trains elsewhere


@pytest.mark.parametrize("overrides,message", BAD_CONFIGS[::4], ids=[o for o, _ in BAD_CONFIGS[::4]])
def test_bad_config_exits_nonzero_with_one_line(overrides, message, train_in_process, tmp_path):
    result = train_in_process(*overrides.split())
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"error: {message}" or message in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert not list((tmp_path / "outputs").rglob("events.out.tfevents*"))  # nothing ran


def test_full_traceback_on_request(train_in_process):
    # a single run's config is checked before Hydra writes anything (trainlab.preflight): the traceback comes first
    result = train_in_process("optimizer.lr=-1", env={"HYDRA_FULL_ERROR": "1"})
    assert result.returncode == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert "trainlab.errors.ConfigError: optimizer.lr=-1 is invalid" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: optimizer.lr=-1 is invalid")


def test_full_traceback_of_a_value_the_library_refuses_keeps_exit_status_2_and_removes_the_run_dir(
        train_in_process, tmp_path):
    # refused when the Trainer is built, inside the task: it left train.py as an uncaught exception (exit 1)
    run_dir = tmp_path / "run"
    result = train_in_process("+trainer.limit_train_batches=-3", f"hydra.run.dir={run_dir}",
                              env={"HYDRA_FULL_ERROR": "1"})
    assert result.returncode == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: trainer.limit_train_batches=-3 is invalid; lightning.pytorch.trainer.Trainer raised")
    assert not run_dir.exists()  # Hydra's .hydra/ and train.log, made for nothing, removed as without the variable


@pytest.mark.slow  # ~2.5 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_full_traceback_of_a_job_error_in_a_multirun(train_in_process):
    # in a multirun a later job's config error stops the sweep with its traceback, its line and exit status 2 (the
    # first job's is found before the sweep starts: trainlab.sweep.first_job)
    result = train_in_process("-m", "data.eval_splits=[val],[train,test]", "debug=limit", env={"HYDRA_FULL_ERROR": "1"})
    assert result.returncode == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: optimized_metric='val/acc' is not a metric the sweep's jobs report")
    result = train_in_process("-m", "data.eval_splits=[train,test]", env={"HYDRA_FULL_ERROR": "1"})
    assert result.returncode == 2
    assert "trainlab.errors.ConfigError: optimized_metric='val/acc' is not a metric the sweep's jobs" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: optimized_metric='val/acc' is not a metric")
    # a value the command line gives is checked before the sweep starts (trainlab.preflight), as a single run's
    result = train_in_process("-m", "optimizer.lr=-1", env={"HYDRA_FULL_ERROR": "1"})
    assert result.returncode == 2
    assert "trainlab.errors.ConfigError: optimizer.lr=-1 is invalid" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: optimizer.lr=-1 is invalid")


@pytest.mark.slow  # ~5 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_every_shipped_config_validates(make_cfg):
    for group, option in [("experiment", p.stem) for p in (ROOT / "conf" / "experiment").glob("*.yaml")] + [
        ("hparams_search", "random"), ("optimizer", "torch_adamw"), ("callbacks", "histograms"),
            ("callbacks", "early_stopping")]:
        validate_config(make_cfg(f"{group}={option}"))
    # metrics that exist only with some choices are accepted with them
    validate_config(make_cfg("scheduler=step", "callbacks.model_checkpoint.monitor=train/lr"))
    # pick one GPU: a config for a GPU machine (this machine's own check refuses an index list where it has none)
    validate_config(make_cfg("trainer=gpu", "trainer.accelerator=auto", "trainer.devices=[1]"), machine=False)
    validate_config(make_cfg("data.eval_splits=[val,test]", "callbacks=early_stopping",
                             "callbacks.early_stopping.monitor=eval/test_acc"))


# ---- resume ----------------------------------------------------------------------------------------------------
RESUME_ARGS = ["seed=3", "model.net.dropout=0.2", "data.train_size=1000", "data.batch_size=10", "trainer.max_epochs=2",
               "trainer.log_every_n_steps=5", "optimizer=momentum", "scheduler=step", "scheduler.step_size=1"]
# 100 steps per epoch; the schedule halves the learning rate after every epoch


def launch(args: list[str], data_dir: Path, run_dir: Path) -> subprocess.Popen:
    command = [sys.executable, str(ROOT / "train.py"), "data.source=bundled", f"paths.data_dir={data_dir}",
               "trainer.enable_progress_bar=false", f"hydra.run.dir={run_dir}", *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": JOB_PYTHONPATH}
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)



@pytest.mark.slow  # ~11 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_an_interrupted_job_of_a_multirun_prints_the_command_that_finishes_the_sweep(tmp_path, data_dir):
    sweep_dir = tmp_path / "sweep"
    command = [sys.executable, str(ROOT / "train.py"), "-m", "optimizer=sgd,adam", "debug=limit",
               "data.source=bundled", f"paths.data_dir={data_dir}", "trainer.enable_progress_bar=false",
               f"hydra.sweep.dir={sweep_dir}", "+callbacks.sigterm={_target_:sigterm_at_step.SigtermAtStep,step:3}"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": JOB_PYTHONPATH})
    assert result.returncode == 128 + signal.SIGTERM, result.stderr[-3000:]
    assert (f"Finish the sweep with: python train.py -m optimizer=sgd,adam debug=limit data.source=bundled "
            f"paths.data_dir={data_dir} trainer.enable_progress_bar=false "
            "'+callbacks.sigterm={_target_:sigterm_at_step.SigtermAtStep,step:3}' ckpt_path=last resume_sweep=true "
            f"hydra.sweep.dir={sweep_dir}\n") in result.stderr  # job 1 has not run: resuming job 0 alone is not enough
    # job 0 goes on from the checkpoint its stop saved (the command had trained it again from its start)
    # what ran so far, as a joblib sweep stopped so lists it (the basic launcher's stop ended past Hydra's end
    # callbacks: no summary.csv, no sweep HPARAMS)
    with (sweep_dir / "summary.csv").open() as handle:
        assert [(row["job"][:2], row["optimizer"], row["status"]) for row in csv.DictReader(handle)] == [
            ("0_", "sgd", "interrupted")]
    assert len(list(sweep_dir.glob("events.out.tfevents.*.hparams"))) == 1


@pytest.mark.slow  # ~10 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_an_interrupted_search_lists_what_ran_in_its_summary_and_hparams_experiment(tmp_path, data_dir):
    """As a stopped grid sweep: a stopped search wrote its optimization_results.yaml and summary.csv but no sweep
    HPARAMS experiment, which docs/resuming-and-failures.md says lists what ran so far whatever the launcher."""
    sweep_dir = tmp_path / "sweep"
    command = [sys.executable, str(ROOT / "train.py"), "hparams_search=random", "hydra.sweeper.n_trials=2",
               "debug=limit", "data.source=bundled", f"paths.data_dir={data_dir}", "trainer.enable_progress_bar=false",
               f"hydra.sweep.dir={sweep_dir}", "+callbacks.sigterm={_target_:sigterm_at_step.SigtermAtStep,step:3}"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": JOB_PYTHONPATH})
    assert result.returncode == 128 + signal.SIGTERM, result.stderr[-3000:]
    assert "Continue the search with: " in result.stderr
    with (sweep_dir / "summary.csv").open() as handle:
        assert [row["status"] for row in csv.DictReader(handle)] == ["interrupted"]  # trial 1 never trained
    assert len(list(sweep_dir.glob("events.out.tfevents.*.hparams"))) == 1
    experiment, groups, _ = hparams_backend(sweep_dir)  # what TensorBoard's HPARAMS tab shows
    assert len(groups) == 1  # the trial that trained
    assert {"optimizer/lr", "model/weight_decay"} <= {info.name for info in experiment.hparam_infos}


@pytest.mark.slow  # ~25 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_the_finish_command_of_a_sweep_of_ones_own_config_finishes_it_when_pasted(tmp_path, data_dir):
    """A sweep started with ``--config-dir my_conf --config-name my_train`` (one's own primary config and experiment)
    and interrupted printed a finish command without the two options: pasted, it was refused (no experiment=mine in
    the template's conf/). Pasted as printed now, it trains the rest and the summary lists both jobs completed."""
    my_conf, sweep_dir = tmp_path / "my conf", tmp_path / "sweep"
    (my_conf / "experiment").mkdir(parents=True)
    shutil.copy(ROOT / "conf" / "train.yaml", my_conf / "my_train.yaml")
    (my_conf / "experiment" / "mine.yaml").write_text(
        "# @package _global_\nhydra:\n  mode: MULTIRUN\n  sweeper:\n    params:\n      optimizer: sgd,adam\n")
    env = {**os.environ, "PYTHONPATH": JOB_PYTHONPATH}
    command = [sys.executable, str(ROOT / "train.py"), "--config-dir", str(my_conf), "--config-name", "my_train",
               "experiment=mine", "debug=limit", "data.source=bundled", f"paths.data_dir={data_dir}",
               "trainer.enable_progress_bar=false", f"hydra.sweep.dir={sweep_dir}",
               f"+callbacks.sigterm={{_target_:sigterm_at_step.SigtermOnceAtStep,step:3,marker:'{tmp_path / 'sent'}'}}"]
    stopped = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr[-3000:]
    finish = next(line for line in stopped.stderr.splitlines() if line.startswith("Finish the sweep with: "))
    words = shlex.split(finish.removeprefix("Finish the sweep with: "))
    assert words[:6] == ["python", "train.py", "-m", "--config-name", "my_train", "--config-dir"], finish
    assert words[6] == str(my_conf)
    finished = subprocess.run([sys.executable, *words[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300,
                              env=env)
    assert finished.returncode == 0, finished.stderr[-3000:]
    with (sweep_dir / "summary.csv").open() as handle:
        assert [(row["optimizer"], row["status"]) for row in csv.DictReader(handle)] == [("sgd", "completed"),
                                                                                        ("adam", "completed")]


def test_only_joblib_workers_that_are_processes_wait_for_their_own_signal():
    """Under joblib's threading backend the jobs run in threads of the command's process, which get no signal: a
    deferred Ctrl-C would have let the whole sweep run on."""
    from omegaconf import OmegaConf

    from trainlab.sweep.worker_stop import jobs_train_in_workers

    joblib = "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"
    assert [jobs_train_in_workers(OmegaConf.create({"_target_": joblib, "backend": backend}))
            for backend in (None, "loky", "multiprocessing", "threading")] == [True, True, True, False]
    stacked = "hydra_plugins.trainlab_stacked_launcher.stacked_launcher.StackedLauncher"
    assert not jobs_train_in_workers(OmegaConf.create({"_target_": stacked})) and not jobs_train_in_workers(None)
    # submitit's local launcher: a process per job (its controllers kept from the signal, sweep/submitit_local_stop.py)
    local = "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher"
    slurm = "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    assert jobs_train_in_workers(OmegaConf.create({"_target_": local}))
    assert not jobs_train_in_workers(OmegaConf.create({"_target_": slurm}))  # its jobs train on SLURM's nodes


def ctrl_c_in_a_joblib_sweep(tmp_path: Path, data_dir: Path, sweep: list[str], n_jobs: int,
                             training: int, *extra: str) -> tuple[subprocess.Popen, str, str, Path]:
    """``train.py <sweep>`` with joblib's ``n_jobs`` workers; once ``training`` jobs train, job 0 sends SIGINT to
    the whole process group, as a terminal's Ctrl-C does."""
    return ctrl_c_in_a_sweep(tmp_path, data_dir, sweep, ["hydra/launcher=joblib", f"hydra.launcher.n_jobs={n_jobs}"],
                             training, *extra)


def ctrl_c_in_a_sweep(tmp_path: Path, data_dir: Path, sweep: list[str], launcher: list[str], training: int,
                      *extra: str, sigint_ignored: bool = False,
                      ctrl_c: str = "CtrlCOnceEveryJobTrains") -> tuple[subprocess.Popen, str, str, Path]:
    """``train.py <sweep> <launcher>``; once ``training`` jobs train, job 0 sends SIGINT to the whole process group,
    as a terminal's Ctrl-C does. ``sigint_ignored``: the command starts with SIGINT ignored, as a background job of a
    script does (it inherits that, and so do the processes it starts). ``ctrl_c``: the callback of
    ``sigterm_at_step`` that sends it (``CtrlCAgainWhileSaving``: twice). Afterwards no process of the command's
    group is left (checked by the caller with :func:`processes_left`: the group's id is ``run.pid``)."""
    sweep_dir = tmp_path / "sweep"
    command = [sys.executable, str(ROOT / "train.py"), *sweep, *launcher,
               "trainer.max_epochs=1000", "data.train_size=100", "data.val_size=100", "data.source=bundled",
               f"paths.data_dir={data_dir}", "trainer.enable_progress_bar=false", f"hydra.sweep.dir={sweep_dir}",
               "callbacks.last_checkpoint=null",  # the stop's checkpoint is the only one
               f"+callbacks.ctrl_c={{_target_:sigterm_at_step.{ctrl_c},marks:'{tmp_path / 'marks'}',"
               f"jobs:{training}}}", *extra]
    # this checkout's trainlab, also where the environment's editable install is another checkout's
    python_path = os.pathsep.join([str(ROOT / "tests"), str(ROOT / "src")])
    run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONPATH": python_path}, start_new_session=True,
                           preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored
                           else None)
    try:
        stdout, stderr = run.communicate(timeout=300)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    return run, stdout, stderr, sweep_dir


@pytest.mark.slow  # ~25 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_ctrl_c_while_joblibs_workers_start_stops_the_sweep_without_a_traceback(tmp_path, data_dir):
    """A Ctrl-C while the workers were still starting (importing torch, Hydra, Lightning: seconds) ended each with a
    KeyboardInterrupt traceback from inside an import, and the command with exit status 1 and joblib's traceback,
    without the command that finishes the sweep: Python 3.11's resource tracker, which loky's workers start,
    unblocked the stop signals the command had blocked for its workers. The sweep stops as one stopped later does,
    no job trained, and the printed command finishes it."""
    sweep_dir = tmp_path / "sweep"
    command = [sys.executable, str(ROOT / "train.py"), "-m", "seed=1,2", "hydra/launcher=joblib",
               "hydra.launcher.n_jobs=2", "debug=limit", "data.source=bundled", f"paths.data_dir={data_dir}",
               "trainer.enable_progress_bar=false", f"hydra.sweep.dir={sweep_dir}"]
    env = {**os.environ, "PYTHONPATH": JOB_PYTHONPATH}
    run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                           start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        workers = 0
        while time.monotonic() < deadline and run.poll() is None:  # both workers started: they are importing
            # -ww: whole command lines (ps cuts them at the terminal's width otherwise, COLUMNS or stdin's tty)
            listing = subprocess.run(["ps", "-ww", "-o", "args=", "-g", str(run.pid)], capture_output=True,
                                     text=True)
            workers = listing.stdout.count("popen_loky_posix")
            if workers == 2:
                break
            time.sleep(0.05)
        assert workers == 2, f"the sweep's two workers were not seen starting (exit status {run.poll()})"
        os.killpg(run.pid, signal.SIGINT)  # a terminal's Ctrl-C
        stdout, stderr = run.communicate(timeout=300)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode == 128 + signal.SIGINT, stderr[-3000:]
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr[-3000:]
    assert not list(sweep_dir.glob("*/status.json"))  # neither job trained
    assert "no HPARAMS experiment of the sweep: none of its jobs ran" in stdout + stderr  # not "logger=csv?"
    finish = next(line for line in stderr.splitlines() if "the sweep stopped; finish it with: " in line)
    words = shlex.split(finish.split("finish it with: ")[1])
    assert processes_left(run.pid) == []
    finished = subprocess.run([sys.executable, *words[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300,
                              env=env)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert job_statuses(sweep_dir) == ["completed", "completed"]


def processes_left(group: int, seconds: float = 10.0) -> list[str]:
    """The processes of process group ``group`` still running after up to ``seconds`` (a resource tracker ends
    itself once the processes it tracks for have)."""
    deadline = time.monotonic() + seconds
    while True:
        listing = subprocess.run(["ps", "-ww", "-o", "pid=,stat=,args=", "-g", str(group)], capture_output=True,
                                 text=True)
        left = [line for line in listing.stdout.splitlines() if line.split()[1:2] != ["Z"]]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def job_statuses(sweep_dir: Path) -> list[str | None]:
    """Each job directory's status (None: no status.json), in job order; the marks path makes the names nest."""
    jobs = sorted((path.parent for path in sweep_dir.rglob(".hydra")), key=lambda job: int(
        job.relative_to(sweep_dir).parts[0].split("_")[0]))
    return [json.loads((job / "status.json").read_text())["status"] if (job / "status.json").is_file() else None
            for job in jobs]


@pytest.mark.slow  # ~25 s each on 2 cores (make test-slow; the default run stays ~4 min)
@pytest.mark.parametrize("sweep", [["-m", "seed=1,2,3,4"],
                                   ["hparams_search=tpe", "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=4"]])
def test_ctrl_c_in_a_joblib_sweep_waits_for_every_worker_to_save_and_starts_no_queued_job(tmp_path, data_dir, sweep):
    """The command's process stopped at once and its worker pool ended the workers while they saved: jobs were left
    without status.json (and checkpoint); a worker whose job ended its process made the pool end the others. Four
    jobs on two workers: the two queued ones, which got no signal, must not train after the stop."""
    run, stdout, stderr, sweep_dir = ctrl_c_in_a_joblib_sweep(tmp_path, data_dir, sweep, n_jobs=2, training=2)
    assert run.returncode == 128 + signal.SIGINT, stderr[-3000:]
    statuses = job_statuses(sweep_dir)
    assert statuses[:2] == ["interrupted", "interrupted"], stderr[-3000:]
    assert all(status is None for status in statuses[2:]), statuses  # not run: resume_sweep=true runs them
    assert stderr.count("SIGINT: stopped at step") == 2
    # the two stopped jobs' checkpoints, none else; a search's trials that keep none save none (they never resume)
    assert len(list(sweep_dir.rglob("last.ckpt"))) == (2 if sweep[0] == "-m" else 0)
    assert not (sweep_dir / ".stop_requested").exists()
    if sweep[0] == "-m":
        assert "SIGINT: the sweep stopped; finish it with: python train.py -m seed=1,2,3,4 " in stderr
        assert stderr.count("resume_sweep=true") == 1, stderr[-3000:]  # the command's; each worker said what it saved
        assert [row["status"] for row in csv.DictReader((sweep_dir / "summary.csv").open())] == ["interrupted"] * 2
    else:
        assert "the search stopped with 0 of 4 trials run (" in stderr
        assert "Finish the sweep with" not in stderr, stderr[-3000:]  # a search says how to continue it
        assert stdout.count(" interrupted\n") + stderr.count(" interrupted\n") >= 2  # "trial <n> interrupted"


@pytest.mark.slow  # ~15 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_signal_to_the_command_alone_stops_the_jobs_its_workers_train(tmp_path, data_dir):
    """``kill -INT <the command's pid>``: the command said "every job saves its checkpoint and stops" and waited,
    while the jobs its workers were training - whose processes got no signal - trained to their end. They watch the
    sweep's stop mark, which the command writes, and stop as on the signal."""
    run, _, stderr, sweep_dir = ctrl_c_in_a_sweep(tmp_path, data_dir, ["-m", "seed=1,2"],
                                                  ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"], 2,
                                                  ctrl_c="SigintToTheCommandAlone")
    assert run.returncode == 128 + signal.SIGINT, stderr[-3000:]
    assert job_statuses(sweep_dir) == ["interrupted", "interrupted"], stderr[-3000:]
    assert len(list(sweep_dir.rglob("last.ckpt"))) == 2  # each job saved where it stopped
    assert stderr.count("SIGINT: stopped at step ") == 2, stderr[-3000:]
    assert stderr.count("Finish the sweep with: ") + stderr.count("finish it with: ") == 1, stderr[-3000:]
    assert not (sweep_dir / ".stop_requested").exists()


@pytest.mark.slow  # ~15 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_signal_to_one_worker_alone_stops_its_job_and_the_command_says_once_how_to_finish(tmp_path, data_dir):
    """Each worker's stopped job printed the command that finishes the sweep, and the command printed it again: two
    workers, three copies. Now a worker's job says what it saved, and the command says how to finish, once - also
    where it got no signal itself (here the sweep goes on, and ends with job 1 completed)."""
    run, stdout, stderr, sweep_dir = ctrl_c_in_a_sweep(tmp_path, data_dir, ["-m", "seed=1,2"],
                                                         ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"], 2,
                                                         ctrl_c="SigintToJob0sWorkerAlone")
    assert run.returncode == 0, stderr[-3000:]  # a job completed
    assert job_statuses(sweep_dir) == ["interrupted", "completed"], stderr[-3000:]
    assert stderr.count("SIGINT: stopped at step ") == 1
    assert stderr.count("Finish the sweep with: ") == 1, stderr[-3000:]
    assert stderr.rstrip().splitlines()[-1].startswith("Finish the sweep with: python train.py -m seed=1,2 ")


@pytest.mark.slow  # ~25 s each on 2 cores (make test-slow; the default run stays ~4 min)
@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["terminal", "sigint-ignored"])
def test_ctrl_c_in_a_submitit_local_sweep_saves_every_job_and_stops_as_the_basic_launcher_does(tmp_path, data_dir,
                                                                                               sigint_ignored):
    """submitit's controller processes took the Ctrl-C too: KeyboardInterrupt tracebacks, and their clean-up sent
    the jobs a second SIGINT (a job stopped at once, without its status) and SIGKILL. With SIGINT ignored by the
    command (a script's background job) the jobs saved, but exited without submitit's result: the command waited
    ~15 s, then ended with a traceback of submitit's UncompletedJobError and exit status 1."""
    run, _, stderr, sweep_dir = ctrl_c_in_a_sweep(tmp_path, data_dir, ["-m", "seed=1,2"],
                                                  ["hydra/launcher=submitit_local"], 2, sigint_ignored=sigint_ignored)
    assert run.returncode == 128 + signal.SIGINT, stderr[-3000:]
    assert "Traceback" not in stderr and "UncompletedJobError" not in stderr, stderr[-3000:]
    assert job_statuses(sweep_dir) == ["interrupted", "interrupted"], stderr[-3000:]
    jobs = sorted((path.parent for path in sweep_dir.rglob(".hydra")), key=lambda job: int(
        job.relative_to(sweep_dir).parts[0].split("_")[0]))
    for job in jobs:  # each job's line, which its process wrote to <sweep>/.submitit/, said by the command
        checkpoint = job / "checkpoints" / "last.ckpt"
        assert checkpoint.is_file()
        assert stderr.count(f", saved {checkpoint}\n") == 1, stderr[-3000:]
    assert stderr.count("SIGINT: stopped at step ") == 2
    assert stderr.count("Finish the sweep with: ") == 1 and stderr.endswith(
        f"hydra/launcher=submitit_local ckpt_path=last resume_sweep=true hydra.sweep.dir={sweep_dir}\n"), stderr[-3000:]
    assert [row["status"] for row in csv.DictReader((sweep_dir / "summary.csv").open())] == ["interrupted"] * 2
    assert not (sweep_dir / ".stop_requested").exists()


@pytest.mark.slow  # ~25 s each on 2 cores (make test-slow; the default run stays ~4 min)
@pytest.mark.parametrize("sweep, launcher", [
    (["-m", "seed=1,2,3,4"], ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]),
    (["-m", "seed=1,2"], ["hydra/launcher=submitit_local"]),
    (["hparams_search=tpe", "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=2"],
     ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"])], ids=["joblib", "submitit_local", "search"])
def test_a_second_ctrl_c_while_workers_save_stops_the_command_at_once_in_one_line(tmp_path, data_dir, sweep,
                                                                                  launcher):
    """The command waited for its workers with Python's own handler back: the second Ctrl-C was a KeyboardInterrupt
    traceback from inside joblib's wait (exit status 1 with joblib's TerminatedWorkerError or submitit's
    UncompletedJobError where a worker had died of it first), and the stop mark was left in the sweep. The resource
    trackers, which remove what the killed workers left, said so after the command's last line (``UserWarning:
    resource_tracker: There appear to be 8 leaked semlock objects to clean up at shutdown``)."""
    run, _, stderr, sweep_dir = ctrl_c_in_a_sweep(tmp_path, data_dir, sweep, launcher, 2,
                                                  ctrl_c="CtrlCAgainWhileSaving")
    assert run.returncode == -signal.SIGINT, stderr[-3000:]  # died of it: exit status 130 in a shell
    assert "Traceback" not in stderr and "leaked" not in stderr, stderr[-3000:]
    search = sweep[0] != "-m"
    line = f"SIGINT again: stopped at once; {'trials' if search else 'jobs'} still saving may have no checkpoint\n"
    assert stderr.count(line) == 1, stderr[-3000:]
    # a job's own stop line may land after the command's (job 0 sent the second SIGINT and says its stop as the
    # command kills it: the two processes race on one stderr) - the command's lines keep their order
    after = [text for text in stderr.split(line)[1].splitlines() if not text.startswith("SIGINT: stopped at step ")]
    if search:  # the trials its workers ran are closed first: none is left RUNNING (test_search_stopped_at_once.py)
        assert after[0].startswith("closed the search's running trials: trials 0, 1 interrupted "), stderr[-3000:]
        storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(
            str(sweep_dir / "optuna.journal")))
        trials = optuna.load_study(study_name="hparams_tpe", storage=storage).get_trials()
        assert [(trial.state.name, trial.user_attrs["outcome"]) for trial in trials] == [("FAIL", "interrupted")] * 2
        assert after[1].startswith("the search's results so far (2 interrupted; "), stderr[-3000:]  # on the way out
        assert (sweep_dir / "optimization_results.yaml").is_file() and (sweep_dir / "summary.csv").is_file()
        after = after[2:]
    # then the command that finishes the sweep (a joblib worker's job that stopped first said it too)
    finish = after[0]
    assert finish.startswith(f"{'Continue the search' if search else 'Finish the sweep'} with: python train.py ")
    assert finish.endswith(f"resume_sweep=true hydra.sweep.dir={sweep_dir}"), finish
    assert processes_left(run.pid) == []  # no worker (nor submitit controller) runs on, or starts a queued job
    assert not (sweep_dir / ".stop_requested").exists()


@pytest.mark.slow  # ~20 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_two_fast_ctrl_cs_in_a_submitit_local_sweep_stop_the_command_at_once(tmp_path, data_dir):
    """The command blocks the stop signals in its main thread under submitit's local launcher, and Python runs its
    handler there within one of submitit's one-second polls: two Ctrl-Cs before it ran were one to Python's own
    C-level handler. The command waited as for a first Ctrl-C while the jobs, which got both, stopped without
    saving; it ended with submitit's UncompletedJobError traceback and exit status 1."""
    run, _, stderr, sweep_dir = ctrl_c_in_a_sweep(tmp_path, data_dir, ["-m", "seed=1,2"],
                                                  ["hydra/launcher=submitit_local"], 2,
                                                  ctrl_c="CtrlCTwiceEveryJobTrains")
    assert run.returncode == -signal.SIGINT, stderr[-3000:]  # died of it: exit status 130 in a shell
    assert "Traceback" not in stderr and "UncompletedJobError" not in stderr, stderr[-3000:]
    line = "SIGINT again: stopped at once; jobs still saving may have no checkpoint\n"
    assert stderr.count(line) == 1, stderr[-3000:]
    finish = stderr.split(line)[1].splitlines()[0]
    assert finish.startswith("Finish the sweep with: python train.py ")
    assert finish.endswith(f"resume_sweep=true hydra.sweep.dir={sweep_dir}"), finish
    assert processes_left(run.pid) == []  # no job nor submitit controller runs on
    assert not (sweep_dir / ".stop_requested").exists()


@pytest.mark.slow  # ~25 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_ctrl_c_while_a_workers_job_starts_leaves_it_unrun_and_stops_the_sweep(tmp_path, data_dir):
    """A job still setting up (no handler of training yet) got a KeyboardInterrupt, which Lightning turned into
    exit(1) and the pool into the command's failure (exit 1, no summary.csv)."""
    slow_setup = (f"+callbacks.slow={{_target_:sigterm_at_step.SleepInSetupOfJob,marks:'{tmp_path / 'marks'}',"
                  "job:1,seconds:60}")
    run, stdout, stderr, sweep_dir = ctrl_c_in_a_joblib_sweep(tmp_path, data_dir, ["-m", "seed=1,2"], 2, 2,
                                                              slow_setup)
    assert run.returncode == 128 + signal.SIGINT, stderr[-3000:]
    assert job_statuses(sweep_dir) == ["interrupted", None]  # job 1 never trained: resume_sweep=true runs it
    assert "SIGINT before this job's training began; not run (resume_sweep=true runs it)" in stdout + stderr
    assert [row["status"] for row in csv.DictReader((sweep_dir / "summary.csv").open())] == ["interrupted"]


@pytest.mark.slow  # ~20 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_ctrl_c_after_a_workers_job_trained_records_it_interrupted_with_its_checkpoint(tmp_path, data_dir):
    """Between fit's end and the test's start the job's handler was the worker's, which took every job without a
    status.json for one in its start-up: "SIGINT before this job's training began; not run", no status.json
    beside the saved last.ckpt, and a summary of 0 jobs."""
    run, stdout, stderr, sweep_dir = ctrl_c_in_a_sweep(tmp_path, data_dir, ["-m", "seed=1,2"],
                                                       ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"], 2,
                                                       "trainer.max_steps=2", ctrl_c="CtrlCAfterEveryJobsFit")
    assert run.returncode == 128 + signal.SIGINT, stderr[-3000:]
    assert job_statuses(sweep_dir) == ["interrupted", "interrupted"], stderr[-3000:]
    assert "before this job's training began" not in stdout + stderr
    assert stderr.count("SIGINT: stopped at step 2, saved ") == 2, stderr[-3000:]
    assert [row["status"] for row in csv.DictReader((sweep_dir / "summary.csv").open())] == ["interrupted"] * 2


@pytest.mark.slow  # ~15 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_ctrl_c_in_a_joblib_sweep_of_one_worker_stops_it_as_the_basic_launcher_does(tmp_path, data_dir):
    """hydra.launcher.n_jobs=1: joblib runs the jobs one after another in the command's own process; its Ctrl-C
    stopped job 0, and jobs 1 and 2 trained on (exit 0)."""
    run, _, stderr, sweep_dir = ctrl_c_in_a_joblib_sweep(tmp_path, data_dir, ["-m", "seed=1,2,3"], n_jobs=1,
                                                         training=1)
    assert run.returncode == 128 + signal.SIGINT, stderr[-3000:]
    assert job_statuses(sweep_dir) == ["interrupted"]


@pytest.mark.slow  # ~10 s on 2 cores each (make test-slow; the default run stays ~4 min)
@pytest.mark.parametrize("step", [5, 105, 205])  # in the first epoch (100 steps), after its last.ckpt; 205: kept as
# epoch_001.ckpt alone (no last_checkpoint), which the line names
def test_a_second_ctrl_c_while_stopping_ends_the_process_as_the_signal_does_and_says_what_is_left(tmp_path, data_dir,
                                                                                                  step):
    """Not exit status 1 (Lightning's answer to a KeyboardInterrupt), which says a bug; the saved state stays. The
    run ended on the warning, without a word of the last.ckpt an earlier epoch left or how to go on from it."""
    run_dir = tmp_path / "run"
    twice = f"+callbacks.twice={{_target_:sigterm_at_step.SignalTwiceAtStep,step:{step}}}"
    epochs = ["trainer.max_epochs=3", "callbacks.last_checkpoint=null", "callbacks.model_checkpoint.save_top_k=-1"] \
        if step == 205 else []
    run = launch([*RESUME_ARGS, *epochs, twice], data_dir, run_dir)
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == -signal.SIGINT, stderr[-2000:]
    assert "received SIGINT again: stopping at once, without a checkpoint" in stdout + stderr
    last = run_dir / "checkpoints" / "last.ckpt"
    lines = stderr.strip().splitlines()
    if step == 5:
        assert not last.exists()
        assert lines[-1] == ("no checkpoint was saved: the same command trains the run anew in its directory, its "
                             "files moved to attempts/")
    elif step == 105:
        assert torch.load(last, weights_only=False)["global_step"] == 100  # the first epoch's, kept
        assert lines[-2] == f"kept: {last}, saved before this step (at an earlier epoch's end or stop)."
        assert lines[-1].startswith("Resume with: python train.py ") and lines[-1].endswith(
            f"'{twice}' ckpt_path=last hydra.run.dir={run_dir}"), lines[-1]
    else:  # it said "no checkpoint was saved: the same command trains the run anew", which was then refused
        kept = run_dir / "checkpoints" / "epoch_001.ckpt"
        assert not last.exists() and kept.is_file()
        assert lines[-2] == f"kept: {kept}, saved before this step (at an earlier epoch's end or stop)."
        assert lines[-1].endswith(f"'{twice}' ckpt_path={kept} hydra.run.dir={run_dir}"), lines[-1]


@pytest.mark.slow  # ~14 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_sigterm_mid_epoch_then_resume_equals_uninterrupted_run(tmp_path, data_dir, train_in_process):
    reference_dir, interrupted_dir = tmp_path / "reference", tmp_path / "interrupted"
    # a real SIGTERM, sent by the training process to itself at step 123 (epoch 2, 23 steps in)
    killer = "+callbacks.sigterm={_target_:sigterm_at_step.SigtermAtStep,step:123}"
    run = launch([*RESUME_ARGS, killer], data_dir, interrupted_dir)
    reference = train_in_process(*RESUME_ARGS, f"hydra.run.dir={reference_dir}")  # meanwhile, in this process
    assert reference.returncode == 0, reference.stderr[-3000:]
    _, stderr = run.communicate(timeout=300)
    assert run.returncode == 128 + signal.SIGTERM, stderr[-2000:]
    assert (f"Resume with: python train.py data.source=bundled paths.data_dir={data_dir} "
            "trainer.enable_progress_bar=false seed=3 model.net.dropout=0.2 data.train_size=1000 data.batch_size=10 "
            "trainer.max_epochs=2 trainer.log_every_n_steps=5 optimizer=momentum scheduler=step scheduler.step_size=1 "
            f"'{killer}' ckpt_path=last hydra.run.dir={interrupted_dir}\n") in stderr  # the run's own command
    status = read_status(interrupted_dir)
    assert status["status"] == "interrupted"
    checkpoint = torch.load(interrupted_dir / "checkpoints" / "last.ckpt", weights_only=False)
    assert checkpoint["global_step"] == 124  # the step in flight when the signal came was finished
    assert checkpoint["loops"]["fit_loop"]["epoch_progress"]["current"]["completed"] == 1  # mid-epoch 2

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        silence_lightning_noise()  # what importing trainlab installs in a fresh interpreter
        resumed = train_in_process(*RESUME_ARGS, "ckpt_path=last", f"hydra.run.dir={interrupted_dir}")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    # Lightning's warning about the run's own checkpoint directory is not shown on resume
    assert not [w for w in caught if "exists and is not empty" in str(w.message)]
    expected, got = read_status(reference_dir), read_status(interrupted_dir)
    assert got["status"] == expected["status"] == "completed"
    assert got["metrics"] == expected["metrics"]  # bit-identical, every final metric
    # every epoch's points in TensorBoard, the resumed epoch's learning rate included (Lightning skips the
    # epoch-start hook of an epoch it resumes mid-way)
    for tag in ("train/lr", "train/acc", "val/acc_best"):
        assert tb_scalars(interrupted_dir, tag) == tb_scalars(reference_dir, tag), tag
    assert tb_scalars(reference_dir, "train/lr") == [(99, 0.01), (199, 0.005)]


def tb_scalars(run_dir: Path, tag: str) -> list[tuple[int, float]]:
    """(step, value) of every point, by step: a resumed run's points lie in a second event file, which TensorBoard
    reads first when both files were opened within one second (their names then differ only by process id)."""
    return sorted((event.step, round(event.value, 9)) for event in load_run(run_dir).Scalars(tag))


def test_a_resumed_run_keeps_the_best_validation_accuracy_of_the_epochs_before_it(train_in_process, tmp_path):
    run_dir = tmp_path / "run"
    args = ["data.train_size=200", "data.val_size=100", "data.batch_size=100", f"hydra.run.dir={run_dir}"]
    first = train_in_process(*args, "trainer.max_epochs=1")
    assert first.returncode == 0, first.stderr[-3000:]
    checkpoint_file = run_dir / "checkpoints" / "last.ckpt"
    checkpoint = torch.load(checkpoint_file, weights_only=False)  # as if an earlier epoch had validated at 0.99
    checkpoint["state_dict"]["val_acc_best.max_value"] = torch.tensor(0.99)
    torch.save(checkpoint, checkpoint_file)
    resumed = train_in_process(*args, "trainer.max_epochs=2", "ckpt_path=last")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    metrics = read_status(run_dir)["metrics"]
    assert metrics["val/acc"] < 0.5 and metrics["val/acc_best"] == pytest.approx(0.99)
    assert tb_scalars(run_dir, "val/acc_best")[-1] == (3, pytest.approx(0.99))
    # hparams.yaml is the resumed session's config, as .hydra/config.yaml is (it kept the first session's max_epochs)
    assert yaml.safe_load((run_dir / "hparams.yaml").read_text())["trainer"]["max_epochs"] == 2


def test_ckpt_path_last_without_checkpoint_is_a_clear_error(train_in_process, tmp_path):
    result = train_in_process("ckpt_path=last", f"hydra.run.dir={tmp_path / 'empty'}")
    assert result.returncode == 2
    assert f"ckpt_path=last: no checkpoint file at {tmp_path / 'empty' / 'checkpoints' / 'last.ckpt'}" in result.stderr


@pytest.mark.parametrize(("word", "said"), [
    ("best", " (to resume from the best epoch, give its file, checkpoints/epoch_<NNN>.ckpt; the word best is "
             "trainlab evaluate's --ckpt only)"),
    ("latest", "")])
@pytest.mark.parametrize("sweep", [[], ["-m", "seed=1,2"]], ids=["run", "sweep"])
def test_a_ckpt_path_word_other_than_last_says_what_is_allowed(train_in_process, tmp_path, word, said, sweep):
    """ckpt_path=best said only "no checkpoint file at best", as if a file named best were missing."""
    result = train_in_process(*sweep, "debug=limit", f"ckpt_path={word}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (f"error: ckpt_path={word}: no checkpoint file at {word}; allowed: a "
                                              f"checkpoint file, last or null{said}")
    assert not (tmp_path / "outputs").exists()


def test_a_checkpoint_not_where_it_is_looked_for_names_where_one_is(train_in_process, tmp_path):
    """ckpt_path=last without hydra.run.dir named a new timestamped directory; a directory as ckpt_path said only
    that there was no checkpoint file at it."""
    runs = tmp_path / "logs" / "runs"
    (runs / "old" / "checkpoints").mkdir(parents=True)
    (runs / "old" / "checkpoints" / "last.ckpt").write_bytes(b"x")
    result = train_in_process("ckpt_path=last", f"paths.log_dir={tmp_path / 'logs'}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith(
        f"(ckpt_path=last resumes the run in hydra.run.dir / hydra.sweep.dir; the newest run here with one: "
        f"hydra.run.dir={runs / 'old'})")
    assert sorted(p.name for p in runs.iterdir()) == ["old"]  # nothing written
    result = train_in_process(f"ckpt_path={runs / 'old'}", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.stderr.splitlines()[-1] == (
        f"error: ckpt_path={runs / 'old'}: no checkpoint file at {runs / 'old'}: it is a directory; did you mean "
        f"ckpt_path={runs / 'old' / 'checkpoints' / 'last.ckpt'}?")


@pytest.mark.parametrize("budget", ["trainer.max_steps=6", "trainer.max_epochs=1"])
@pytest.mark.slow  # ~4 s each on 2 cores (make test-slow; the default run stays ~4 min)
def test_resuming_a_completed_run_at_the_end_of_its_budget_is_refused_and_a_larger_budget_trains_on(
        train_in_process, tmp_path, budget):
    """Its own resume command pasted once more trained nothing, tested again and replaced status.json: its
    validation and training metrics and its objective were gone."""
    run_dir = tmp_path / "run"
    args = ["data.train_size=400", "data.batch_size=100", budget, f"hydra.run.dir={run_dir}"]
    assert train_in_process(*args).returncode == 0
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    again = train_in_process(*args, "ckpt_path=last")
    assert again.returncode == 2
    assert again.stderr.splitlines()[-1].startswith(f"error: ckpt_path=last: the run in {run_dir} completed, and the "
                                                    "checkpoint (step ")
    assert again.stderr.splitlines()[-1].endswith(
        "resuming it would train nothing and replace its status.json; nothing was written. allowed: a larger "
        "trainer.max_epochs or trainer.max_steps to train on from it, or trainlab evaluate "
        f"{run_dir} --ckpt {run_dir / 'checkpoints' / 'last.ckpt'} to test it again")
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before
    larger = "trainer.max_steps=10" if "steps" in budget else "trainer.max_epochs=2"
    longer = train_in_process(*[a for a in args if a != budget], larger, "ckpt_path=last")
    assert longer.returncode == 0, longer.stderr[-3000:]
    assert torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)["global_step"] in (8, 10)


def test_resumed_run_appends_to_its_metrics_csv(tmp_path):
    """Lightning's CSVLogger deletes an existing metrics.csv; a resumed run keeps its earlier rows."""
    first = ResumableCSVLogger(tmp_path, name="", version="")
    first.log_metrics({"train/loss": 2.0}, step=9)
    first.save()
    resumed = ResumableCSVLogger(tmp_path, name="", version="")
    resumed.log_metrics({"train/loss": 1.5}, step=19)
    resumed.log_metrics({"train/lr": 0.5}, step=19)  # a column the first run never wrote: the header widens
    resumed.save()
    rows = (tmp_path / "metrics.csv").read_text().splitlines()
    assert rows == ["step,train/loss,train/lr", "9,2.0,", "19,1.5,", "19,,0.5"]


# ---- files never half-written or overwritten --------------------------------------------------------------------
class ExplodingPickle:
    def __reduce__(self):
        raise OSError("disk full")


def test_failed_checkpoint_write_leaves_the_previous_checkpoint_intact(tmp_path):
    path = tmp_path / "last.ckpt"
    io = AtomicCheckpointIO()
    io.save_checkpoint({"weights": torch.arange(1000.0)}, path)
    before = path.read_bytes()
    with pytest.raises(OSError, match="disk full"):
        io.save_checkpoint({"weights": torch.arange(5000.0), "later": ExplodingPickle()}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]  # no temporary file left behind
    assert torch.equal(io.load_checkpoint(path)["weights"], torch.arange(1000.0))


def test_new_run_never_writes_into_an_existing_run_dir(make_cfg, tmp_path):
    out = tmp_path / "run"
    train(make_cfg("debug=limit", output_dir=out))
    status_before = (out / "status.json").read_bytes()
    with pytest.raises(RunDirInUseError, match=r"already holds a run .*nothing was overwritten"):
        train(make_cfg("debug=limit", "seed=5", output_dir=out))
    assert (out / "status.json").read_bytes() == status_before



def file_bytes(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_a_refused_run_leaves_the_earlier_runs_directory_byte_for_byte(train_in_process, tmp_path):
    run_dir = tmp_path / "run"
    first = train_in_process("debug=limit", "model.net.hidden_sizes=[20]", f"hydra.run.dir={run_dir}")
    assert first.returncode == 0, first.stderr[-3000:]
    before = file_bytes(run_dir)
    assert ".hydra/config.yaml" in before
    refused = train_in_process("debug=limit", f"hydra.run.dir={run_dir}")  # another config, the same directory
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith(f"error: output directory {run_dir} already holds a run")
    assert file_bytes(run_dir) == before  # .hydra/ and train.log included: Hydra was stopped before it wrote


def test_a_run_that_failed_without_a_checkpoint_leaves_its_directory_to_the_corrected_command(train_in_process,
                                                                                               tmp_path):
    run_dir = tmp_path / "run"
    # a refusal found once the run's files are written (its data of one's own, say)
    refuse = "+callbacks.refuse={_target_:failing_callback.RefuseWhen,value:1,refused:1}"
    failed = train_in_process("debug=limit", refuse, f"hydra.run.dir={run_dir}")
    assert failed.returncode == 2
    assert "error: value=1 is refused by the job's own data" in failed.stderr
    before = file_bytes(run_dir)
    corrected = train_in_process("debug=limit", "data.train_size=1000", f"hydra.run.dir={run_dir}")
    assert corrected.returncode == 0, corrected.stderr[-3000:]
    attempt = run_dir / "attempts" / "0"
    assert f"{run_dir} held a run that failed without a checkpoint; its files were moved to {attempt}" in (
        corrected.stderr)
    # the failed attempt, .hydra/ and train.log included, byte for byte; its event file renamed (no TensorBoard run)
    assert file_bytes(attempt) == {name.replace("tfevents", "attempt-events"): data for name, data in before.items()}
    assert any("attempt-events" in name for name in file_bytes(attempt))
    assert read_status(attempt)["status"] == "failed" and "value=1 is refused" in read_status(attempt)["error"]
    assert read_status(run_dir)["status"] == "completed"
    assert "data.train_size=1000" in (run_dir / ".hydra" / "overrides.yaml").read_text()
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()


def test_a_refusal_offers_ckpt_path_last_only_for_a_run_with_a_checkpoint(make_cfg, tmp_path):
    with_checkpoint, without = tmp_path / "with", tmp_path / "without"
    train(make_cfg("debug=limit", output_dir=with_checkpoint))
    train(make_cfg("debug=limit", "callbacks=none", output_dir=without))
    with pytest.raises(RunDirInUseError) as refused:
        train(make_cfg("debug=limit", output_dir=with_checkpoint))
    assert "nothing was overwritten. Resume that run with ckpt_path=last hydra.run.dir=" in str(refused.value)
    with pytest.raises(RunDirInUseError) as refused:
        train(make_cfg("debug=limit", output_dir=without))
    assert "ckpt_path" not in str(refused.value)
    assert str(refused.value).endswith("nothing was overwritten. Start a new run in a new directory.")
    (without / "status.json").write_text((without / "status.json").read_text().replace('"completed"', '"failed"'))
    (without / "attempts" / "3").mkdir(parents=True)  # an earlier attempt kept, others deleted by the user
    train(make_cfg("debug=limit", output_dir=without))  # a failed run without a checkpoint: its files set aside
    assert read_status(without / "attempts" / "4")["status"] == "failed"  # after the highest number there
    assert read_status(without)["status"] == "completed"
    # a failed run that left a checkpoint has something to resume: refused, with the resume offered
    (with_checkpoint / "status.json").write_text(
        (with_checkpoint / "status.json").read_text().replace('"completed"', '"failed"'))
    with pytest.raises(RunDirInUseError, match="Resume that run with ckpt_path=last"):
        train(make_cfg("debug=limit", output_dir=with_checkpoint))
    assert not (with_checkpoint / "attempts").exists()


def test_a_failed_run_that_cannot_be_set_aside_is_refused_before_hydra_writes(train_in_process, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "status.json").write_text('{"status": "failed", "overrides": [], "metrics": {}}')
    (run_dir / "attempts").write_text("a file in the way")
    refused = train_in_process("debug=limit", f"hydra.run.dir={run_dir}")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith(
        f"error: {run_dir}: cannot move the earlier attempt to {run_dir / 'attempts'}: File exists; nothing was "
        "overwritten")
    assert sorted(p.name for p in run_dir.iterdir()) == ["attempts", "status.json"]  # no .hydra/, no train.log


def test_of_two_commands_taking_a_failed_run_over_at_once_the_second_is_refused(tmp_path, monkeypatch):
    from trainlab.run_dir import set_attempt_aside

    (tmp_path / "status.json").write_text('{"status": "failed"}')

    def renamed_by_the_other(source, target):  # the other command's rename of status.json came first
        raise FileNotFoundError(source)

    monkeypatch.setattr("trainlab.run_dir.os.rename", renamed_by_the_other)
    with pytest.raises(RunDirInUseError, match="another command took this directory over at the same time"):
        set_attempt_aside(tmp_path)
    assert list((tmp_path / "attempts").iterdir()) == []  # no empty attempt left behind


@pytest.mark.parametrize("content", ['{"status": "fail', "null", "[]"])
def test_an_unreadable_status_json_is_refused_as_a_run_and_left_untouched(train_in_process, tmp_path, content):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "status.json").write_text(content)
    refused = train_in_process("debug=limit", f"hydra.run.dir={run_dir}")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1] == (
        f"error: output directory {run_dir} already holds a run (status.json); nothing was overwritten. Start a new "
        "run in a new directory.")  # a single run's directory: no sweep to finish
    assert sorted(p.name for p in run_dir.iterdir()) == ["status.json"]  # no .hydra/, no train.log


def test_a_sweep_jobs_directory_is_refused_naming_its_sweep_to_finish(tmp_path):
    """The refusal told every run's directory "or finish an interrupted sweep with resume_sweep=true
    hydra.sweep.dir=<its dir>", a single run's and a diverged one's too; a job's now names its sweep."""
    from trainlab.run_dir import check_run_dir_free

    job = tmp_path / "sweep" / "0_seed=1"
    job.mkdir(parents=True)
    (job / "status.json").write_text('{"status": "completed"}')
    (tmp_path / "sweep" / "multirun.yaml").write_text("hydra: {}\n")
    with pytest.raises(RunDirInUseError) as refused:
        check_run_dir_free(job, resuming_checkpoint=False)
    assert str(refused.value) == (
        f"output directory {job} already holds a run (status.json); nothing was overwritten. Start a new run in a new "
        f"directory, or finish its sweep with resume_sweep=true hydra.sweep.dir={tmp_path / 'sweep'}.")


def test_a_config_error_in_a_single_run_writes_nothing(train_in_process, tmp_path):
    run_dir = tmp_path / "never"
    result = train_in_process("debug=limit", "optimizer.lr=-0.1", f"hydra.run.dir={run_dir}")
    assert result.returncode == 2
    assert (result.stderr.strip().splitlines()[-1]
            == "error: optimizer.lr=-0.1 is invalid; allowed: a finite number >= 0.0")
    assert not run_dir.exists()

# ---- data errors ------------------------------------------------------------------------------------------------
@pytest.mark.slow  # ~4 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_corrupt_cache_is_rebuilt_not_trusted(tmp_path, data_dir, caplog):
    splits = load_bundled_mnist(data_dir)
    cache = tmp_path / CACHE_NAME
    shutil.copyfile(data_dir / CACHE_NAME, cache)  # a valid cache, built once for the session
    data = bytearray(cache.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip one byte inside the tensors
    cache.write_bytes(bytes(data))
    rebuilt = load_bundled_mnist(tmp_path)
    assert f"MNIST cache {cache} is unreadable or corrupt" in caplog.text
    assert all(torch.equal(a, b) for name in splits for a, b in zip(splits[name], rebuilt[name], strict=True))
    caplog.clear()
    load_bundled_mnist(tmp_path)  # the rebuilt cache is valid again
    assert "corrupt" not in caplog.text


@pytest.mark.slow  # ~4 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_unreadable_cache_is_rebuilt(tmp_path, caplog):
    (tmp_path / CACHE_NAME).write_bytes(b"not a torch file")
    splits = load_bundled_mnist(tmp_path)
    assert splits["train"][0].shape == (4000, 784)
    assert "is unreadable or corrupt" in caplog.text


def test_truncated_idx_file_is_named_and_exits_2(train_in_process, tmp_path):
    from test_data import write_tiny_mnist

    write_tiny_mnist(tmp_path / "tv")
    labels = tmp_path / "tv" / "MNIST" / "raw" / "train-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:-7])
    result = train_in_process("data.source=torchvision", f"paths.data_dir={tmp_path / 'tv'}", "data.val_size=10",
                              "data.download=false")
    assert result.returncode == 2
    assert f"error: MNIST file {labels} is 61 bytes but its header (60,) needs 68 bytes" in result.stderr


def test_status_json_is_complete_json(make_cfg, tmp_path):
    train(make_cfg("debug=limit", output_dir=tmp_path / "s"))
    payload = json.loads((tmp_path / "s" / "status.json").read_text())
    assert payload["status"] == "completed" and payload["wall_time_s"] > 0
    assert payload["data_source"] == "bundled"
    assert set(payload["metrics"]) >= {"train/loss", "val/acc", "test/acc"}
    # float32 metrics with the fewest digits that read back as the same float32: 2 batches of 100 images
    assert payload["metrics"]["val/acc"] == round(payload["metrics"]["val/acc"], 3)  # k / 200, not 0.43500000238...
    assert all(float(str(np.float32(value))) == value for value in payload["metrics"].values())


def test_under_torchrun_only_rank_0_checks_the_run_dir_and_the_other_ranks_write_no_hydra_files(
        train_in_process, tmp_path, monkeypatch):
    from hydra import compose, initialize_config_dir
    from omegaconf import open_dict

    from trainlab.preflight import check_single_run, leave_hydra_files_to_rank_0

    run_dir = tmp_path / "run"
    assert train_in_process("debug=limit", f"hydra.run.dir={run_dir}").returncode == 0
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        config = compose("train", overrides=["debug=limit", f"hydra.run.dir={run_dir}"], return_hydra_config=True)
    with open_dict(config):
        config.hydra.runtime.output_dir = str(run_dir)
    with pytest.raises(RunDirInUseError, match="already holds a run"):
        check_single_run(config)  # rank 0 (no RANK variable): the directory is refused
    monkeypatch.setenv("RANK", "1")  # a later rank may find rank 0's first files there: it leaves the check to rank 0
    check_single_run(config)
    assert leave_hydra_files_to_rank_0(["train.py", "x=1"]) == ["train.py", "x=1", "hydra.output_subdir=null"]
    monkeypatch.setenv("RANK", "0")
    assert leave_hydra_files_to_rank_0(["train.py", "x=1"]) == ["train.py", "x=1"]


def test_a_job_resume_sweep_skips_returns_this_sweeps_optimized_metric_from_its_recorded_metrics(tmp_path, caplog):
    """The objective a completed job recorded was its own sweep's; a resume (or a second study in the directory)
    that optimises another metric gets that metric's recorded value, not the old objective."""
    from trainlab.run_dir import SkippedJob, job_to_skip
    from trainlab.run_status import write_status

    write_status(tmp_path, "completed", ["optimizer.lr=0.1"], {"val/acc": 0.9, "val/loss": 0.3}, 0.9, 1.0)
    assert job_to_skip(tmp_path, ["optimizer.lr=0.1"], [], "val/acc", 0.0) == SkippedJob("completed", 0.9)
    assert job_to_skip(tmp_path, ["optimizer.lr=0.1", "optimized_metric=val/loss"],
                       ["optimized_metric"], "val/loss", 0.0) == SkippedJob("completed", 0.3)
    assert job_to_skip(tmp_path, ["optimizer.lr=0.1"], [], None, 0.0) == SkippedJob("completed", None)
    assert job_to_skip(tmp_path, ["optimizer.lr=0.1"], [], "val/accuracy", 0.0) == SkippedJob("completed", None)
    assert "completed before without logging optimized_metric='val/accuracy' (it logged val/acc, val/loss)" in (
        caplog.text)


def test_an_attempt_set_aside_takes_its_named_loggers_folder_and_is_no_tensorboard_run(tmp_path):
    """An attempt's event files kept under attempts/<n>/ were TensorBoard runs and HPARAMS rows of their own beside
    the jobs; a logger named per job (logger.tensorboard.name=lr_0.1) left its folder in the job for the re-run to
    append to."""
    from tensorboard.backend.event_processing.io_wrapper import GetLogdirSubdirectories

    from trainlab.logger_dirs import logger_dirs
    from trainlab.run_dir import set_attempt_aside

    job = tmp_path / "0_optimizer.lr=0.1"
    for name in (".hydra/config.yaml", "train.log", "status.json", "checkpoints/last.ckpt",
                 "events.out.tfevents.1.host.7.0", "lr_0.1/events.out.tfevents.2.host.7.1", "lr_0.1/hparams.yaml"):
        (job / name).parent.mkdir(parents=True, exist_ok=True)
        (job / name).write_text(name)
    assert logger_dirs(job) == [job, job / "lr_0.1"]
    assert set_attempt_aside(job) == job / "attempts" / "0"
    assert sorted(p.relative_to(job).as_posix() for p in job.rglob("*") if p.is_file()) == [
        ".hydra/config.yaml", "attempts/0/checkpoints/last.ckpt", "attempts/0/events.out.attempt-events.1.host.7.0",
        "attempts/0/lr_0.1/events.out.attempt-events.2.host.7.1", "attempts/0/lr_0.1/hparams.yaml",
        "attempts/0/status.json", "train.log"]
    assert (job / "attempts" / "0" / "lr_0.1" / "events.out.attempt-events.2.host.7.1").read_text() == \
        "lr_0.1/events.out.tfevents.2.host.7.1"  # renamed, not rewritten
    assert logger_dirs(job) == [] and list(GetLogdirSubdirectories(str(tmp_path))) == []


@pytest.mark.slow  # ~4 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_refused_resume_names_overrides_that_fit_it_and_keep_this_commands_budget(train_in_process, tmp_path):
    """The hint gave the overrides of the session that wrote the checkpoint: pasted, its budget - reached - was
    refused in turn, and what else the command changed on purpose was lost. Now: this command's overrides, the
    checkpoint's values in place of those that differ - the run's start (init, seed) and its batches included."""
    run_dir = tmp_path / "run"
    args = ["data.train_size=200", "data.val_size=100", f"hydra.run.dir={run_dir}"]
    assert train_in_process(*args, "data.batch_size=50", "trainer.max_epochs=1").returncode == 0
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    changed = ["data.batch_size=40", "optimizer.lr=0.1", "init=normal", "seed=7", "data.seed=3"]
    refused = train_in_process(*args, *changed, "trainer.max_epochs=2", "ckpt_path=last")
    assert refused.returncode == 2, refused.stderr[-3000:]
    line = refused.stderr.splitlines()[-1]
    assert line.startswith(
        f"error: ckpt_path=last ({run_dir / 'checkpoints' / 'last.ckpt'}) does not fit this run: optimizer.lr 0.01 "
        "in the checkpoint, 0.1 in the config; init._target_ trainlab.init.he.he_init in the checkpoint, "
        "trainlab.init.normal.normal_init in the config; seed 0 in the checkpoint, 7 in the config; data.batch_size "
        "50 in the checkpoint, 40 in the config (and 1 more); resume it with the overrides that fit it (")
    fix = line.partition("resume it with the overrides that fit it (")[2].partition("), or evaluate it")[0]
    # this command's budget, not the checkpoint's 1; init=he, the default the checkpoint's run had, by name
    assert fix.endswith("data.train_size=200 data.val_size=100 data.batch_size=50 init=he optimizer.lr=0.01 seed=0 "
                        "data.seed=0 trainer.max_epochs=2")
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before

    followed = train_in_process(*shlex.split(fix), "ckpt_path=last", f"hydra.run.dir={run_dir}")
    assert followed.returncode == 0, followed.stderr[-3000:]
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["global_step"] == 8  # two epochs of 4 batches of 50


@pytest.mark.slow  # ~5 s on 2 cores, the Intel Xeon VM (make test-slow; the default run stays short)
def test_a_resume_that_neither_fits_nor_has_budget_left_names_the_fit_and_the_budget_it_needs(train_in_process,
                                                                                              tmp_path):
    """The fit is checked first: a checkpoint that does not fit is unusable whatever the budget (refused for its
    budget first, the user raised it only to learn the checkpoint did not fit). Its refusal suggests overrides that
    keep this command's budget: where that budget is used up, it names the budget they need too, or pasting them
    was refused in turn; with a larger one, the suggested overrides resume the run."""
    run_dir = tmp_path / "run"
    args = ["debug=limit", f"hydra.run.dir={run_dir}"]
    assert train_in_process(*args).returncode == 0
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    refused = train_in_process(*args, "optimizer=adam", "ckpt_path=last")
    assert refused.returncode == 2
    ckpt = run_dir / "checkpoints" / "last.ckpt"
    line = refused.stderr.splitlines()[-1]
    assert line.startswith(
        f"error: ckpt_path=last ({ckpt}) does not fit this run: optimizer._target_ trainlab.optim.sgd.SGD in the "
        "checkpoint, trainlab.optim.adam.Adam in the config; resume it with the overrides that fit it (")
    assert line.endswith(  # the test harness's own overrides (data and output paths) come before these
        " debug=limit optimizer=sgd) and a larger trainer.max_epochs or trainer.max_steps (the checkpoint, step 10, "
        f"epoch 2, is at the end of this config's budget), or evaluate it: trainlab evaluate {run_dir} --ckpt {ckpt}")
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before
    refused = train_in_process(*args, "optimizer=adam", "trainer.max_epochs=3", "ckpt_path=last")
    line = refused.stderr.splitlines()[-1]
    fix = line.partition("resume it with the overrides that fit it (")[2].partition("), or evaluate it")[0]
    assert fix.endswith("debug=limit optimizer=sgd trainer.max_epochs=3")
    assert train_in_process(*shlex.split(fix), "ckpt_path=last", f"hydra.run.dir={run_dir}").returncode == 0


def test_a_diverged_runs_checkpoint_is_not_resumed_and_its_directory_is_not_offered_for_a_resume(
        train_in_process, tmp_path):
    """A resume of a diverged run (its last.ckpt: the NaN weights of the step that diverged) trained on NaN weights
    to its new budget, logged NaN losses, rewrote status.json and ended 'diverged' naming the first session's step;
    and the refusal of a new run in that directory offered 'Resume that run with ckpt_path=last'."""
    run_dir = tmp_path / "run"
    args = ["debug=limit", "optimizer.lr=1000", f"hydra.run.dir={run_dir}"]
    assert train_in_process(*args).returncode == 3  # diverged
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    ckpt = run_dir / "checkpoints" / "last.ckpt"
    step = torch.load(ckpt, weights_only=True)["global_step"]
    refused = train_in_process(*args, "trainer.max_epochs=3", "ckpt_path=last")
    assert refused.returncode == 2
    assert refused.stderr.splitlines()[-1] == (
        f"error: ckpt_path=last: the checkpoint (step {step}, epoch 0 and {step} batches of the next) holds NaN/Inf "
        "weights (net.0.weight): the "
        "run that saved it diverged, and training on from them trains nothing; nothing was written. allowed: a new "
        "run, without ckpt_path, in a new hydra.run.dir and with settings that keep the loss finite (a smaller "
        f"optimizer.lr, another init or seed), or trainlab evaluate {run_dir} --ckpt {ckpt} to test it")
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before
    anew = train_in_process("debug=limit", f"hydra.run.dir={run_dir}")
    assert anew.returncode == 2
    line = anew.stderr.splitlines()[-1]
    assert "nothing was overwritten. Start a new run in a new directory" in line and "ckpt_path=last" not in line


def test_a_completed_runs_checkpoint_past_a_smaller_budget_is_said_to_be_past_it(train_in_process, tmp_path):
    run_dir = tmp_path / "run"
    assert train_in_process("debug=limit", f"hydra.run.dir={run_dir}").returncode == 0  # 2 epochs
    refused = train_in_process("debug=limit", "trainer.max_epochs=1", "ckpt_path=last", f"hydra.run.dir={run_dir}")
    assert refused.returncode == 2
    assert ("completed, and the checkpoint (step 10, epoch 2) is past this config's budget (trainer.max_epochs=1"
            in refused.stderr.splitlines()[-1])


@pytest.mark.slow  # ~2.5 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_a_checkpoint_of_another_run_is_checked_for_its_network_before_the_budget_and_sent_to_that_run(
        train_in_process, tmp_path):
    """Resumed into a new directory with a smaller budget and another network, it was refused for the budget first
    (the user raised it only to learn the network did not fit), and that refusal offered ``trainlab evaluate
    <the new directory>``, which does not exist: the network is checked first, and both refusals name the run that
    wrote the checkpoint."""
    trained, new = tmp_path / "i2", tmp_path / "a1"
    assert train_in_process("debug=limit", f"hydra.run.dir={trained}").returncode == 0  # 2 epochs, step 10
    ckpt = trained / "checkpoints" / "last.ckpt"
    args = ["debug=limit", "trainer.max_epochs=1", f"ckpt_path={ckpt}", f"hydra.run.dir={new}"]
    refused = train_in_process(*args, "model.net.hidden_sizes=[50]")
    assert refused.returncode == 2
    line = refused.stderr.splitlines()[-1]
    assert line.startswith(
        f"error: ckpt_path={ckpt} does not fit this run: model.net.hidden_sizes [100, 100, 100, 100] in the "
        "checkpoint, [50] in the config; resume it with the overrides that fit it (")
    assert line.endswith(  # this command's budget kept, and the one the resume needs named
        " debug=limit trainer.max_epochs=1 'model.net.hidden_sizes=[100,100,100,100]') and the budget the run was "
        "started with or a larger one (the checkpoint, step 10, epoch 2, is past this config's budget), or evaluate "
        f"it: trainlab evaluate {trained} --ckpt {ckpt}")
    refused = train_in_process(*args)
    assert refused.returncode == 2
    assert refused.stderr.splitlines()[-1] == (
        f"error: ckpt_path={ckpt}: the checkpoint (step 10, epoch 2) is past this config's budget "
        "(trainer.max_epochs=1, trainer.max_steps=-1): there is nothing left to train from it, and Lightning refuses "
        "such a resume; nothing was written. allowed: the budget the run was started with or a larger one, or "
        f"trainlab evaluate {trained} --ckpt {ckpt} to test it")
    assert not new.exists()


@pytest.mark.slow  # ~4 s on 2 cores, the Intel Xeon VM (make test-slow; the default run stays short)
def test_an_interrupted_runs_checkpoint_past_the_budget_is_refused_in_one_line(train_in_process, tmp_path):
    """Resumed with a smaller budget than its checkpoint had reached, an interrupted or killed run got Lightning's
    MisconfigurationException (exit 1) and its status.json said 'failed'; at its budget's end it still tests."""
    run_dir = tmp_path / "run"
    args = ["debug=limit", f"hydra.run.dir={run_dir}"]
    assert train_in_process(*args).returncode == 0  # 2 epochs
    status = run_dir / "status.json"
    status.write_text(status.read_text().replace('"completed"', '"interrupted"'))  # as a stopped run leaves it
    before = status.read_bytes()
    refused = train_in_process(*args, "trainer.max_epochs=1", "ckpt_path=last")
    assert refused.returncode == 2, refused.stderr[-3000:]
    line = refused.stderr.splitlines()[-1]
    assert line.startswith("error: ckpt_path=last: the checkpoint (step ") and ", epoch 2) is past " in line
    assert line.endswith(
        "this config's budget (trainer.max_epochs=1, trainer.max_steps=-1): there is nothing left to train from it, "
        "and Lightning refuses such a resume; nothing was written. allowed: the budget the run was started with or a "
        f"larger one, or trainlab evaluate {run_dir} --ckpt {run_dir / 'checkpoints' / 'last.ckpt'} to test it")
    assert status.read_bytes() == before
    assert train_in_process(*args, "ckpt_path=last").returncode == 0  # its own budget: the test it had left


def test_a_run_refused_once_its_data_is_known_leaves_no_run_directory(train_in_process, tmp_path):
    """A batch that 3 processes cannot share is known once the data source is (``data.source=auto`` falls back to
    the bundled sample), after Hydra made the run directory with .hydra/ and train.log: the refused command removes
    the directory it made for nothing."""
    run_dir = tmp_path / "outputs" / "refused"
    result = train_in_process("data.source=bundled", "trainer.devices=3", f"hydra.run.dir={run_dir}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: data.train_size=4000 with data.batch_size=100 per process on trainer.devices=3")
    assert not run_dir.exists()


def test_a_refused_run_keeps_a_run_directory_that_was_there_before(train_in_process, tmp_path):
    run_dir = tmp_path / "mine"
    run_dir.mkdir()
    (run_dir / "notes.log").write_text("mine\n")  # a file Hydra's could be taken for
    result = train_in_process("data.source=bundled", "trainer.devices=3", f"hydra.run.dir={run_dir}")
    assert result.returncode == 2
    assert (run_dir / "notes.log").read_text() == "mine\n"  # the user's directory: nothing of it removed
    assert sorted(path.name for path in run_dir.iterdir()) == ["notes.log"]  # and none of what the refusal wrote


def test_a_refused_multirun_after_a_finished_run_in_the_same_process_leaves_that_run_alone(train_in_process,
                                                                                          tmp_path):
    """The directory a run made is forgotten when the run ends: a later refused command in the same process (tests,
    a launcher that runs jobs in-process) removed the earlier run's directory where it held only Hydra's files."""
    run_dir = tmp_path / "outputs" / "run"
    assert train_in_process("debug=limit", "trainer.max_epochs=1", f"hydra.run.dir={run_dir}").returncode == 0
    for path in run_dir.iterdir():  # only Hydra's files left, as after a run stopped during its start-up
        if path.name not in (".hydra", "train.log"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    refused = train_in_process("-m", "optimizer.lr=0.1,-1", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert refused.returncode == 2
    assert (run_dir / ".hydra" / "config.yaml").is_file() and (run_dir / "train.log").is_file()


def test_a_callback_the_config_lacks_set_by_its_key_names_the_option_that_builds_it(train_in_process, tmp_path):
    """It was a ValueError traceback once Hydra had written the run directory."""
    run_dir = tmp_path / "outputs" / "run"
    result = train_in_process("+callbacks.early_stopping.patience=5", f"hydra.run.dir={run_dir}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith(
        "allowed: callbacks=early_stopping, whose config builds it, or a whole entry with its _target_ "
        "('+callbacks.early_stopping={_target_: <class>, ...}')")
    assert not run_dir.exists()
