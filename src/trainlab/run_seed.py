"""The seed a training job starts from: its config's ``seed``, or for ``seed=null`` one drawn from the OS.

``seed=null`` promises a different start each time. Leaving the generators unseeded would not keep that promise in
a multirun: a job then continues the state the previous job of the same process left behind, so after a seeded job
(``-m seed=0,null``) the "unseeded" one would start from the same weights sweep after sweep. Instead the job draws
a seed from the OS's entropy, seeds every generator with it as ``seed=<it>`` would, logs it and records it in
``status.json`` (``drawn_seed``): ``seed=<it>`` repeats the run.

A DDP job started by ``train.py`` draws once for all its rank processes. Under a cluster launcher (``torchrun``,
``srun``) each rank process draws for itself: DDP starts every rank from rank 0's weights and rank 0's seed is the one
recorded, so ``seed=<it>`` repeats the start but not the other ranks' dropout masks.

A run resumed from a checkpoint draws nothing: its random state is the checkpoint's (``callbacks.rng_state``), and
its ``status.json`` keeps the seed its first session drew.
"""

from __future__ import annotations

import logging
import secrets

import lightning as L

from trainlab.config_validation import SEED_RANGE

log = logging.getLogger(__name__)


def draw_seed() -> int:
    """A seed from the OS's entropy, in the range ``seed`` accepts (0 to 2**32 - 1)."""
    low, high = SEED_RANGE
    return low + secrets.randbelow(high - low + 1)


def seed_generators(configured: int | None, *, resuming: bool, drawn: int | None = None, job: str = "",
                    says: bool = True) -> int | None:
    """Seed Python's, NumPy's and torch's generators as a job starts; return the seed (None: nothing seeded).

    ``configured``: the config's ``seed``. For ``seed=null`` a job that starts draws one - or takes ``drawn``, the
    seed its DDP job's process drew once for all its rank processes - and says so (``says``: the process that
    writes the job's log) under the name ``job``; a job resumed from a checkpoint (``resuming``) draws nothing.
    """
    if configured is None:
        if resuming:
            return None
        configured = draw_seed() if drawn is None else drawn
        if says:
            log.info("%sseed=null drew seed %d from the OS (seed=%d repeats the run)",
                     f"{job}: " if job else "", configured, configured)
    L.seed_everything(configured, workers=True, verbose=False)
    return configured
