"""The ranks of a DDP job that a launcher outside it starts (torchrun, SLURM's tasks): each is a ``train.py`` process
of its own, and every one trains on the data rank 0 decided - ``data.source=auto`` resolved, and full MNIST
downloaded, once, by rank 0 (trainlab/distributed/agreed_data_source.py).

The ranks are started here as such a launcher starts them (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``,
``MASTER_ADDR``/``MASTER_PORT``), two CPU processes talking through gloo, with a stand-in for the network that
rank 0 reaches and rank 1 does not (tests/network_stand_in.py). Nothing kills the other ranks when one ends, as
under ``srun`` without ``--kill-on-bad-exit``: a rank left waiting would wait for ever.
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
from conftest import JOB_PYTHONPATH, ROOT, TRAIN_PY, train_command

from trainlab.distributed.rank_processes import free_port

STAND_IN = ROOT / "tests" / "network_stand_in.py"
SHORT = ["trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2", "trainer.max_steps=4", "trainer.max_epochs=-1",
         "data.train_size=200", "data.val_size=100", "callbacks.progress_bar=null"]
#: the variables of a launcher of this machine's tests or of the one the test runs under: not this job's
FOREIGN = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "GROUP_RANK", "LOCAL_WORLD_SIZE", "TORCHELASTIC_RUN_ID", "MASTER_ADDR",
           "MASTER_PORT", "NODE_RANK", "SLURM_NTASKS", "SLURM_PROCID", "SLURM_JOB_ID", "TRAINLAB_DDP_RANKS")


def start_ranks(tmp_path: Path, data_dir: Path, *overrides: str, network_ranks: str,
                download_s: float = 2.0) -> list[subprocess.Popen]:
    """``python train.py <overrides>`` once per rank of a 2-process job, as torchrun would start them; their
    output goes to ``tmp_path/rank<N>.out``, their downloads are counted in ``tmp_path/downloads``."""
    port = free_port()
    base = {name: value for name, value in os.environ.items() if name not in FOREIGN}
    args = [str(STAND_IN), str(TRAIN_PY), *train_command([*SHORT, f"paths.data_dir={tmp_path / 'data'}",
                                                          f"hydra.run.dir={tmp_path / 'run'}", *overrides],
                                                         tmp_path, data_dir)]
    ranks = []
    for rank in range(2):
        env = {**base, "PYTHONPATH": JOB_PYTHONPATH, "PYTHONUNBUFFERED": "1", "MASTER_ADDR": "127.0.0.1",
               "MASTER_PORT": str(port), "WORLD_SIZE": "2", "RANK": str(rank), "LOCAL_RANK": str(rank),
               "NODE_RANK": "0", "STAND_IN_NETWORK_RANKS": network_ranks, "STAND_IN_DOWNLOAD_S": str(download_s),
               "STAND_IN_DOWNLOADS": str(tmp_path / "downloads")}
        output = open(tmp_path / f"rank{rank}.out", "w")  # noqa: SIM115 - closed with the process (ended_ranks)
        ranks.append(subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=output,
                                      stderr=subprocess.STDOUT))
        output.close()
    return ranks


def ended_ranks(ranks: list[subprocess.Popen], tmp_path: Path, timeout: float = 120) -> list[tuple[int, str]]:
    """Each rank's exit status and output once all have ended; a rank still running after ``timeout`` seconds
    (waiting for a rank that will not come) is killed, and the test fails."""
    deadline = time.monotonic() + timeout
    waiting = []
    for rank, process in enumerate(ranks):
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            waiting.append(rank)
    said = [(process.returncode, (tmp_path / f"rank{rank}.out").read_text()) for rank, process in enumerate(ranks)]
    assert not waiting, f"ranks {waiting} still waited after {timeout} s: {said}"
    return said


def downloads(tmp_path: Path) -> list[str]:
    """The ranks that tried a download (``rank<N>``), one entry per attempt."""
    folder = tmp_path / "downloads"
    return sorted(path.name.split("-")[0] for path in folder.iterdir()) if folder.is_dir() else []


@pytest.mark.slow  # ~25 s on 2 cores: two train.py processes (their imports, most of it) that train 4 steps
def test_ranks_started_by_a_launcher_train_on_the_source_rank_0_resolved(tmp_path, data_dir):
    """Rank 0 reaches the network (full MNIST, after 2 s), rank 1 does not: before, rank 1 fell back to the bundled
    sample at once while rank 0 downloaded, and the two trained on different data, both exiting 0, with
    status.json saying torchvision."""
    ranks = start_ranks(tmp_path, data_dir, "data.source=auto",
                        "+callbacks.probe._target_=data_source_probe.RecordDataSource",
                        f"+callbacks.probe.dir={tmp_path / 'sources'}", network_ranks="0")
    said = ended_ranks(ranks, tmp_path)
    assert [code for code, _ in said] == [0, 0], said
    # the source and the test split each rank holds (its shard of the tiny full MNIST's 100 test images)
    assert [(tmp_path / "sources" / f"rank{rank}.txt").read_text() for rank in range(2)] == ["torchvision 50"] * 2
    assert downloads(tmp_path) == ["rank0"]  # one download, by rank 0: rank 1 neither decided nor fetched
    assert json.loads((tmp_path / "run" / "status.json").read_text())["data_source"] == "torchvision"
    assert "data.source=auto: DDP rank 0 decided torchvision for the job's 2 processes" in said[0][1]


@pytest.mark.slow  # ~25 s on 2 cores: two train.py processes (their imports, most of it) that stop before training
def test_a_deciding_rank_that_fails_stops_every_rank_with_its_error(tmp_path, data_dir):
    """data.source=torchvision, the files missing, rank 0 offline: rank 0's download fails. Before, rank 0 failed
    alone (in its checks before the run) and rank 1 - which reached the network and downloaded the files
    itself - waited for it in the process group's start for 30 minutes."""
    ranks = start_ranks(tmp_path, data_dir, "data.source=torchvision", network_ranks="1")
    (code0, said0), (code1, said1) = ended_ranks(ranks, tmp_path)
    cause = "could not be downloaded (OSError: network unreachable (the test's stand-in, rank 0))"
    assert code0 == 2 and cause in said0, said0
    assert code1 == 2, said1
    assert ("error: DDP rank 1 of 2: rank 0 could not obtain the data of data.source=torchvision for the job's "
            "ranks, so this rank stops too; rank 0's error: DataError: data.source=torchvision: full MNIST is not in "
            f"{tmp_path / 'data' / 'MNIST' / 'raw'}") in said1
    assert cause in said1
    assert downloads(tmp_path) == ["rank0"]
    assert not (tmp_path / "run").exists()  # refused before the run: nothing left behind


@pytest.mark.slow  # ~25 s on 2 cores: two train.py processes (their imports, most of it) that stop before training
def test_a_deciding_rank_killed_while_it_downloads_ends_the_others_with_an_error(tmp_path, data_dir):
    ranks = start_ranks(tmp_path, data_dir, "data.source=auto", network_ranks="0", download_s=120)
    deadline = time.monotonic() + 90
    while downloads(tmp_path) != ["rank0"] and time.monotonic() < deadline:  # rank 0 is downloading
        time.sleep(0.2)
    os.kill(ranks[0].pid, signal.SIGKILL)
    (code0, _), (code1, said1) = ended_ranks(ranks, tmp_path, timeout=60)
    assert code0 == -signal.SIGKILL
    assert code1 == 2, said1
    assert ("error: DDP rank 1 of 2: rank 0, which decides data.source=auto for the job's ranks, ended before "
            "deciding (RuntimeError: ") in said1
    assert "Connection closed by peer" in said1
    assert downloads(tmp_path) == ["rank0"]


def refused_download(data_dir, timeout_s):
    raise OSError("a download (the test's stand-in)")


def preflight_config(tmp_path: Path, *overrides: str):
    """The composed config ``train.py``'s checks before the run see (Hydra's own node included)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import open_dict

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        config = compose("train", overrides=[f"paths.data_dir={tmp_path / 'data'}", f"hydra.run.dir={tmp_path / 'run'}",
                                             *overrides], return_hydra_config=True)
    with open_dict(config):
        config.hydra.runtime.output_dir = str(tmp_path / "run")
    return config


def test_rank_0_of_a_launched_job_leaves_the_download_to_the_ranks_decision(tmp_path, monkeypatch):
    """Before the run (trainlab/preflight.py), rank 0 of a job that torchrun or SLURM started downloaded
    data.source=torchvision's missing files alone: a failed download ended rank 0 there, before the ranks meet, and
    left the others waiting for it. Now the ranks fetch them in the task, rank 0 for all; a single run still
    fetches them before its directory is made."""
    from trainlab.data import torchvision_mnist
    from trainlab.errors import DataError
    from trainlab.preflight import check_single_run

    monkeypatch.setattr(torchvision_mnist, "download_torchvision_mnist", refused_download)
    for name in FOREIGN:
        monkeypatch.delenv(name, raising=False)
    for name, value in {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "2"}.items():
        monkeypatch.setenv(name, value)
    check_single_run(preflight_config(tmp_path, "trainer=ddp", "trainer.devices=2", "data.source=torchvision"))
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):  # a run of one process, which no launcher started
        monkeypatch.delenv(name)
    with pytest.raises(DataError, match=r"could not be downloaded \(OSError: a download \(the test's stand-in\)\)"):
        check_single_run(preflight_config(tmp_path, "data.source=torchvision"))  # a run of one process


def test_a_single_run_decides_auto_by_itself_without_a_process_group(make_cfg, tmp_path, monkeypatch):
    """What the old source already did, kept: a run of one process resolves data.source=auto itself (one download
    tried) and joins no process group - the ranks' agreement costs it nothing."""
    import torch.distributed as dist
    from test_data import write_tiny_mnist

    from trainlab.data import mnist_datamodule
    from trainlab.train import train

    tried = []

    def download(data_dir, timeout_s):
        tried.append(data_dir)
        write_tiny_mnist(Path(data_dir), n_train=400, n_test=100)

    monkeypatch.setattr(mnist_datamodule, "download_torchvision_mnist", download)
    train(make_cfg("data.source=auto", f"paths.data_dir={tmp_path / 'data'}", "trainer.max_steps=2",
                   "trainer.log_every_n_steps=1", "data.train_size=200", "data.val_size=100", "test=false"))
    assert tried == [str(tmp_path / "data")]
    assert not dist.is_initialized()
    assert json.loads((tmp_path / "run" / "status.json").read_text())["data_source"] == "torchvision"
