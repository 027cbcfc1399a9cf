"""Test helper: a callback that sends this process a real SIGTERM when training reaches a given step (and
:func:`stacks_get_sigterm_at`, the same for a stack trained in the test's process)."""

import contextlib
import os
import signal

import lightning as L


class SigtermAtStep(L.Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), signal.SIGTERM)


class SigtermOnceAtStep(SigtermAtStep):
    """As :class:`SigtermAtStep`, in the first run that reaches the step only: it leaves the file ``marker``, and
    sends nothing where that file is there (a finished sweep's later jobs, a resumed run, keep the override)."""

    def __init__(self, step: int, marker: str) -> None:
        super().__init__(step)
        self.marker = marker

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        from pathlib import Path

        if trainer.global_step == self.step and not Path(self.marker).exists():
            Path(self.marker).touch()
            os.kill(os.getpid(), signal.SIGTERM)


class SigtermToParentAtStep(SigtermAtStep):
    """In DDP rank 0: sends the job's process (this rank's parent, which started the ranks) a SIGTERM, or the
    signal named by ``signal`` (``SIGUSR2``: submitit's time-limit signal)."""

    def __init__(self, step: int, signal: str = "SIGTERM") -> None:
        super().__init__(step)
        self.signal = signal

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.step and trainer.global_rank == 0:
            os.kill(os.getppid(), getattr(signal, self.signal))


class SigintTwiceToParentAtStep(SigtermToParentAtStep):
    """In DDP rank 0: a Ctrl-C to the job's process, and another once this rank has taken the first in (it then
    stops after the step it is in - and has not finished): the job passes both on, the second while the ranks stop."""

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        import time

        if trainer.global_step == self.step and trainer.global_rank == 0:
            os.kill(os.getppid(), signal.SIGINT)
            time.sleep(0.5)  # the job passes it on; this rank's handler runs during the sleep
            os.kill(os.getppid(), signal.SIGINT)
            time.sleep(0.5)  # the second, passed on: this rank stops at once here


class SignalToJobAndRanksAtStep(SigtermToParentAtStep):
    """As SLURM signals every process of a job: each DDP rank sends itself the signal, rank 0 its parent too."""

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        super().on_train_batch_start(trainer, pl_module, batch, batch_idx)
        if trainer.global_step == self.step:
            os.kill(os.getpid(), getattr(signal, self.signal))


class SignalTwiceAtStep(SigtermAtStep):
    """Sends this process SIGINT twice in a row at the step: the second arrives while it is stopping."""

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)


class SignalTwiceAtStepOfJob(SignalTwiceAtStep):
    """As :class:`SignalTwiceAtStep`, in the sweep's job number ``job`` alone: the jobs before it finish."""

    def __init__(self, step: int, job: int) -> None:
        super().__init__(step)
        self.job = job

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        from hydra.core.hydra_config import HydraConfig

        if HydraConfig.get().job.num == self.job:
            super().on_train_batch_start(trainer, pl_module, batch, batch_idx)


class CtrlCOnceEveryJobTrains(L.Callback):
    """Each job of a sweep in worker processes marks ``<marks>/<its job number>`` when it trains; once ``jobs``
    marks are there, job 0 sends SIGINT to the whole process group - a terminal's Ctrl-C: the command's process and
    every worker get it while every job trains."""

    def __init__(self, marks: str, jobs: int) -> None:
        self.marks, self.jobs, self.sent = marks, jobs, False

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        from pathlib import Path

        from hydra.core.hydra_config import HydraConfig

        job = HydraConfig.get().job.num
        marks = Path(self.marks)
        marks.mkdir(parents=True, exist_ok=True)
        (marks / str(job)).touch()
        if job == 0 and not self.sent and len(list(marks.iterdir())) >= self.jobs:
            self.sent = True
            self.send()

    def send(self) -> None:
        os.killpg(os.getpgrp(), signal.SIGINT)


class SigintToTheCommandAlone(CtrlCOnceEveryJobTrains):
    """As :class:`CtrlCOnceEveryJobTrains`, but job 0 sends SIGINT to the command's process alone (``kill -INT
    <its pid>``, as a script or scheduler may): the workers get no signal."""

    def send(self) -> None:
        os.kill(int(os.environ["TRAINLAB_MULTIRUN_PID"]), signal.SIGINT)


class SigintToJob0sWorkerAlone(CtrlCOnceEveryJobTrains):
    """As :class:`CtrlCOnceEveryJobTrains`, but job 0 sends SIGINT to its own worker process alone: the command and
    the other workers get no signal and go on."""

    def send(self) -> None:
        os.kill(os.getpid(), signal.SIGINT)


class SleepInSetupOfJob(L.Callback):
    """Job ``job`` of a sweep marks ``<marks>/<job>`` in its set-up, before training, and then sleeps there: a
    Ctrl-C meanwhile finds it starting."""

    def __init__(self, marks: str, job: int, seconds: float) -> None:
        self.marks, self.job, self.seconds = marks, job, seconds

    def setup(self, trainer, pl_module, stage) -> None:
        import time
        from pathlib import Path

        from hydra.core.hydra_config import HydraConfig

        if HydraConfig.get().job.num == self.job:
            Path(self.marks).mkdir(parents=True, exist_ok=True)
            (Path(self.marks) / str(self.job)).touch()
            time.sleep(self.seconds)


class CtrlCAgainWhileSaving(CtrlCOnceEveryJobTrains):
    """As :class:`CtrlCOnceEveryJobTrains`, and job 0 sends the group a second SIGINT while it saves its stop's
    checkpoint: the command's process is waiting for the jobs then. 1.5 s after the first: the command has answered
    that one (submitit's wait runs its handler within a one-second poll; two signals before it are one)."""

    def on_save_checkpoint(self, trainer, pl_module, checkpoint) -> None:
        import time

        from hydra.core.hydra_config import HydraConfig

        if self.sent and HydraConfig.get().job.num == 0:
            time.sleep(1.5)
            os.killpg(os.getpgrp(), signal.SIGINT)

    def on_exception(self, trainer, pl_module, exception) -> None:
        """A search's trial that keeps no checkpoint saves none on its stop: the second SIGINT comes as it stops."""
        if getattr(exception, "saved", True) is False:
            self.on_save_checkpoint(trainer, pl_module, {})


class CtrlCTwiceEveryJobTrains(CtrlCOnceEveryJobTrains):
    """As :class:`CtrlCOnceEveryJobTrains`, but job 0 sends the group two SIGINTs ``seconds`` apart - two fast
    Ctrl-Cs: under submitit's local launcher both reach the command before its handler runs (within one of
    submitit's one-second polls), where Python's own handler counted them as one."""

    def __init__(self, marks: str, jobs: int, seconds: float = 0.05) -> None:
        super().__init__(marks, jobs)
        self.seconds = seconds

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        import time

        sent = self.sent
        super().on_train_batch_start(trainer, pl_module, batch, batch_idx)
        if self.sent and not sent:
            time.sleep(self.seconds)
            os.killpg(os.getpgrp(), signal.SIGINT)


class CtrlCAfterEveryJobsFit(L.Callback):
    """Each job of a sweep in worker processes marks ``<marks>/<its job number>`` at the end of its ``fit`` (after
    the interrupt callback's last check of fit, before the test starts) and waits there; once ``jobs`` marks are
    there, job 0 sends SIGINT to the whole process group and marks ``<marks>/sent``, on which the others go on: every
    job gets the signal between its fit and its test."""

    def __init__(self, marks: str, jobs: int) -> None:
        self.marks, self.jobs = marks, jobs

    def on_fit_end(self, trainer, pl_module) -> None:
        import time
        from pathlib import Path

        from hydra.core.hydra_config import HydraConfig

        job = HydraConfig.get().job.num
        marks = Path(self.marks)
        marks.mkdir(parents=True, exist_ok=True)
        (marks / str(job)).touch()
        while len([mark for mark in marks.iterdir() if mark.name != "sent"]) < self.jobs:
            time.sleep(0.05)
        if job == 0:
            os.killpg(os.getpgrp(), signal.SIGINT)
            (marks / "sent").touch()
        while not (marks / "sent").exists():
            time.sleep(0.05)


@contextlib.contextmanager
def stacks_get_sigterm_at(monkeypatch, step: int):
    """Within the block, a stack trained in this process (``train_stack``, the stacked launcher) sends it a real
    SIGTERM as its training reaches ``step``."""
    from trainlab.stacked.stacked_classifier import StackedClassifier

    def sigterm_at_step(self, batch, batch_idx):
        if self.global_step == step:
            os.kill(os.getpid(), signal.SIGTERM)

    with monkeypatch.context() as patch:
        patch.setattr(StackedClassifier, "on_train_batch_start", sigterm_at_step, raising=False)
        yield

