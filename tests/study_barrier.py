"""Test helper: a callback that holds each process's first trial until every worker of a shared study has one.

    TRAINLAB_TEST_BARRIER=<dir>:<workers> python train.py -m ... +callbacks.b={_target_:study_barrier.WaitForWorkers}

At ``fit`` start each process writes ``<dir>/<pid>`` and waits until ``<workers>`` such files exist, so the workers'
trials overlap whatever the start-up times: a test of a shared study does not depend on timing luck.
"""

import os
import time
from pathlib import Path

import lightning as L

BARRIER_VARIABLE = "TRAINLAB_TEST_BARRIER"
TIMEOUT_S = 180


class WaitForWorkers(L.Callback):
    def on_fit_start(self, trainer, pl_module) -> None:
        directory, _, workers = os.environ[BARRIER_VARIABLE].rpartition(":")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / str(os.getpid())).touch()
        deadline = time.monotonic() + TIMEOUT_S
        while len(list(directory.iterdir())) < int(workers):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the other workers did not start a trial within {TIMEOUT_S} s")
            time.sleep(0.1)
