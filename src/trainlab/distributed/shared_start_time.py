"""One run directory for the ranks of a torchrun job: ``${now:...}`` is rank 0's start time in every rank.

torchrun starts ``train.py`` once per rank, and each composes the config and resolves the default ``hydra.run.dir``
(``outputs/runs/<date>_<time>``) - or a multirun's ``hydra.sweep.dir`` - from its own clock. Ranks that started in
different seconds (a slower node, a busy machine) made two run directories: rank 0's with the run, and one holding
only another rank's ``train.log``. So before Hydra runs (:func:`share_rank_0_start_time`, from ``train.py``), rank
0 puts its start time in the store that torchrun's agent serves to every worker of the job at ``MASTER_ADDR:
MASTER_PORT`` (``TORCHELASTIC_USE_AGENT_STORE``; torch's own process group meets there the same way, and the
agent makes a new one for each restart), the other ranks wait for it there, and Hydra's ``now`` resolver gives that
time in each rank.

A rank that waits longer than :data:`WAIT_S` (rank 0 never got this far) stops with the store's timeout error; torchrun
ends the other ranks of a job when one of them fails, so a rank 0 that was refused does not leave them waiting.
SLURM's tasks have no such store before they train: they resolve ``${now:...}`` each from its own clock, as before
(give them a ``hydra.run.dir`` of your own where their start may cross a second).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

#: the store key rank 0 puts its start time under (``time.time()``, as text)
KEY = "trainlab/start_time"
WAIT_S = 600.0  # how long a rank waits for rank 0's time: rank 0 imports as slowly as it does


def agent_store_address() -> tuple[str, int] | None:
    """``(host, port)`` of the store torchrun's agent serves to the workers of a job of several processes; None
    outside torchrun, or for a job of one process."""
    if os.environ.get("TORCHELASTIC_USE_AGENT_STORE") != "True" or int(os.environ.get("WORLD_SIZE", "1")) < 2:
        return None
    if "MASTER_ADDR" not in os.environ or "MASTER_PORT" not in os.environ or "RANK" not in os.environ:
        return None
    return os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])


def share_rank_0_start_time() -> None:
    """Under torchrun: rank 0's start time, to every rank's Hydra ``now`` resolver (see the module docstring)."""
    address = agent_store_address()
    if address is None:
        return
    import time

    from torch.distributed import TCPStore

    store = TCPStore(*address, is_master=False, timeout=timedelta(seconds=WAIT_S))
    if int(os.environ["RANK"]) == 0:
        store.set(KEY, repr(time.time()))
    pin_now(datetime.fromtimestamp(float(store.get(KEY).decode())))


def pin_now(moment: datetime) -> None:
    """Hydra's ``${now:<format>}`` resolves to ``moment`` in this process: its resolver (registered anew at each
    Hydra run and launch, ``hydra.core.utils.setup_globals``) reads ``datetime.now()`` from that module."""
    import hydra.core.utils

    class StartTime(datetime):
        @classmethod
        def now(cls, tz=None) -> datetime:  # noqa: ARG003 - datetime.now's signature
            return moment

    hydra.core.utils.datetime = StartTime
