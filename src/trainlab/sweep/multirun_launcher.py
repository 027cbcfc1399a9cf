"""The launcher of the multirun Hydra runs in this process: what tells a job that trains in a worker process of
joblib or submitit's local launcher (:func:`trainlab.sweep.worker_stop.in_a_worker`), or in a job of submitit's
launchers (:func:`trainlab.sweep.submitit_refusal.in_a_submitit_job`), from a run of its own.
"""

from __future__ import annotations

from typing import Any


def multirun_launcher() -> Any:
    """The ``hydra.launcher`` node of the multirun whose job (or command) this process runs; None where Hydra runs
    no multirun here (no Hydra config yet, or a single run)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized():
        return None
    hydra_config = HydraConfig.get()
    return hydra_config.launcher if hydra_config.mode == RunMode.MULTIRUN else None
