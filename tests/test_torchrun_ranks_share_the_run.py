"""The ranks of a job that torchrun starts as several ``train.py`` processes share rank 0's run directory, and rank 0
alone says the job's log lines (docs/ddp.md: "torchrun works the same way"; "rank 0 alone writes ... the log lines").

Each rank resolved the default ``hydra.run.dir`` (``outputs/runs/<date>_<time>``) from its own clock - a rank that
started in another second made a directory of its own - and logged ``MNIST source=...`` and ``completed; final
metrics`` into the terminal and ``train.log`` as rank 0 did.
"""

from __future__ import annotations

import logging
import logging.config
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from conftest import JOB_PYTHONPATH, ROOT, TRAIN_PY, restored_logging, train_command
from omegaconf import OmegaConf

from trainlab.distributed import shared_start_time
from trainlab.distributed.rank_log_lines import HYDRA_LAUNCHER_LOGGER, leave_log_lines_to_rank_0


@pytest.fixture
def torchrun_worker(monkeypatch):
    """``set(rank)``: this process's environment as torchrun gives it to a worker of a job of 2, whose agent serves
    a store (started here) at MASTER_ADDR:MASTER_PORT."""
    from torch.distributed import TCPStore

    agent = TCPStore("127.0.0.1", 0, is_master=True, timeout=timedelta(seconds=30))
    for name in ("SLURM_NTASKS", "SLURM_PROCID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TORCHELASTIC_USE_AGENT_STORE", "True")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(agent.port))

    def set_rank(rank: int) -> None:
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("LOCAL_RANK", str(rank))

    yield set_rank
    del agent


def test_every_rank_resolves_now_to_rank_0s_start_time(torchrun_worker, monkeypatch):
    import hydra.core.utils
    from omegaconf import OmegaConf

    monkeypatch.setattr(hydra.core.utils, "datetime", hydra.core.utils.datetime)  # put back after the test
    run_dir = OmegaConf.create({"dir": "runs/${now:%Y-%m-%d}_${now:%H-%M-%S-%f}"})
    resolved = []
    for rank in (0, 1):  # rank 1 a moment later: microseconds apart on its own clock
        torchrun_worker(rank)
        shared_start_time.share_rank_0_start_time()
        hydra.core.utils.setup_globals()  # as Hydra registers its resolvers at each run
        resolved.append(OmegaConf.to_container(run_dir, resolve=True)["dir"])
    assert resolved[0] == resolved[1]


def test_a_lone_process_keeps_its_own_clock(monkeypatch):
    monkeypatch.delenv("TORCHELASTIC_USE_AGENT_STORE", raising=False)
    assert shared_start_time.agent_store_address() is None
    monkeypatch.setenv("TORCHELASTIC_USE_AGENT_STORE", "True")
    monkeypatch.setenv("WORLD_SIZE", "1")  # torchrun --nproc_per_node=1: nothing to share
    assert shared_start_time.agent_store_address() is None


def test_a_rank_other_than_0_says_warnings_only_and_writes_no_train_log(torchrun_worker, tmp_path, capsys):
    torchrun_worker(1)
    launcher = logging.getLogger(HYDRA_LAUNCHER_LOGGER)  # made before: restored_logging puts its level back
    with restored_logging():
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        console, log_file = logging.StreamHandler(sys.stderr), logging.FileHandler(tmp_path / "train.log")
        for handler in (console, log_file):
            handler.setFormatter(logging.Formatter("[%(levelname)s] - %(message)s"))
            root.addHandler(handler)
        root.setLevel(logging.INFO)
        leave_log_lines_to_rank_0()
        logging.getLogger("trainlab.train").info("completed; final metrics: ...")
        logging.getLogger("trainlab.train").warning("a warning")
        assert root.handlers == [console]
        # Hydra's launcher sets the root logger up again before a sweep's first job and after each: its own
        # logger's level outlasts that (its "Launching 2 jobs locally" and "#0 : ..." lines)
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                                   "handlers": {"console": {"class": "logging.StreamHandler",
                                                            "stream": "ext://sys.stderr"}},
                                   "root": {"level": "INFO", "handlers": ["console"]}})
        launcher.info("Launching 2 jobs locally")
        logging.getLogger("trainlab.train").info("a line after the set-up")
    assert capsys.readouterr().err == "[rank 1][WARNING] - a warning\na line after the set-up\n"
    assert (tmp_path / "train.log").read_text() == ""


@pytest.mark.slow  # ~25 s: torchrun, 2 ranks of train.py, one started 2.5 s after the other
def test_torchrun_ranks_started_seconds_apart_train_in_one_run_directory(tmp_path, data_dir):
    late_rank_1 = tmp_path / "late_rank_1.sh"
    late_rank_1.write_text(f'#!/bin/bash\nif [ "$RANK" = "1" ]; then sleep 2.5; fi\n'
                           f'exec {sys.executable} {TRAIN_PY} "$@"\n')
    late_rank_1.chmod(0o755)
    args = train_command(["trainer=ddp", "debug=limit"], tmp_path, data_dir)
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--no-python",
                             str(late_rank_1), *args], cwd=ROOT, capture_output=True, text=True, timeout=280,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    runs = sorted((tmp_path / "outputs" / "runs").iterdir())
    assert len(runs) == 1, runs  # not a second one holding rank 1's train.log
    log = (runs[0] / "train.log").read_text()
    for line in ("MNIST source=bundled", "completed; final metrics"):
        assert log.count(line) == 1 and output.count(line) == 1, output[-3000:]
    assert (runs[0] / "status.json").is_file() and (runs[0] / "checkpoints" / "last.ckpt").is_file()


# ---- a multirun torchrun runs in every rank: rank 0 alone writes the sweep's tables -----------------------------
@pytest.mark.parametrize("rank", [0, 1])
def test_rank_0_alone_writes_the_sweeps_tables(torchrun_worker, tmp_path, rank):
    """Each rank runs the whole multirun and its end-of-sweep callbacks; another rank, done first, read the jobs'
    status.json before rank 0 had written the last one, and its summary.csv could replace rank 0's."""
    from hydra import compose, initialize_config_dir
    from hydra.types import RunMode
    from omegaconf import open_dict

    from trainlab.run_status import write_status
    from trainlab.sweep import sweep_end_failures
    from trainlab.sweep.stopped_sweep import record_stopped_sweep
    from trainlab.sweep.summary_callback import SweepSummary

    torchrun_worker(rank)
    sweep_dir = tmp_path / "sweep"
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        config = compose("train", overrides=["optimizer=sgd", f"hydra.sweep.dir={sweep_dir}"],
                         return_hydra_config=True)
    with open_dict(config):
        config.hydra.mode = RunMode.MULTIRUN
    write_status(sweep_dir / "0_optimizer=sgd", "completed", ["optimizer=sgd"], {"val/acc": 0.5}, 0.5, 1.0, None)
    SweepSummary().on_multirun_end(config)
    assert sweep_end_failures.FAILED == []
    tables = ["ranking.csv", "summary.csv"] if rank == 0 else []
    assert sorted(path.name for path in sweep_dir.glob("*.csv")) == tables
    for table in tables:
        (sweep_dir / table).unlink()
    record_stopped_sweep(config.hydra, "val/acc")  # a Ctrl-C's tables of what ran so far
    assert sorted(path.name for path in sweep_dir.glob("*.csv")) == tables


@pytest.mark.slow  # ~20 s: torchrun, 2 ranks of train.py -m with 2 jobs
def test_a_multirun_under_torchrun_has_one_summary_and_one_hparams_experiment(tmp_path, data_dir):
    sweep_dir = tmp_path / "sweep"
    args = train_command(["-m", "trainer=ddp", "debug=limit", "optimizer=sgd,adam", f"hydra.sweep.dir={sweep_dir}"],
                         tmp_path, data_dir)
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", str(TRAIN_PY),
                             *args], cwd=ROOT, capture_output=True, text=True, timeout=280,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert output.count("sweep summary: ") == 1, output[-3000:]  # rank 0's line, not once per rank
    assert output.count("HPARAMS experiment of the sweep: ") == 1, output[-3000:]
    assert output.count("Launching 2 jobs locally") == 1 and output.count("#0 : ") == 1, output[-3000:]
    assert len(list(sweep_dir.glob("events.out.tfevents.*.hparams"))) == 1
    rows = (sweep_dir / "summary.csv").read_text().splitlines()
    assert len(rows) == 3 and all(",completed," in row for row in rows[1:]), rows
    record = OmegaConf.load(sweep_dir / "multirun.yaml")  # rank 0's, not rank 1's written at the same time
    assert record.hydra.overrides.hydra == [f"hydra.sweep.dir={sweep_dir}", "hydra.mode=MULTIRUN"]
    assert record.hydra.output_subdir == ".hydra"
    assert all((job / ".hydra" / "config.yaml").is_file() for job in sweep_dir.glob("[01]_*"))


# ---- a multirun torchrun runs in every rank: its multirun.yaml is rank 0's ----------------------------------------
def multirun_config(sweep_dir):
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose("train", overrides=["optimizer=adam", f"hydra.sweep.dir={sweep_dir}"],
                       return_hydra_config=True)


@pytest.mark.parametrize("rank", [0, 1])
def test_rank_0_writes_its_multirun_yaml_over_the_other_ranks(torchrun_worker, tmp_path, rank):
    """Every rank's sweeper writes multirun.yaml; the others' lists the hydra.output_subdir=null train.py gives them
    (so that rank 0 alone writes .hydra/). Rank 0 writes its own again, once, when asked (the ranks have joined)."""
    from trainlab.distributed import rank_0_sweep_record

    torchrun_worker(rank)
    sweep_dir = tmp_path / "sweep"
    sweep_dir.mkdir()
    config = multirun_config(sweep_dir)
    rank_0_sweep_record.keep_sweep_record(config)
    (sweep_dir / "multirun.yaml").write_text("hydra:\n  output_subdir: null\n")  # rank 1's sweeper, last
    rank_0_sweep_record.write_sweep_record()
    record = OmegaConf.load(sweep_dir / "multirun.yaml")
    if rank == 0:
        assert record == OmegaConf.create(OmegaConf.to_yaml(config))
        assert record.hydra.output_subdir == ".hydra" and "optimizer=adam" in record.hydra.overrides.task
    else:
        assert record.hydra.output_subdir is None  # not rank 0's to write
    (sweep_dir / "multirun.yaml").write_text("later: 1\n")
    rank_0_sweep_record.write_sweep_record()  # once: a later job's join leaves the record alone
    assert (sweep_dir / "multirun.yaml").read_text() == "later: 1\n"


def test_a_multirun_in_one_process_keeps_no_record_to_write(tmp_path, monkeypatch):
    from trainlab.distributed import rank_0_sweep_record

    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "SLURM_NTASKS", "SLURM_PROCID"):
        monkeypatch.delenv(name, raising=False)
    sweep_dir = tmp_path / "sweep"
    sweep_dir.mkdir()
    rank_0_sweep_record.keep_sweep_record(multirun_config(sweep_dir))
    (sweep_dir / "multirun.yaml").write_text("the sweeper's: 1\n")
    rank_0_sweep_record.write_sweep_record()
    assert (sweep_dir / "multirun.yaml").read_text() == "the sweeper's: 1\n"


def test_a_refused_sweeps_taken_back_directory_is_not_made_again(torchrun_worker, tmp_path):
    from trainlab.distributed import rank_0_sweep_record

    torchrun_worker(0)
    rank_0_sweep_record.keep_sweep_record(multirun_config(tmp_path / "gone"))
    rank_0_sweep_record.write_sweep_record()
    assert not (tmp_path / "gone").exists()


# ---- torchrun's process count is the config's --------------------------------------------------------------------
@pytest.mark.parametrize(("devices", "said"), [
    (1, "torchrun started 2 train.py processes (WORLD_SIZE=2), and each would train the whole run on its own, into "
        "one directory; nothing was written. allowed: trainer=ddp trainer.devices=2, or the command as one process "
        "(python train.py ..., without torchrun)"),
    (4, "torchrun started 2 train.py processes (WORLD_SIZE=2), and Lightning's DDP trains in trainer.devices=4 x "
        "trainer.num_nodes=1 = 4; nothing was written. allowed: trainer=ddp trainer.devices=2, or torchrun "
        "--nproc_per_node=4"),
    (2, None),
])
@pytest.mark.parametrize("rank", [0, 1])
def test_a_process_count_other_than_torchruns_is_refused_by_every_rank(torchrun_worker, monkeypatch, rank, devices,
                                                                        said):
    """Without trainer=ddp each of torchrun's processes trained the whole run into one directory (one refused it as
    taken once the other had begun, and torchrun killed that one); with trainer.devices=4 under 2 processes
    Lightning stopped both with a traceback and left a failed run."""
    from omegaconf import OmegaConf

    from trainlab.distributed.job_checks import check_launched_processes
    from trainlab.errors import ConfigError

    torchrun_worker(rank)
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "test")
    trainer = OmegaConf.create({"devices": devices, "num_nodes": 1})
    if said is None:
        check_launched_processes(trainer)
        return
    with pytest.raises(ConfigError) as refused:
        check_launched_processes(trainer)
    assert str(refused.value) == said


def test_a_process_that_no_launcher_started_or_one_of_trainlabs_own_ranks_is_not_asked(monkeypatch):
    from omegaconf import OmegaConf

    from trainlab.distributed.job_checks import check_launched_processes
    from trainlab.distributed.process_world import OWN_RANKS_VARIABLE

    trainer = OmegaConf.create({"devices": 2, "num_nodes": 1})
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "SLURM_NTASKS", OWN_RANKS_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    check_launched_processes(trainer)  # python train.py trainer=ddp: trainlab starts the ranks
    monkeypatch.setenv("WORLD_SIZE", "4")  # a variable left in the environment, with no rank of its own
    check_launched_processes(trainer)
    monkeypatch.setenv(OWN_RANKS_VARIABLE, "1")  # trainlab's own rank processes (WORLD_SIZE theirs)
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    check_launched_processes(OmegaConf.create({"devices": 2}))


@pytest.mark.slow  # ~15 s: torchrun, 2 ranks of train.py refused, then 2 interrupted
def test_torchrun_without_ddp_is_refused_and_an_interrupt_says_its_resume_command_once(tmp_path, data_dir):
    refused_dir = tmp_path / "refused"
    args = train_command([f"hydra.run.dir={refused_dir}", "debug=limit"], tmp_path, data_dir)
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", str(TRAIN_PY),
                             *args], cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert result.returncode != 0
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("error: ")]
    assert lines and set(lines) == {
        "error: torchrun started 2 train.py processes (WORLD_SIZE=2), and each would train the whole run on its own, "
        "into one directory; nothing was written. allowed: trainer=ddp trainer.devices=2, or the command as one "
        "process (python train.py ..., without torchrun)"}
    assert not refused_dir.exists()
    # a stop: rank 0 alone says it and how to resume (rank 1's command held the hydra.output_subdir=null it gets)
    run_dir = tmp_path / "run"
    args = train_command(["trainer=ddp", "trainer.max_epochs=300", f"hydra.run.dir={run_dir}",
                          "+callbacks.sigterm={_target_:sigterm_at_step.SigtermAtStep,step:3}"], tmp_path, data_dir)
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", str(TRAIN_PY),
                             *args], cwd=ROOT, capture_output=True, text=True, timeout=280,
                            env={**os.environ, "PYTHONPATH": JOB_PYTHONPATH, "PYTHONUNBUFFERED": "1"})
    output = result.stdout + result.stderr
    assert output.count("Resume with: ") == 1 and output.count(", saved ") == 1, output[-3000:]
    resume = next(line for line in output.splitlines() if line.startswith("Resume with: "))
    assert "hydra.output_subdir" not in resume and resume.endswith(f"ckpt_path=last hydra.run.dir={run_dir}")
