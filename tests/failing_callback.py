"""Test helper: a callback whose training fails at run time (not a config error) at a given step."""

import os
import signal

import lightning as L


class FailAtStep(L.Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.step:
            raise RuntimeError(f"simulated crash at step {self.step}")


class FailAtStepOnRank(FailAtStep):
    """Fails in one DDP process only (``trainer.global_rank == rank``); the others go on into their next collective."""

    def __init__(self, step: int, rank: int) -> None:
        super().__init__(step)
        self.rank = rank

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_rank == self.rank:
            super().on_train_batch_start(trainer, pl_module, batch, batch_idx)


class KilledAtStepOnRank(L.Callback):
    """The DDP process of ``rank`` is killed from outside (SIGKILL, as the out-of-memory killer does) at ``step``."""

    def __init__(self, step: int, rank: int) -> None:
        self.step, self.rank = step, rank

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_rank == self.rank and trainer.global_step == self.step:
            os.kill(os.getpid(), signal.SIGKILL)


class RefuseWhen(L.Callback):
    """A refusal the job finds once its files are written (a trainlab ConfigError as training starts), where
    ``value`` (``${seed}``, say) equals ``refused``: as a data module of one's own that refuses its data as it
    loads (the project's MNIST module refuses its own before anything is written)."""

    def __init__(self, value, refused) -> None:
        self.value, self.refused = value, refused

    def on_train_start(self, trainer, pl_module) -> None:
        from trainlab.errors import ConfigError

        if self.value == self.refused:
            raise ConfigError(f"value={self.value} is refused by the job's own data; allowed: not {self.refused}")
