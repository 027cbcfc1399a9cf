"""Test helper: a Hydra callback that sends this process a real signal as a given job of a multirun ends, before
the launcher goes on to the next job - between the jobs of a sweep trained in the command's process.

    +hydra.callbacks.stop={_target_:signal_after_job.SignalAfterJob,job:0,signal:SIGINT}
"""

from __future__ import annotations

import os
import signal
from typing import Any

from hydra.core.utils import JobReturn
from hydra.experimental.callback import Callback
from omegaconf import DictConfig


class SignalAfterJob(Callback):
    def __init__(self, job: int, signal: str) -> None:
        self.job = job
        self.signum = getattr(signal_module, signal)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if config.hydra.job.num == self.job:
            os.kill(os.getpid(), self.signum)


signal_module = signal
