"""How many processes train one job (``trainer.devices × trainer.num_nodes``), who started them, and which one
this is.

A job with more than one process runs under Lightning's DDP. Its processes are started either

* by a launcher outside the job - a SLURM job with one task per device (``hydra/launcher=submitit_slurm`` with
  ``tasks_per_node`` = ``trainer.devices``), ``torchrun``, or trainlab's own rank processes - which leaves the
  variables Lightning reads (``SLURM_PROCID`` / ``SLURM_NTASKS``, ``RANK`` / ``LOCAL_RANK`` / ``WORLD_SIZE``),
  see :func:`external_launcher`; or
* by the job itself (:mod:`trainlab.distributed.rank_processes`), when nothing did.

Either way every process trains with :func:`ddp_strategy`, Lightning's ``DDPStrategy`` in the mode where it
creates no process of its own.
"""

from __future__ import annotations

import inspect
import os
from typing import Any

from omegaconf import DictConfig, OmegaConf

# what trainer.strategy may name for a job of several processes; all of them train as ddp_strategy() below
DDP_STRATEGIES = ("auto", "ddp", "ddp_spawn")
# set in the environment of the rank processes a job starts itself (trainlab.distributed.rank_processes)
OWN_RANKS_VARIABLE = "TRAINLAB_DDP_RANKS"


def device_count(devices: Any) -> int:
    """``trainer.devices`` as a number of processes: ``N``, ``"N"`` or a list of device indices."""
    if OmegaConf.is_list(devices) or isinstance(devices, list | tuple):
        return len(devices)
    return int(devices)


def world_size(trainer: DictConfig) -> int:
    """Processes that train the job: ``trainer.devices`` per node times ``trainer.num_nodes``."""
    return device_count(trainer.get("devices", 1)) * int(trainer.get("num_nodes", 1) or 1)


def external_launcher() -> str | None:
    """The launcher that started this process as one of a job's DDP processes - ``trainlab`` (the job's own rank
    processes, :mod:`trainlab.distributed.rank_processes`), ``LOCAL_RANK``, ``torchrun`` or ``SLURM`` - or None when
    nothing did."""
    from lightning.fabric.plugins.environments import SLURMEnvironment, TorchElasticEnvironment

    if os.environ.get(OWN_RANKS_VARIABLE):  # the rank processes a job starts itself (rank_processes)
        return "trainlab"
    if "LOCAL_RANK" in os.environ:  # a launcher of your own (Lightning's convention)
        return "LOCAL_RANK"
    if TorchElasticEnvironment.detect():
        return "torchrun"
    if SLURMEnvironment.detect() and int(os.environ.get("SLURM_NTASKS", "1")) > 1:
        return "SLURM"
    return None


def launched_processes() -> tuple[str | None, int]:
    """The launcher outside trainlab that started this process as one of a job's ``train.py`` processes
    (:func:`external_launcher`'s ``LOCAL_RANK``, ``torchrun`` or ``SLURM``) and how many it started (``WORLD_SIZE``,
    ``SLURM_NTASKS``); ``(None, 1)`` for a process no such launcher started. Lightning (which
    :func:`external_launcher` imports) is imported only where a launcher's variables are set."""
    if not {"RANK", "LOCAL_RANK", "SLURM_NTASKS"} & set(os.environ):
        return None, 1
    launcher = external_launcher()
    if launcher in (None, "trainlab"):
        return None, 1
    return launcher, int(os.environ.get("SLURM_NTASKS" if launcher == "SLURM" else "WORLD_SIZE", "1"))


def shares_data_with_other_ranks(trainer: DictConfig) -> bool:
    """Whether this process is one of a job's several DDP processes that a launcher outside the job started
    (torchrun, SLURM, ``LOCAL_RANK``): such ranks fetch and check the job's data together, in the task, where rank
    0 decides for them all (:mod:`trainlab.distributed.agreed_data_source`) - not each on its own before it."""
    return world_size(trainer) > 1 and external_launcher() not in (None, "trainlab")


def process_rank() -> int:
    """This process's global rank as its launcher set it (0 for a process that is the whole job).

    Known before any Trainer exists, from the same variables Lightning reads: ``RANK`` (torchrun), ``SLURM_PROCID``
    (a SLURM task of a job with several tasks), ``LOCAL_RANK`` (single-node rank processes).
    """
    for name in ("RANK", "LOCAL_RANK"):
        if name in os.environ:
            return int(os.environ[name])
    if int(os.environ.get("SLURM_NTASKS", "1")) > 1:
        return int(os.environ.get("SLURM_PROCID", "0"))
    return 0


def ddp_strategy(accelerator: str | None, launched_by: str | None):
    """Lightning's DDP for a job whose processes already exist (``launched_by``: :func:`external_launcher`):
    ``gloo`` on CPUs, ``nccl`` on GPUs.

    No buffer sync before each forward pass (``forward_sync_buffers=False``, ``broadcast_buffers=False`` before
    torch 2.10): DDP would otherwise copy every buffer of rank 0 into the other processes at every step - the
    running training-accuracy counters (each process counts its own share; they are summed at the epoch's end) and
    the BatchNorm running statistics, which each process keeps from its own shares (as ``torch.nn.BatchNorm1d``
    does without ``SyncBatchNorm``; the checkpoint holds rank 0's).

    The process group Lightning joins for it is left at the process's exit, ``gloo``'s as ``nccl``'s
    (:mod:`trainlab.distributed.process_group_exit`).
    """
    from lightning.fabric.plugins.environments import LightningEnvironment
    from lightning.pytorch.strategies import DDPStrategy
    from torch.nn.parallel import DistributedDataParallel

    from trainlab.distributed.process_group_exit import leave_process_group_at_exit

    backend = "gloo" if accelerator == "cpu" else None  # None: Lightning's choice for the device (nccl on CUDA)
    # The job's own ranks read LOCAL_RANK even inside a one-task SLURM allocation, whose SLURM_* variables would
    # otherwise make Lightning take every rank for task 0.
    environment = LightningEnvironment() if launched_by == "trainlab" else None
    no_buffer_sync = ({"forward_sync_buffers": False} if "forward_sync_buffers" in
                      inspect.signature(DistributedDataParallel).parameters else {"broadcast_buffers": False})
    leave_process_group_at_exit()
    return DDPStrategy(process_group_backend=backend, cluster_environment=environment, **no_buffer_sync)
