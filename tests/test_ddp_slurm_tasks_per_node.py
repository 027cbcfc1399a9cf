"""A SLURM job whose tasks are its DDP processes must give them per node (``--ntasks-per-node``): ``--ntasks`` alone
is refused in one line, exit status 2, before anything is written - not Lightning's ``RuntimeError`` in a Hydra
traceback (exit status 1) after the run directory was made."""

from __future__ import annotations

import pytest
from conftest import run_train

from trainlab.errors import ConfigError
from trainlab.train import train

# a task of 'sbatch --ntasks=2' (no --ntasks-per-node): SLURM sets no SLURM_NTASKS_PER_NODE
NTASKS_ALONE = {"SLURM_NTASKS": "2", "SLURM_PROCID": "0", "SLURM_LOCALID": "0", "SLURM_NODEID": "0",
                "SLURM_JOB_NAME": "train", "SLURM_JOB_ID": "4242", "SLURM_NODELIST": "node7"}
REFUSAL = ("this SLURM job has SLURM_NTASKS=2 tasks but no SLURM_NTASKS_PER_NODE (sbatch/srun --ntasks alone), which "
           "Lightning's DDP does not support; allowed: --ntasks-per-node=2 --nodes=1 in the job script, or "
           "hydra/launcher=submitit_slurm hydra.launcher.tasks_per_node=2 hydra.launcher.nodes=1")


@pytest.fixture
def ntasks_alone(monkeypatch):
    for name in ("LOCAL_RANK", "RANK", "TORCHELASTIC_RUN_ID", "GROUP_RANK", "SLURM_NTASKS_PER_NODE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in NTASKS_ALONE.items():
        monkeypatch.setenv(name, value)


def test_a_slurm_job_without_tasks_per_node_is_a_config_error(ntasks_alone, make_cfg):
    with pytest.raises(ConfigError) as refused:
        train(make_cfg("trainer=ddp"))
    assert str(refused.value) == REFUSAL


@pytest.mark.slow  # ~14 s: train.py in a subprocess
def test_train_py_refuses_it_in_one_line_and_writes_nothing(ntasks_alone, tmp_path, data_dir):
    run_dir = tmp_path / "run"
    result = run_train(["trainer=ddp", "debug=limit", f"hydra.run.dir={run_dir}"], tmp_path, data_dir, timeout=120)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == f"error: {REFUSAL}"
    assert "Traceback" not in result.stderr
    assert not run_dir.exists()
