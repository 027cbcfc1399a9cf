"""Test helper: a callback that sends this process a real SIGTERM when training reaches a given step."""

import os
import signal

import lightning as L


class SigtermAtStep(L.Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), signal.SIGTERM)


class SigtermToParentAtStep(SigtermAtStep):
    """In DDP rank 0: sends the job's process (this rank's parent, which started the ranks) a SIGTERM."""

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.step and trainer.global_rank == 0:
            os.kill(os.getppid(), signal.SIGTERM)


class SignalTwiceAtStep(SigtermAtStep):
    """Sends this process SIGINT twice in a row at the step: the second arrives while it is stopping."""

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
