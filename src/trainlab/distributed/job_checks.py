"""What is checked before a job of several DDP processes starts any: one-line config errors, nothing written.

* ``trainer.num_nodes > 1`` needs the processes of the other nodes, which only a cluster launcher can start
  (``hydra/launcher=submitit_slurm`` with ``nodes`` and ``tasks_per_node``).
* Under SLURM, the job's tasks are its processes: ``SLURM_NTASKS`` must equal ``trainer.devices ×
  trainer.num_nodes``, given per node (``SLURM_NTASKS_PER_NODE``: ``--ntasks-per-node``, which Lightning's
  ``SLURMEnvironment`` requires; ``--ntasks`` alone was its ``RuntimeError`` in a traceback).
* The project's datamodule must cut every global batch into equal per-process shares
  (:meth:`~trainlab.data.mnist_datamodule.MNISTDataModule.check_ddp_shares`). That decides ``data.source=auto``
  (a download tried, or the bundled sample), which the job's ranks are then handed
  (:mod:`trainlab.distributed.rank_processes`): they neither download nor decide again. Ranks that a launcher
  outside the job started (torchrun, SLURM) each run this check: rank 0 alone decides, and the others take its
  source and its files (:mod:`trainlab.distributed.agreed_data_source`).

* Under torchrun (or a launcher of one's own that sets ``LOCAL_RANK``), the processes it started are the job's:
  ``WORLD_SIZE`` must equal ``trainer.devices × trainer.num_nodes`` (:func:`check_launched_processes`). With
  ``trainer.devices=1`` each process trained the whole run on its own into one directory; with another count
  Lightning stopped every process with a traceback.

* A search (``hparams_search=...``, the Optuna sweeper) runs in one process, which asks the study for each trial:
  started by torchrun or SLURM as several ``train.py`` processes, each ran a search of its own
  (:func:`check_search_in_one_process`).

The number of GPUs is checked with the other values of the config (:mod:`trainlab.config_validation`).
"""

from __future__ import annotations

import os

from omegaconf import DictConfig

from trainlab.config_instantiation import instantiate_key
from trainlab.errors import ConfigError
from trainlab.own_targets import MNIST_DATAMODULE


def check_ddp_job(cfg: DictConfig, processes: int, launched_by: str | None) -> str | None:
    """Raise :class:`ConfigError` when a job of ``processes`` DDP processes cannot run as configured; return the
    data source the project's datamodule resolved for the check (``bundled`` | ``torchvision``), None for another
    data module."""
    devices, num_nodes = cfg.trainer.get("devices"), int(cfg.trainer.get("num_nodes", 1) or 1)
    if num_nodes > 1 and launched_by is None:
        raise ConfigError(
            f"trainer.num_nodes={num_nodes} needs one process per device on each node, started by a cluster "
            f"launcher; allowed: trainer.num_nodes=1 here, or hydra/launcher=submitit_slurm "
            f"hydra.launcher.nodes={num_nodes} hydra.launcher.tasks_per_node={devices} (docs/ddp.md)")
    if launched_by == "SLURM":
        tasks = int(os.environ["SLURM_NTASKS"])
        if tasks != processes:
            raise ConfigError(
                f"trainer.devices={devices} x trainer.num_nodes={num_nodes} = {processes} DDP processes, but this "
                f"SLURM job has SLURM_NTASKS={tasks} tasks; allowed: one task per device, "
                f"hydra.launcher.tasks_per_node={devices} hydra.launcher.nodes={num_nodes}")
        if "SLURM_NTASKS_PER_NODE" not in os.environ:  # Lightning's SLURM environment refuses it, in a traceback
            raise ConfigError(
                f"this SLURM job has SLURM_NTASKS={tasks} tasks but no SLURM_NTASKS_PER_NODE (sbatch/srun --ntasks "
                f"alone), which Lightning's DDP does not support; allowed: --ntasks-per-node={devices} "
                f"--nodes={num_nodes} in the job script, or hydra/launcher=submitit_slurm "
                f"hydra.launcher.tasks_per_node={devices} hydra.launcher.nodes={num_nodes}")
    if cfg.data.get("_target_") != MNIST_DATAMODULE:
        return None
    datamodule = instantiate_key(cfg, "data")
    if launched_by not in (None, "trainlab"):  # every rank of the job is here: rank 0 decides for them all
        from trainlab.distributed.agreed_data_source import agreed_data_source

        datamodule.use_source(agreed_data_source(datamodule, cfg, processes))
    datamodule.check_ddp_shares(processes)
    return datamodule.resolve_source()


def check_search_in_one_process(config: DictConfig) -> None:
    """Raise :class:`ConfigError` for a search (the Optuna sweeper of ``hparams_search=...``) in a process that
    torchrun, SLURM or a launcher of one's own started as one of several ``train.py`` processes; ``config`` is the
    multirun's config with its ``hydra`` node. Each such process ran a search of its own: rank 0 made the study and
    asked its first trials, rank 1 found the study holding them and stopped (``already holds the study``), and rank
    0 waited for it until torchrun killed it. A search gives each trial its DDP processes itself: ``trainer=ddp``
    in the one process that runs it."""
    from trainlab.distributed.process_world import launched_processes
    from trainlab.sweep.stopped_sweep import is_search

    if not is_search(config.hydra):
        return
    launcher, processes = launched_processes()
    if processes < 2:  # one process (a LOCAL_RANK without WORLD_SIZE says no more than that)
        return
    by = started_by(launcher)
    raise ConfigError(
        f"a search (hydra/sweeper={config.hydra.runtime.choices.get('hydra/sweeper')}) runs in one process, and "
        f"{by} started {processes} train.py processes: each would run a search of its own; nothing was written. "
        f"allowed: the same command as one process - python train.py ... - with trainer=ddp "
        f"trainer.devices={processes} for DDP trials (trainlab starts each trial's processes itself)")


def check_launched_processes(trainer: DictConfig) -> None:
    """Raise :class:`ConfigError` where torchrun (or a ``LOCAL_RANK`` launcher) started another number of
    ``train.py`` processes (``WORLD_SIZE``) than ``trainer.devices × trainer.num_nodes`` trains in. Every process
    refuses alike, so none waits for another; SLURM's task count is checked by :func:`check_ddp_job`."""
    from trainlab.distributed.process_world import device_count, launched_processes

    launcher, started = launched_processes()
    if launcher in (None, "SLURM") or "WORLD_SIZE" not in os.environ:
        return
    devices, nodes = trainer.get("devices", 1), int(trainer.get("num_nodes", 1) or 1)
    processes = device_count(devices) * nodes
    if started == processes:
        return
    by = started_by(launcher)
    what = ("each would train the whole run on its own, into one directory" if processes == 1 else
            f"Lightning's DDP trains in trainer.devices={devices} x trainer.num_nodes={nodes} = {processes}")
    fit = f"trainer=ddp trainer.devices={started // nodes}" if started % nodes == 0 else "trainer=ddp"
    nodes_kept = f" trainer.num_nodes={nodes}" if nodes > 1 else ""
    per_node = f"torchrun --nproc_per_node={device_count(devices)}" if by == "torchrun" else f"{processes} processes"
    other = "the command as one process (python train.py ..., without torchrun)" if processes == 1 else per_node
    raise ConfigError(f"{by} started {started} train.py processes (WORLD_SIZE={started}), and {what}; nothing was "
                      f"written. allowed: {fit}{nodes_kept}, or {other}")


def started_by(launcher: str) -> str:
    """Who started this process, as a refusal says it: ``torchrun`` (which sets ``LOCAL_RANK`` too, so that
    :func:`~trainlab.distributed.process_world.external_launcher` names a launcher of one's own first), ``SLURM``,
    or ``a launcher``."""
    return "torchrun" if "TORCHELASTIC_RUN_ID" in os.environ else {"SLURM": "SLURM"}.get(launcher, "a launcher")
