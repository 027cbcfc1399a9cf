"""The data the ranks of a job train on when a launcher outside the job started them (``torchrun``, SLURM's tasks, a
launcher of one's own that sets ``LOCAL_RANK``): decided by rank 0 alone, and taken as it is by the others.

Each such rank is a ``train.py`` process of its own that composes the config and builds its own data module. Left
to themselves the ranks each resolved ``data.source=auto`` - and fetched ``torchvision``'s missing files - at the
same time, so that

* several ranks downloaded the same files into one ``data_dir`` at once (torchvision writes them in place, and a
  download that fails removes the files it began: those another rank is writing too); and
* ranks trained on different data - one reached the network (full MNIST), another did not, or not yet (the bundled
  sample) - which DDP averaged without a word, and the run recorded rank 0's source.

So before any rank decides, every rank joins the job's process group (:func:`join_job_process_group`: the one
Lightning's DDP then trains in), and rank 0 alone decides: it resolves the source and puts its files on disk
(:meth:`~trainlab.data.mnist_datamodule.MNISTDataModule.prepare_source`) while the others wait in a broadcast, then
they use its source (:meth:`~trainlab.data.mnist_datamodule.MNISTDataModule.use_source`) and the files it left,
deciding and downloading nothing. Where rank 0 fails to decide (a ``torchvision`` download that fails, a damaged
idx file), it broadcasts why before it raises: every other rank stops with a :class:`DataError` that quotes rank
0's error (exit status 2), instead of waiting for a rank 0 that will not come. A rank 0 that dies while deciding
(killed) leaves the others a lost connection, which they report the same way. The source the job trained on is
rank 0's, as ``status.json`` (``data_source``) and the hyper-parameter ``data/resolved_source`` record it.

A job in one process, and the rank processes trainlab starts itself (handed their job's source,
:mod:`trainlab.distributed.rank_processes`), do none of this.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from omegaconf import DictConfig

from trainlab.data.torchvision_mnist import one_line_cause
from trainlab.distributed.process_group_exit import leave_process_group_at_exit
from trainlab.distributed.rank_0_sweep_record import write_sweep_record
from trainlab.errors import DataError

log = logging.getLogger(__name__)

#: the rank that decides the job's data source and fetches its files
DECIDING_RANK = 0


def agreed_data_source(datamodule: Any, cfg: DictConfig, processes: int) -> str:
    """The source (``bundled`` | ``torchvision``) every rank of the job uses: rank 0's, decided there with its files
    on disk before any other rank goes on. Called by every rank; a :class:`DataError` on the others where rank 0
    failed to decide."""
    import torch.distributed as dist

    join_job_process_group(cfg, processes)
    exchange = exchange_group()
    rank = dist.get_rank()
    if rank == DECIDING_RANK:
        try:
            source = datamodule.prepare_source()
        except BaseException as error:
            share({"failed": one_line_cause(error)}, exchange)
            raise
        share({"source": source}, exchange)
        log.info("data.source=%s: DDP rank %d decided %s for the job's %d processes", datamodule.source,
                 DECIDING_RANK, source, processes)
        return source
    try:
        decided = share(None, exchange)
    except Exception as error:  # noqa: BLE001 - rank 0 gone: said as this rank's error, the cause chained
        raise DataError(f"DDP rank {rank} of {processes}: rank {DECIDING_RANK}, which decides data.source="
                        f"{datamodule.source} for the job's ranks, ended before deciding "
                        f"({one_line_cause(error)}); rank {DECIDING_RANK}'s output says why, where it could write "
                        "it") from error
    if "failed" in decided:
        raise DataError(f"DDP rank {rank} of {processes}: rank {DECIDING_RANK} could not obtain the data of "
                        f"data.source={datamodule.source} for the job's ranks, so this rank stops too; rank "
                        f"{DECIDING_RANK}'s error: {decided['failed']}")
    source = decided["source"]
    check_files_seen(datamodule, source, rank, processes)
    return source


def share(message: dict[str, Any] | None, group: Any) -> dict[str, Any]:
    """Rank 0's ``message``, on every rank of ``group`` (the others pass None and get it)."""
    import torch.distributed as dist

    carried = [message]
    dist.broadcast_object_list(carried, src=DECIDING_RANK, group=group)
    return carried[0]


def check_files_seen(datamodule: Any, source: str, rank: int, processes: int) -> None:
    """Full MNIST, which rank 0 found or downloaded, in this rank's ``data_dir`` too; else a :class:`DataError`
    (a ``data_dir`` local to each node of a job of several): this rank does not download it on its own, beside the
    other ranks of its node."""
    from trainlab.data.torchvision_mnist import raw_dir, torchvision_files_present

    if source == "torchvision" and not torchvision_files_present(datamodule.data_dir):
        raise DataError(f"DDP rank {rank} of {processes}: rank {DECIDING_RANK} trains on full MNIST (data.source="
                        f"{datamodule.source}), and its files are not in {raw_dir(datamodule.data_dir)} as this rank "
                        f"sees it (data.data_dir={datamodule.data_dir}); allowed: a data.data_dir that every node of "
                        "the job shares, or the four idx files placed there on each node")


@functools.cache
def exchange_group() -> Any:
    """The group the decision travels in: the job's own where it is ``gloo``; a ``gloo`` group of the same ranks
    beside an ``nccl`` one, whose broadcasts would need each rank's GPU chosen first - made once per process, by
    every rank's first job alike, and kept for the later jobs of a multirun."""
    import torch.distributed as dist

    return None if dist.get_backend() == "gloo" else dist.new_group(backend="gloo")


def join_job_process_group(cfg: DictConfig, processes: int) -> None:
    """Join the job's process group now, as Lightning's DDP would join it when fit starts - the same cluster
    environment, ranks, backend and timeout - so that Lightning finds it initialized and trains in it. Nothing
    where it is joined already (an earlier job of this process's multirun)."""
    import torch
    import torch.distributed as dist
    from lightning.fabric.plugins.collectives.torch_collective import default_pg_timeout
    from lightning.fabric.utilities.distributed import _init_dist_connection

    from trainlab.distributed.process_world import device_count

    if dist.is_initialized():
        return
    environment = cluster_environment()
    devices = device_count(cfg.trainer.get("devices", 1))
    # as Lightning's DDPStrategy.set_world_ranks (a no-op for the environments whose launcher sets the ranks)
    environment.set_global_rank(environment.node_rank() * devices + environment.local_rank())
    environment.set_world_size(processes)
    accelerator = cfg.trainer.get("accelerator")
    on_gpu = accelerator in ("gpu", "cuda") or accelerator in (None, "auto") and torch.cuda.is_available()
    backend = "nccl" if on_gpu else "gloo"  # as trainlab's ddp_strategy (gloo on CPUs) and Lightning's for a GPU
    _init_dist_connection(environment, backend, timeout=default_pg_timeout)
    # left in an exit handler, before the interpreter's teardown: a gloo group left to it could abort a rank on its
    # way out - also one that stops here because rank 0 could not decide (status -6, not 2; seen in CI runs)
    leave_process_group_at_exit()
    write_sweep_record()  # every rank's sweeper has written its multirun.yaml: rank 0's goes over them


def cluster_environment() -> Any:
    """The cluster environment Lightning's Trainer chooses for a job whose processes exist (its
    ``_AcceleratorConnector._choose_and_init_cluster_environment``, in the same order)."""
    from lightning.fabric.plugins.environments import (
        LightningEnvironment,
        LSFEnvironment,
        MPIEnvironment,
        SLURMEnvironment,
        TorchElasticEnvironment,
    )

    for kind in (TorchElasticEnvironment, SLURMEnvironment, LSFEnvironment, MPIEnvironment):
        if kind.detect():
            return kind()
    return LightningEnvironment()
