"""Test helper: a callback that sends this process a real signal when a given job of a multirun starts training.

    TRAINLAB_TEST_SIGNALS=1:SIGTERM,2:SIGKILL python train.py -m ... +callbacks.s={_target_:signal_in_job.SignalInJob}

sends SIGTERM at the first training step of job 1 and SIGKILL at that of job 2 (``hydra.job.num``);
``0:SIGTERM+SIGUSR2`` sends job 0 both, one after the other (SLURM's preemption of a submitit job). The jobs are
chosen by environment variable, so that the override naming the callback stays short in the job directory names.
"""

import os
import signal

import lightning as L
from hydra.core.hydra_config import HydraConfig

SIGNALS_VARIABLE = "TRAINLAB_TEST_SIGNALS"


class SignalInJob(L.Callback):
    def __init__(self) -> None:
        pairs = (entry.split(":") for entry in os.environ.get(SIGNALS_VARIABLE, "").split(",") if entry)
        self.signals = {int(job): [getattr(signal, name) for name in names.split("+")] for job, names in pairs}

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == 0:
            for signum in self.signals.get(HydraConfig.get().job.num, ()):
                os.kill(os.getpid(), signum)
