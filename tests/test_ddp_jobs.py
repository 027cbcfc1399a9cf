"""DDP jobs (``trainer.devices > 1``): sharded data, the same numbers as one process, one directory per job, resume,
signals, failing ranks, SLURM's variables and the errors that stop a job before it starts.

The runs use 2 CPU processes talking through gloo (``trainer=ddp``), short budgets and the bundled sample.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import ROOT, TRAIN_PY, restored_logging, train_command
from omegaconf import open_dict
from tb_events import scalar_values

from trainlab.data.tensor_batch_loader import TensorBatchLoader, uneven_last_batch
from trainlab.distributed.process_world import external_launcher, process_rank
from trainlab.errors import ConfigError
from trainlab.train import train


@pytest.fixture(autouse=True)
def rank_processes_import_the_test_helpers(monkeypatch):
    """The DDP ranks are new interpreters: the callbacks of tests/ must be importable there too."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT / "tests"), os.environ.get("PYTHONPATH")])))


SHORT = ["trainer.max_steps=12", "trainer.max_epochs=-1", "data.train_size=768", "data.val_size=200",
         "trainer.log_every_n_steps=2", "callbacks.progress_bar=null"]


def net_state(run_dir: Path) -> dict[str, torch.Tensor]:
    state = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    return {name: value for name, value in state.items() if name.startswith("net.")}


def status(run_dir: Path) -> dict:
    return json.loads((run_dir / "status.json").read_text())


# ---- the sharded loader ---------------------------------------------------------------------------------------
def test_the_ranks_shares_of_each_step_make_up_the_single_process_batch():
    x, y = torch.arange(100.0).unsqueeze(1), torch.arange(100)
    whole = TensorBatchLoader(x, y, batch_size=20, shuffle=True, seed=4)
    ranks = [TensorBatchLoader(x, y, batch_size=10, shuffle=True, seed=4, rank=r, world_size=2) for r in range(2)]
    for epoch in range(2):
        for loader in [whole, *ranks]:
            loader.set_epoch(epoch)
        assert len(ranks[0]) == len(ranks[1]) == len(whole) == 5
        for (_, wy), (x0, y0), (x1, y1) in zip(whole, *ranks, strict=True):
            assert x0.shape == x1.shape == (10, 1)
            assert torch.equal(torch.cat([y0, y1]), wy)  # rank 0 the first half, rank 1 the second, same order


def test_validation_shards_cover_every_sample_exactly_once():
    x, y = torch.arange(105.0).unsqueeze(1), torch.arange(105)
    seen = [torch.cat([b for _, b in TensorBatchLoader(x, y, batch_size=16, rank=r, world_size=2)]) for r in range(2)]
    assert [len(s) for s in seen] == [53, 52]
    assert torch.equal(torch.cat(seen), y)


def test_uneven_last_batch_finds_the_global_batches_that_cannot_be_shared_equally():
    assert uneven_last_batch(4000, 64, 2) is None      # last global batch of 32 = 16 + 16
    assert uneven_last_batch(4001, 64, 2) == 33
    assert uneven_last_batch(4000, 100, 3) == 100       # 4000 % 300 = 100, not a multiple of 3
    assert uneven_last_batch(3900, 100, 3) is None


# ---- errors before anything starts ------------------------------------------------------------------------------
def test_a_train_size_whose_last_global_batch_cannot_be_shared_is_one_config_error(make_cfg, tmp_path):
    cfg = make_cfg("trainer=ddp", "data.batch_size=64", "data.train_size=4001", "data.val_size=100")
    with pytest.raises(ConfigError) as error:
        train(cfg)
    assert str(error.value) == (
        "data.train_size=4001 with data.batch_size=64 per process on trainer.devices=2 leaves a last global batch of "
        "33 samples, which 2 processes cannot share equally; allowed: a data.train_size that is a multiple of 2 "
        "(nearest: data.train_size=4000 or 4002)")
    assert not (tmp_path / "run").exists() or not any((tmp_path / "run").iterdir())


@pytest.mark.parametrize(("overrides", "allowed"), ids=["tie", "below_nearer", "above_beyond_the_pool",
                                                         "nearer_above_beyond_the_pool", "none_fits"], argvalues=[
    # 1024 and 1026 both share equally and are as near: both are named
    (["data.train_size=1025"], "a multiple of 2 (nearest: data.train_size=1024 or 1026)"),
    # 3 processes: 4000 is 1 above 3999 and 2 below 4002
    (["trainer.devices=3", "data.train_size=4000", "data.val_size=100"], "a multiple of 3 (nearest: "
                                                                         "data.train_size=3999)"),
    # the rest of the bundled pool of 4,500 beside 501 validation images is 3999: 4000 would not fit, 3998 does
    (["data.val_size=501"], "a multiple of 2 (nearest that fits: data.train_size=3998; the pool holds at most 3999 "
                            "training images beside the validation split, not 4000)"),
    # 4002 is nearer to 4001 than 3999 but would leave 498 of the 500 images for a validation split of 499
    (["trainer.devices=3", "data.train_size=4001", "data.val_size=499"],
     "a multiple of 3 (nearest that fits: data.train_size=3999; the pool holds at most 4001 training images beside "
     "the validation split, not 4002)"),
    (["data.train_size=1", "data.val_size=4499"], "a multiple of 2 (none fits: the pool holds at most 1 training "
                                                  "image beside the validation split; lower data.val_size)"),
])
def test_a_refused_train_size_names_the_nearest_one_that_shares_and_fits_the_pool(make_cfg, overrides, allowed):
    with pytest.raises(ConfigError) as error:
        train(make_cfg("trainer=ddp", *overrides))
    assert str(error.value).endswith(f"processes cannot share equally; allowed: a data.train_size that is {allowed}")


@pytest.mark.parametrize(("overrides", "message"), [
    (["+trainer.num_nodes=2"], "trainer.num_nodes=2 needs one process per device on each node, started by a cluster "
                              "launcher; allowed: trainer.num_nodes=1 here, or hydra/launcher=submitit_slurm"),
    (["trainer.strategy=fsdp"], "trainer.strategy='fsdp' is invalid; allowed: one of auto, ddp, ddp_spawn"),
    (["trainer.devices=0"], "trainer.devices=0 is invalid; allowed: a number of devices N >= 1"),
])
def test_what_cannot_run_as_ddp_is_one_line_and_exit_status_2(train_in_process, tmp_path, overrides, message):
    result = train_in_process("trainer=ddp", *overrides, f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    line = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(line) == 1 and message in line[0], result.stderr
    assert not list((tmp_path / "run").glob("*.tfevents*")) and not (tmp_path / "run" / "status.json").exists()


def test_more_gpus_than_present_is_a_config_error(make_cfg, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(ConfigError, match=r"trainer.devices=4 asks for more GPUs than the 2 present; allowed: at "
                                          r"most 2 devices, indices 0..1"):
        train(make_cfg("trainer=ddp", "trainer.accelerator=gpu", "trainer.devices=4"))


# ---- SLURM: the variables Lightning reads for a job whose tasks are its processes -------------------------------
SLURM_TASK = {"SLURM_NTASKS": "2", "SLURM_PROCID": "1", "SLURM_LOCALID": "1", "SLURM_NODEID": "0",
              "SLURM_JOB_NAME": "train", "SLURM_JOB_ID": "4242", "SLURM_NODELIST": "node7",
              "SLURM_NTASKS_PER_NODE": "2"}


def test_a_slurm_task_is_a_rank_started_by_the_cluster(monkeypatch):
    for name in ("LOCAL_RANK", "RANK", "TORCHELASTIC_RUN_ID", "GROUP_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert external_launcher() is None and process_rank() == 0
    for name, value in SLURM_TASK.items():
        monkeypatch.setenv(name, value)
    assert external_launcher() == "SLURM" and process_rank() == 1
    from lightning.fabric.plugins.environments import SLURMEnvironment

    environment = SLURMEnvironment()
    assert (environment.global_rank(), environment.local_rank(), environment.world_size()) == (1, 1, 2)


def test_a_slurm_job_with_the_wrong_number_of_tasks_is_a_config_error(make_cfg, monkeypatch):
    for name, value in {**SLURM_TASK, "SLURM_NTASKS": "4", "SLURM_PROCID": "0"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=r"trainer.devices=2 x trainer.num_nodes=1 = 2 DDP processes, but this "
                                          r"SLURM job has SLURM_NTASKS=4 tasks; allowed: one task per device, "
                                          r"hydra.launcher.tasks_per_node=2"):
        train(make_cfg("trainer=ddp"))


# ---- training: the same numbers as one process with the global batch --------------------------------------------
def ddp_run(make_cfg, tmp_path: Path, name: str, *overrides: str) -> Path:
    run_dir = tmp_path / name
    train(make_cfg(*SHORT, *overrides, output_dir=run_dir))
    return run_dir


@pytest.mark.parametrize(("trainer", "optimizer"), [
    ("ddp", "sgd"),
    pytest.param("ddp_spawn", "adam", marks=pytest.mark.slow),
    pytest.param("ddp", "adam", marks=pytest.mark.slow),
    pytest.param("ddp_spawn", "sgd", marks=pytest.mark.slow),
])
@pytest.mark.slow  # ~22 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_two_processes_of_batch_64_train_as_one_process_of_batch_128(make_cfg, train_in_process, tmp_path, trainer,
                                                                    optimizer):
    alone = ddp_run(make_cfg, tmp_path, "alone", f"optimizer={optimizer}", "data.batch_size=128")
    ddp = tmp_path / "ddp"
    result = train_in_process(f"trainer={trainer}", *SHORT, f"optimizer={optimizer}", "data.batch_size=64",
                              f"hydra.run.dir={ddp}")
    assert result.returncode == 0, result.stderr[-3000:]
    one, two = net_state(alone), net_state(ddp)
    assert one.keys() == two.keys()
    for name in one:
        torch.testing.assert_close(two[name], one[name], rtol=1e-4, atol=1e-5, msg=name)
    assert torch.load(ddp / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 12
    for metric in ("val/acc", "val/loss", "test/acc", "train/acc"):
        assert status(ddp)["metrics"][metric] == pytest.approx(status(alone)["metrics"][metric], abs=1e-4), metric
    logged_alone, logged_ddp = scalar_values(alone, "train/loss"), scalar_values(ddp, "train/loss")
    assert len(logged_ddp) == len(logged_alone) == 6
    assert logged_ddp == pytest.approx(logged_alone, abs=1e-4)  # the mean over both processes' shares

    # one job, one directory, written by rank 0: the layout of a run in one process, and no other run anywhere
    events = sorted(p.name for p in ddp.glob("events.out.tfevents*"))
    assert len({name.split(".")[-2] for name in events}) == 1  # one writer: the file names end in <pid>.<n>
    assert sorted(p.name for p in tmp_path.rglob("events.out.tfevents*")) == sorted(
        events + [p.name for p in alone.glob("events.out.tfevents*")])
    assert sorted(p.name for p in ddp.iterdir()) == sorted(
        [".hydra", "checkpoints", "hparams.yaml", "status.json", *events, "train.log"])
    assert sorted(p.name for p in (ddp / "checkpoints").iterdir()) == ["last.ckpt"]
    assert sorted(p.name for p in (ddp / ".hydra").iterdir()) == ["config.yaml", "hydra.yaml", "overrides.yaml"]
    assert [p.parent for p in tmp_path.rglob("config.yaml")] == [ddp / ".hydra"]
    log = (ddp / "train.log").read_text()
    assert "training with 2 DDP processes (cpu)" in log
    assert "global batch 128 = 64 per process x 2" in log


# ---- failures and signals ---------------------------------------------------------------------------------------
@pytest.mark.slow  # ~19 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_failing_rank_fails_the_job_without_hanging_the_other(make_cfg, tmp_path):
    cfg = make_cfg("trainer=ddp", *SHORT)
    with open_dict(cfg):
        cfg.callbacks.fail = {"_target_": "failing_callback.FailAtStepOnRank", "step": 3, "rank": 1}
    from trainlab.distributed.rank_processes import RankFailed

    with pytest.raises(RankFailed, match=r"DDP rank 1 of 2: RuntimeError: simulated crash at step 3"):
        train(cfg)
    recorded = status(tmp_path / "run")
    assert recorded["status"] == "failed"
    assert recorded["error"] == "DDP rank 1 of 2: RuntimeError: simulated crash at step 3"


@pytest.mark.parametrize("killed_rank", [0, 1])
@pytest.mark.slow  # ~18 s each on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_rank_killed_from_outside_is_named_as_the_cause_not_the_rank_it_left_waiting(make_cfg, tmp_path,
                                                                                      killed_rank):
    cfg = make_cfg("trainer=ddp", *SHORT)
    with open_dict(cfg):
        cfg.callbacks.kill = {"_target_": "failing_callback.KilledAtStepOnRank", "step": 3, "rank": killed_rank}
    from trainlab.distributed.rank_processes import RankFailed

    cause = (f"DDP rank {killed_rank} of 2: killed by SIGKILL before recording an outcome (no traceback: the "
             "out-of-memory killer, or a kill from outside)")
    with pytest.raises(RankFailed) as failed:
        train(cfg)
    assert str(failed.value) == cause  # no pointer to a traceback the killed rank never wrote
    assert status(tmp_path / "run")["error"] == cause


def test_the_cause_is_the_rank_that_failed_first():
    from trainlab.distributed.rank_processes import POLL_S, first_failure, signal_name, unrecorded_outcome

    crash = {"kind": "failed", "error": "RuntimeError: simulated crash", "rank": 1, "failed_at": 100.0,
             "ended_at": 100.5}
    reset = {"kind": "failed", "error": "RuntimeError: Connection reset by peer", "rank": 0, "failed_at": 100.2,
             "ended_at": 100.3}  # ended sooner, failed later: not the cause
    killed = {**unrecorded_outcome(-9, stopped=False), "rank": 1, "ended_at": 100.3}
    reset_after_kill = {**reset, "failed_at": 100.3 - POLL_S / 2}  # before the poll that saw the killed rank
    aborted_later = {**unrecorded_outcome(-6, stopped=False), "rank": 0, "ended_at": 105.0}
    stopped = {**unrecorded_outcome(-9, stopped=True), "rank": 0, "ended_at": 106.0}
    assert first_failure([reset, crash]) is crash  # seen in one poll, rank 0 first: the time decides
    assert first_failure([reset_after_kill, killed]) is killed  # it may have died up to a poll before it was seen
    # a poll 2 s late (a busy machine): the reset recorded 1 s after the last poll that found the killed rank running
    killed_seen_late = {**killed, "alive_at": 100.0, "ended_at": 102.0}
    assert first_failure([{**reset, "failed_at": 101.0}, killed_seen_late]) is killed_seen_late
    # the killed rank's sockets closed while it was still dying: its peer's reset recorded before a poll saw it ended
    assert first_failure([{**reset, "failed_at": 99.0}, killed]) is killed
    assert first_failure([crash, aborted_later]) is crash  # a survivor that aborted later is not the cause
    assert first_failure([crash, stopped]) is crash and first_failure([stopped]) is stopped
    assert aborted_later["error"] == "killed by SIGABRT before recording an outcome"
    assert signal_name(40) == "signal 40" and signal_name(15) == "SIGTERM"  # a real-time signal has no name


@pytest.mark.slow  # ~75 s: a job of two ranks interrupted, resumed, and two reference runs
def test_sigterm_to_the_job_saves_a_checkpoint_that_resumes_as_if_uninterrupted(make_cfg, tmp_path, data_dir):
    """A real SIGTERM to the job's process (sent by rank 0 to its parent at step 4, mid-epoch); the resumed DDP run
    ends with the weights of one uninterrupted process of the global batch."""
    run_dir, budget = tmp_path / "run", "trainer.max_steps=60"
    args = ["trainer=ddp", *SHORT, budget, "data.batch_size=64", f"hydra.run.dir={run_dir}",
            "+callbacks.sigterm._target_=sigterm_at_step.SigtermToParentAtStep", "+callbacks.sigterm.step=4"]
    result = subprocess.run([sys.executable, str(TRAIN_PY), *train_command(args, tmp_path, data_dir)], cwd=ROOT,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 128 + signal.SIGTERM, result.stderr[-3000:]
    assert f"ckpt_path=last hydra.run.dir={run_dir}" in result.stderr
    assert status(run_dir)["status"] == "interrupted"
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    step = checkpoint["global_step"]
    assert 4 <= step < 60
    # the epoch's training counters of both processes (64 samples each a step, 6 steps an epoch; stopped after an
    # epoch's last step, before its end zeroes them: the whole epoch), not rank 0's share
    assert int(checkpoint["state_dict"]["train_seen"]) == 128 * ((step - 1) % 6 + 1)

    train(make_cfg("trainer=ddp", *SHORT, budget, "data.batch_size=64", "ckpt_path=last", output_dir=run_dir))
    assert status(run_dir)["status"] == "completed"
    assert torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 60
    alone = ddp_run(make_cfg, tmp_path, "alone", budget, "data.batch_size=128")
    # 60 steps: the float rounding of two half-batch gradients against one whole-batch gradient adds up to ~3e-5
    # (a batch skipped or repeated on resume moves the weights by ~1e-3)
    for name, value in net_state(alone).items():
        torch.testing.assert_close(net_state(run_dir)[name], value, rtol=1e-3, atol=1e-4,
                                   msg=lambda m, name=name: f"{name}: {m}")
    assert status(run_dir)["metrics"]["val/acc"] == pytest.approx(status(alone)["metrics"]["val/acc"], abs=0.006)
    # every epoch's train/acc, the one resumed mid-way too, as the uninterrupted DDP run's: DDP's start copied rank
    # 0's summed counters into rank 1 after the checkpoint was restored, so the samples before the interrupt counted
    # twice in that epoch (seen once: 0.1233 = 142 / 1152 where 0.1289)
    whole = ddp_run(make_cfg, tmp_path, "whole", "trainer=ddp", budget, "data.batch_size=64")
    resumed, uninterrupted = scalar_values(run_dir, "train/acc"), scalar_values(whole, "train/acc")
    assert len(resumed) == len(uninterrupted) == 10 and resumed == uninterrupted


# ---- multiruns ----------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_multirun_of_ddp_jobs_has_one_directory_per_job(train_in_process, tmp_path):
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", "trainer=ddp", *SHORT, "optimizer=sgd,adam,momentum",
                              f"hydra.sweep.dir={sweep}")
    assert result.returncode == 0, result.stderr
    jobs = sorted(p for p in sweep.iterdir() if p.is_dir() and p.name != ".hydra")
    assert [p.name.split("_")[0] for p in jobs] == ["0", "1", "2"], sorted(p.name for p in sweep.iterdir())
    for job in jobs:
        assert len({p.name.split(".")[-2] for p in job.glob("events.out.tfevents*")}) == 1  # one writer
        assert status(job)["status"] == "completed"
        assert (job / "checkpoints" / "last.ckpt").is_file()
    assert len((sweep / "summary.csv").read_text().strip().splitlines()) == 1 + 3


@pytest.mark.slow
def test_in_a_multirun_a_failing_rank_fails_its_job_and_the_sweep_goes_on(train_in_process, tmp_path):
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", "trainer=ddp", *SHORT, "+callbacks.fail._target_=failing_callback."
                              "FailAtStepOnRank", "+callbacks.fail.rank=0", "+callbacks.fail.step=3,10000",
                              f"hydra.sweep.dir={sweep}", "hydra.sweep.subdir=${hydra.job.num}")
    assert result.returncode == 0, result.stderr
    jobs = sorted(p for p in sweep.iterdir() if p.is_dir() and p.name != ".hydra")
    assert [status(job)["status"] for job in jobs] == ["failed", "completed"]
    assert status(jobs[0])["error"] == "DDP rank 0 of 2: RuntimeError: simulated crash at step 3"


@pytest.mark.parametrize(("rank", "kept"), [(0, True), (1, False)])
def test_a_ddp_resume_gives_the_summed_training_counters_to_rank_0_alone(rank, kept):
    """The checkpoint holds the epoch's counters summed over the processes; each would add its own share again."""
    from types import SimpleNamespace

    from trainlab.models.classifier import MLPClassifier
    from trainlab.models.mlp import MLP

    module = MLPClassifier(net=MLP(8, [4], 3), optimizer=None)
    module._trainer = SimpleNamespace(world_size=2, global_rank=rank, loggers=[])
    checkpoint = {"state_dict": {"train_correct": torch.tensor(40), "train_seen": torch.tensor(128)}}
    module.on_load_checkpoint(checkpoint)
    assert [int(v) for v in checkpoint["state_dict"].values()] == ([40, 128] if kept else [0, 0])


@pytest.mark.slow  # ~10 s: a real Ctrl-C while the ranks import
def test_a_ctrl_c_while_the_ranks_start_stops_the_job_in_one_line_without_a_status(tmp_path, data_dir):
    """The terminal's SIGINT reaches the job's process, which passes it on while its ranks still import: they end
    without the tracebacks of a KeyboardInterrupt inside an import, and the job ends as a lone run's start-up does
    (exit status 130, one line, no status.json) instead of a failed job and a RankFailed traceback."""
    run_dir = tmp_path / "run"
    args = ["trainer=ddp", *SHORT, f"hydra.run.dir={run_dir}"]
    job = subprocess.Popen([sys.executable, str(TRAIN_PY), *train_command(args, tmp_path, data_dir)], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                           env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = []
    for line in job.stdout:  # said just before the ranks start; they then import for seconds (~3 s on 2 idle cores)
        lines.append(line)
        if "training with 2 DDP processes" in line:
            time.sleep(1.0)  # the job's process passes signals on by now (a Ctrl-C before: its own start-up's line)
            os.killpg(job.pid, signal.SIGINT)
            break
    lines += job.stdout.readlines()
    assert job.wait(timeout=120) == 128 + signal.SIGINT, "".join(lines)[-3000:]
    output = "".join(lines)
    assert lines[-1] == ("SIGINT while the DDP processes started: stopped before training; nothing was trained; "
                         f"written in {run_dir}: .hydra/, train.log\n"), output[-3000:]  # as a lone run says it
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    assert not (run_dir / "status.json").exists() and not (run_dir / "checkpoints").exists()


def test_ranks_ended_by_the_signal_passed_on_before_training_are_told_from_failures():
    from trainlab.distributed.rank_processes import stopped_before_training

    killed = {"kind": "killed", "error": "killed by SIGINT before recording an outcome", "on_signal": 2}
    lost = {"kind": "failed", "error": "RuntimeError: Connection reset by peer"}
    stopped = {"kind": "stopped", "error": "killed by the job 10 s after another rank failed"}
    assert stopped_before_training([killed, killed]) == signal.SIGINT
    assert stopped_before_training([killed, lost]) == signal.SIGINT  # the other rank lost its peer
    assert stopped_before_training([killed, stopped]) == signal.SIGINT
    crash = {"kind": "failed", "error": "ValueError: bad"}
    assert stopped_before_training([killed, crash]) is None  # a real failure stays one
    interrupted = {"kind": "interrupted", "signum": 2, "checkpoint": "last.ckpt", "step": 7}
    assert stopped_before_training([interrupted, interrupted]) is None  # stopped in training: saved
    assert stopped_before_training([{"kind": "killed", "error": "killed by SIGKILL"}, lost]) is None


# ---- data.source=auto: decided once, by the job's process -------------------------------------------------------
def no_network(data_dir, timeout):
    raise RuntimeError("no network in this test")


@pytest.mark.slow  # ~3 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_a_ddp_jobs_process_hands_the_data_source_it_resolved_to_its_ranks(make_cfg, tmp_path, monkeypatch):
    """data.source=auto where the download fails: the job's process falls back to the bundled sample, and its
    ranks are told so in their job.json. Before, each rank decided again - a new process, so a new download."""
    from trainlab.data import mnist_datamodule
    from trainlab.distributed import rank_processes

    monkeypatch.setattr(mnist_datamodule, "download_torchvision_mnist", no_network)
    monkeypatch.setattr(mnist_datamodule, "AUTO_DOWNLOAD_FAILURES", {})
    handed = []

    class RanksNotStarted(Exception):
        pass

    def start_ranks(payload_file, world_size):
        handed.append(json.loads(payload_file.read_text()))
        raise RanksNotStarted

    monkeypatch.setattr(rank_processes, "start_ranks", start_ranks)
    with pytest.raises(RanksNotStarted):
        train(make_cfg("trainer=ddp", *SHORT, "data.source=auto", f"paths.data_dir={tmp_path / 'data'}"))
    assert handed[0]["data_source"] == "bundled"
    assert handed[0]["config"]["data"]["source"] == "auto"  # the config the run records is the job's own


@pytest.mark.slow  # ~4 s on 2 cores, the Intel Xeon VM (make test-slow; the default run stays short)
def test_a_rank_uses_the_data_source_it_is_handed_without_downloading(make_cfg, tmp_path, monkeypatch):
    """What a rank process does with job.json's data_source (trainlab/distributed/rank_process.py): train() takes
    it as decided, as here in one process - no download tried, and the run records that source."""
    from trainlab.data import mnist_datamodule
    from trainlab.distributed import rank_process

    tried = []

    def must_not_download(data_dir, timeout):  # recorded: data.source=auto catches what a download raises
        tried.append(data_dir)
        raise RuntimeError("a rank tried the download its job's process had decided on")

    monkeypatch.setattr(mnist_datamodule, "download_torchvision_mnist", must_not_download)
    monkeypatch.setattr(mnist_datamodule, "AUTO_DOWNLOAD_FAILURES", {})
    received = {}
    import trainlab.train

    monkeypatch.setattr(trainlab.train, "train", lambda cfg, context, **given: received.update(given))
    payload = tmp_path / "job.json"
    payload.write_text(json.dumps({"config": {}, "context": {}, "log_file": None, "data_source": "bundled"}))
    with restored_logging():  # the rank's logging set-up, undone
        assert rank_process.run(payload, rank=1) == ({"kind": "completed"}, 0)
    assert received == {"data_source": "bundled"}
    assert tried == []
    monkeypatch.undo()  # the real train(), the download still failing loudly
    monkeypatch.setattr(mnist_datamodule, "download_torchvision_mnist", must_not_download)
    monkeypatch.setattr(mnist_datamodule, "AUTO_DOWNLOAD_FAILURES", {})
    run_dir = tmp_path / "rank"
    train(make_cfg(*SHORT, "data.source=auto", f"paths.data_dir={tmp_path / 'data'}", output_dir=run_dir),
          data_source="bundled")
    assert status(run_dir)["data_source"] == "bundled"
    assert tried == []  # before, a download tried and failed fell back to the bundled sample all the same
    assert mnist_datamodule.AUTO_DOWNLOAD_FAILURES == {}


@pytest.mark.slow  # ~20 s on 2 cores: a DDP job
def test_the_ranks_of_a_ddp_job_do_not_try_the_download_again(make_cfg, tmp_path, monkeypatch, capfd):
    """End to end: the job's process tried the download (here: failing) and chose the bundled sample; its rank 0,
    which logs at INFO to stderr, says nothing of a download, and the job records the bundled sample."""
    from trainlab.data import mnist_datamodule

    monkeypatch.setattr(mnist_datamodule, "download_torchvision_mnist", no_network)
    monkeypatch.setattr(mnist_datamodule, "AUTO_DOWNLOAD_FAILURES", {})
    for variable in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):  # a rank that tries: refused at once
        monkeypatch.setenv(variable, "http://127.0.0.1:9")
    for variable in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    run_dir = tmp_path / "run"
    train(make_cfg("trainer=ddp", *SHORT, "data.source=auto", f"paths.data_dir={tmp_path / 'data'}",
                   output_dir=run_dir))
    ranks_said = capfd.readouterr().err
    assert "Trainer.fit" in ranks_said  # rank 0's lines are here
    assert "could not be downloaded" not in ranks_said, ranks_said
    assert status(run_dir)["data_source"] == "bundled"
