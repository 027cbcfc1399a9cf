"""The log lines of a job that a launcher outside it started as several ``train.py`` processes (torchrun, SLURM's
tasks, a ``LOCAL_RANK`` launcher) are rank 0's, as in the rank processes trainlab starts itself
(:mod:`trainlab.distributed.rank_process`).

Each such rank runs under Hydra, which gives every process the job's logging: INFO lines on the console and in the
run's ``train.log``. Every rank then said ``MNIST source=...`` and ``completed; final metrics: ...`` - twice on the
terminal and in ``train.log`` for two ranks. In the other ranks, :func:`leave_log_lines_to_rank_0` keeps warnings and
errors only, on the console, each line prefixed with the rank; ``train.log`` is rank 0's alone.

A multirun runs in every rank too, and Hydra's basic launcher sets its own logging up again before the sweep's first
job and after each job, then says ``Launching N jobs locally`` and ``#0 : <overrides>``: its logger keeps warnings
only in the other ranks (a logger's own level outlasts Hydra's setups, which name the root logger alone), so these
lines too are rank 0's.
"""

from __future__ import annotations

import logging

#: Hydra's basic launcher's logger: ``Launching N jobs locally``, ``#0 : <overrides>``
HYDRA_LAUNCHER_LOGGER = "hydra._internal.core_plugins.basic_launcher"


class RankPrefix(logging.Formatter):
    """``[rank N]`` before each line the handler's own formatter makes."""

    def __init__(self, rank: int, formatter: logging.Formatter | None) -> None:
        super().__init__()
        self.rank, self.formatter = rank, formatter or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return f"[rank {self.rank}]{self.formatter.format(record)}"


def leave_log_lines_to_rank_0() -> None:
    """In a rank other than 0 of a job a launcher outside it started (see the module docstring): warnings and errors
    only, on the console, prefixed with the rank. Called at the start of a multirun and of each Hydra job (which
    sets its logging up anew)."""
    from trainlab.distributed.process_world import external_launcher, process_rank

    rank = process_rank()
    if rank == 0 or external_launcher() in (None, "trainlab"):
        return
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.FileHandler):  # the run's train.log: rank 0 writes it
            root.removeHandler(handler)
            handler.close()
            continue
        if not isinstance(handler.formatter, RankPrefix):
            handler.setFormatter(RankPrefix(rank, handler.formatter))
        handler.setLevel(max(handler.level, logging.WARNING))  # a library's logger of its own level too (Lightning's)
    root.setLevel(logging.WARNING)
    logging.getLogger(HYDRA_LAUNCHER_LOGGER).setLevel(logging.WARNING)
