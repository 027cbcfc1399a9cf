"""A search (``hparams_search=...``) runs in one process, which asks its study for each trial: started by torchrun or
SLURM as several ``train.py`` processes, each ran a search of its own - rank 1 found the study rank 0 had just made
and stopped ("already holds the study ..."), rank 0 waited for it in DDP until torchrun killed it (SIGKILL) - so it is
refused in every process before anything is written (``trainlab.distributed.job_checks``)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT, TRAIN_PY, train_command
from omegaconf import OmegaConf

from trainlab.distributed.job_checks import check_search_in_one_process
from trainlab.errors import ConfigError

LAUNCH_VARIABLES = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "GROUP_RANK", "LOCAL_WORLD_SIZE", "TORCHELASTIC_RUN_ID",
                    "SLURM_NTASKS", "SLURM_PROCID", "SLURM_LOCALID", "SLURM_NODEID", "SLURM_JOB_NAME", "SLURM_JOB_ID",
                    "SLURM_NODELIST", "SLURM_NTASKS_PER_NODE", "TRAINLAB_DDP_RANKS")
# what torchrun --nproc_per_node=2 gives its second worker
TORCHRUN_RANK_1 = {"RANK": "1", "LOCAL_RANK": "1", "WORLD_SIZE": "2", "GROUP_RANK": "0", "LOCAL_WORLD_SIZE": "2",
                   "TORCHELASTIC_RUN_ID": "none"}
SLURM_TASK_0 = {"SLURM_NTASKS": "4", "SLURM_PROCID": "0", "SLURM_LOCALID": "0", "SLURM_NODEID": "0",
                "SLURM_JOB_NAME": "search", "SLURM_JOB_ID": "4242", "SLURM_NODELIST": "node7",
                "SLURM_NTASKS_PER_NODE": "4"}
SEARCH = {"sweeper": {"_target_": "hydra_plugins.trainlab_optuna_sweeper.sweeper.TrainlabOptunaSweeper"},
          "runtime": {"choices": {"hydra/sweeper": "trainlab_optuna"}}}
GRID = {"sweeper": {"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"},
        "runtime": {"choices": {"hydra/sweeper": "basic"}}}


@pytest.fixture
def launched_by(monkeypatch):
    """``set(variables)``: this process's environment as a launcher gives it (none of the launchers' variables
    before)."""
    for name in LAUNCH_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def set_variables(variables: dict[str, str]) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return set_variables


@pytest.mark.parametrize(("variables", "by", "processes"), [
    (TORCHRUN_RANK_1, "torchrun", "2"), (SLURM_TASK_0, "SLURM", "4"),
    ({"LOCAL_RANK": "1", "WORLD_SIZE": "3"}, "a launcher", "3"),  # a launcher of one's own (Lightning's variables)
])
def test_a_search_in_one_of_several_launched_processes_is_refused(launched_by, variables, by, processes):
    launched_by(variables)
    with pytest.raises(ConfigError) as refused:
        check_search_in_one_process(OmegaConf.create({"hydra": SEARCH}))
    assert str(refused.value) == (
        f"a search (hydra/sweeper=trainlab_optuna) runs in one process, and {by} started {processes} train.py "
        "processes: each would run a search of its own; nothing was written. allowed: the same command as one "
        f"process - python train.py ... - with trainer=ddp trainer.devices={processes} for DDP trials (trainlab "
        "starts each trial's processes itself)")


@pytest.mark.parametrize(("hydra", "variables"), [
    (GRID, TORCHRUN_RANK_1),  # a grid sweep under torchrun: every rank trains each job (its ranks' DDP)
    (SEARCH, {}),  # the search as one process
    (SEARCH, {**TORCHRUN_RANK_1, "RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1"}),  # torchrun --nproc_per_node=1
    (SEARCH, {"TRAINLAB_DDP_RANKS": "2", "LOCAL_RANK": "1"}),  # a trial's rank process, which runs no search
    (SEARCH, {"LOCAL_RANK": "0"}),  # set by a platform for one process, no WORLD_SIZE: nothing says there are more
])
def test_a_search_in_one_process_and_a_grid_sweep_under_torchrun_pass(launched_by, hydra, variables):
    launched_by(variables)
    check_search_in_one_process(OmegaConf.create({"hydra": hydra}))


@pytest.mark.slow  # ~10 s: torchrun, 2 ranks of train.py that stop before training
def test_torchrun_ranks_refuse_a_search_in_one_line_each_and_write_nothing(tmp_path, data_dir):
    sweep_dir = tmp_path / "sweep"
    args = train_command(["hparams_search=random", "trainer=ddp", "debug=limit", "hydra.sweeper.n_trials=2",
                          f"hydra.sweep.dir={sweep_dir}"], tmp_path, data_dir)
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", str(TRAIN_PY),
                             *args], cwd=ROOT, capture_output=True, text=True, timeout=280,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    # the rank that refuses first ends the job: torchrun stops the other (SIGTERM), which may not have refused yet
    refusals = [line for line in output.splitlines() if line.startswith("error: a search (hydra/sweeper=")]
    assert refusals and "torchrun started 2 train.py processes" in refusals[0], output[-3000:]
    assert "exitcode  : 2" in output and "SIGKILL" not in output  # a rank's own refusal, none killed waiting
    assert not sweep_dir.exists()
