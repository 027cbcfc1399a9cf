"""Ctrl-C (SIGINT) or SIGTERM: finish the current step, save ``last.ckpt``, stop with a resume hint.

In a submitit job the signal on which submitit requeues the job (SIGUSR2, at its time limit or a preemption) is
answered the same way; the job is then requeued and resumes from the checkpoint (:mod:`trainlab.submitit_requeue`).

The signal only sets a flag; the run stops at the next step boundary (a training step - with
``trainer.accumulate_grad_batches`` > 1 the next batch that steps the optimizer, and after the epoch's last batch the
next epoch's first (:func:`not_a_resumable_step`) -, or a batch of the test that follows training; a signal during the
last validation stops the run before its test), where model, optimizer, data loader and RNG states are consistent, by
saving ``<checkpoint dir>/last.ckpt`` (atomically) and raising
:class:`TrainingInterrupted`. ``train.py`` turns that into a message saying how to resume and exit status
128 + signal number. A second signal while stopping ends the process at once, as the signal's default action does
(exit status 128 + signal number, no checkpoint or status written; ``resume_sweep=true`` / ``ckpt_path`` resume from
what was saved before). A single run says so, as the first signal's stop does: the ``last.ckpt`` (or
``epoch_NNN.ckpt``) an earlier epoch left and the command that resumes from it, or that nothing was saved and the
same command trains the run anew (:func:`at_once_words`); a grid sweep trained in the command's process (basic and
stacked launchers) prints the command that finishes it (:func:`at_once_last_line`).

A stop after a training step first writes what that step logged (``train/loss`` on a
``trainer.log_every_n_steps`` step, ...): Lightning writes a step's logs only after the ``on_train_batch_end``
hooks, where the run stops, and the resumed run goes on with the next step - without this the stopped step's
points were missing from the run's curves and from its ``status.json`` (:func:`write_step_logs`).

The end of a run is guarded too (one process; :meth:`GracefulShutdown.hold_until_released`, which the training task
calls): the handlers stay installed from the end of ``fit`` until the run's ``status.json`` is written, so a signal
between fit's end and the test's start - or after the test's last batch - is answered at the next boundary (the test's
first batch, or :meth:`GracefulShutdown.stop_if_signalled` where ``train`` ends the run) as one during the test:
checkpoint, ``interrupted`` status, resume command. Python's own handler took it there before: a KeyboardInterrupt
that Lightning turned into exit status 1, with neither a status nor a resume command.

A checkpoint saved during the test holds the model as the test found it: the states of its torchmetrics metrics are
put back to their values at the test's start before it is saved (they are persistent: a resume that reran the test
from its first batch counted the interrupted test's batches twice - ``test/acc=0.4721`` on 500 test images). The
resumed run trains nothing more and tests from the start.

Under DDP the processes agree at every step boundary whether any of them received a signal (one all-reduce of a
flag per step): they stop at the same step and save the checkpoint together (the process of rank 0 writes it).

A trial of a search saves none where its config keeps no checkpoint (``callbacks.last_checkpoint: null`` and no
``model_checkpoint`` that keeps one, as ``hparams_search=random`` / ``tpe`` set: "many small jobs: no checkpoints"):
a search never resumes a trial from the checkpoint of its stop - it tells the trial ``interrupted`` and a resume
(``resume_sweep=true``) asks new trials in its place, which train from the start - so that checkpoint was never read
(540 KB per trial, ~54 MB for experiment I's 100 trials). A trial whose config keeps checkpoints saves as any run
does (``ckpt_path=last hydra.run.dir=<the trial's directory>`` trains it on alone), and so does one that submitit
requeues (SIGUSR2), which resumes from it (:mod:`trainlab.submitit_requeue`): :meth:`GracefulShutdown.saves_on_stop`.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from torchmetrics import Metric

from trainlab.signal_exit import end_as_signal
from trainlab.startup_interrupt import end_startup
from trainlab.submitit_requeue import one_stop, submitit_signal
from trainlab.sweep.worker_stop import SweepStopWatch, sweep_stop_watch

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def handled_signals() -> tuple[int, ...]:
    """SIGINT, SIGTERM and, in a submitit job, the signal on which submitit requeues it (SIGUSR2: its time limit or
    a preemption; :mod:`trainlab.submitit_requeue` hands it on to submitit after the checkpoint is saved)."""
    requeue = submitit_signal()
    return SIGNALS if requeue is None else (*SIGNALS, requeue)


def stop_at_once(signum: int, words: str | None = None) -> None:
    """End the process as the signal's default action does (exit status 128 + signum in a shell), with no
    checkpoint or status written: a KeyboardInterrupt would reach Lightning, which turns it into exit status 1.
    ``words``, where given, are the process's last line (:func:`at_once_words`)."""
    log.warning("received %s again: stopping at once, without a checkpoint", signal.Signals(signum).name)
    if words is not None:
        print(words, file=sys.stderr)
    end_as_signal(signum)


def at_once_last_line(checkpoints: Path) -> Callable[[], str] | None:
    """What a second signal ends this process's run with: for a single run (rank 0's), :func:`at_once_words` of its
    checkpoints in ``checkpoints``; for a job of a grid sweep trained in the command's process (the basic and the
    stacked launcher), the command that finishes the sweep - such a command ended on the warning alone. None where
    another process says it (a worker's job: the command, :mod:`trainlab.sweep.stop_at_once`), a search (its last
    words say how to continue it) or where Hydra did not start the run."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from trainlab.preflight import writes_run_files
    from trainlab.shell_override import finish_sweep_line
    from trainlab.sweep.stopped_sweep import is_search
    from trainlab.sweep.worker_stop import in_a_worker

    if not HydraConfig.initialized() or not writes_run_files():
        return None
    hydra_config = HydraConfig.get()
    if hydra_config.mode == RunMode.RUN:
        run_dir = hydra_config.runtime.output_dir
        return lambda: at_once_words(checkpoints, run_dir)
    if in_a_worker() or is_search(hydra_config):
        return None
    finish = finish_sweep_line(hydra_config.sweep.dir)  # read here, not in the signal handler
    return lambda: ("what was training keeps the checkpoints it saved before this step (at an earlier epoch's end), "
                    f"if any.\n{finish}")


def at_once_words(checkpoints: Path, run_dir: str) -> str:
    """What a single run stopped at once has left in ``checkpoints``: its ``last.ckpt`` (or, without one, its newest
    ``epoch_NNN.ckpt``) from before this step, and the command that goes on from it - or, without any, that the same
    command trains it anew (a run that recorded no end and saved no checkpoint:
    :func:`trainlab.run_dir.killed_before_recording`)."""
    from trainlab.shell_override import resume_command

    last = checkpoints / "last.ckpt"
    try:  # a checkpoint's unfinished temporary (.last.ckpt.tmp-<hex>) is no match
        kept = [path for path in checkpoints.glob("*.ckpt") if path.is_file()]
    except OSError:
        kept = []
    if not kept:
        return ("no checkpoint was saved: the same command trains the run anew in its directory, its files moved to "
                "attempts/")
    newest = last if last in kept else max(kept, key=lambda path: path.stat().st_mtime)
    try:
        resume = resume_command(run_dir, "last" if newest == last else str(newest))
    except Exception as error:  # noqa: BLE001 - the process ends at once all the same: said, not raised
        resume = f"(the command to resume it could not be made: {type(error).__name__}: {error})"
    return f"kept: {newest}, saved before this step (at an earlier epoch's end or stop).\n{resume}"


def in_a_search() -> bool:
    """Whether this run is a trial of trainlab's search (Hydra's sweeper; a DDP rank process runs outside Hydra:
    its job decides for it)."""
    from hydra.core.hydra_config import HydraConfig

    from trainlab.sweep.stopped_sweep import is_search

    return HydraConfig.initialized() and is_search(HydraConfig.get())


def not_a_resumable_step(trainer: L.Trainer, requeued: bool = False) -> str | None:
    """Why a stop saved after the training batch that just ended would not resume as the run goes on unstopped (the
    line that says how long the stop waits), or None where it does:

    * the batch only accumulated its gradients (``trainer.accumulate_grad_batches`` > 1, before the batch of the
      optimizer step): a checkpoint holds no gradients, so the resumed run's next step summed fewer batches - other
      weights than a run never stopped. The stop waits for the batch that steps.
    * a validation follows the batch (``trainer.val_check_interval``), or it was the epoch's last batch: Lightning
      resumes such a checkpoint past that validation and past what ends the epoch - ``train/acc`` (whose counts then
      ran on into the next epoch's), the epoch's schedule step and checkpoint. The stop waits for the next training
      step after them (the end of ``fit`` where the run ends there).

    Not waited for: the epoch's end where a submitit job is to be requeued (``requeued``: its scheduler kills it a
    fixed time after the signal, which a validation may outlast - a checkpoint is kept, a few numbers differ), nor
    under DDP where ``fit`` ends after this batch (its processes no longer agree at ``fit``'s end: the stop would
    be lost).
    """
    loop = trainer.fit_loop.epoch_loop
    if trainer.accumulate_grad_batches > 1 and loop._should_accumulate():
        return (f"trainer.accumulate_grad_batches={trainer.accumulate_grad_batches}: the stop waits for the batch "
                "that steps the optimizer (a checkpoint holds no accumulated gradients)")
    if requeued or (trainer.world_size > 1 and fit_ends_after_this_batch(trainer)):
        return None
    fetcher = getattr(trainer.fit_loop, "_data_fetcher", None)
    validates = fetcher is not None and loop._should_check_val_fx(fetcher)
    if validates or loop.batch_progress.is_last_batch:
        return (f"{'a validation follows' if validates else 'the epoch ends after'} this batch: the stop waits for "
                "it and saves after the next training step (or at the end of training)")
    return None


def fit_ends_after_this_batch(trainer: L.Trainer) -> bool:
    """Whether ``fit`` ends after the training batch that just ended: its last epoch's last batch,
    ``trainer.max_steps`` reached, or a stop request made."""
    max_steps, max_epochs = trainer.max_steps, trainer.max_epochs
    if (max_steps not in (None, -1) and trainer.global_step >= max_steps) or trainer.should_stop:
        return True  # should_stop: a stop request (trainer.max_time's timer, early stopping) ends it too
    return bool(trainer.fit_loop.epoch_loop.batch_progress.is_last_batch and max_epochs not in (None, -1)
                and trainer.current_epoch + 1 >= max_epochs)


def stopped_early(trainer: L.Trainer) -> bool:
    """Whether early stopping has ended the run's training: a stop request (``trainer.should_stop``) that ``fit``
    honours (``trainer.min_epochs`` / ``min_steps`` met), made by an ``EarlyStopping`` callback (not
    ``trainer.max_time``'s timer: more time given, its run trains on)."""
    from lightning.pytorch.callbacks import EarlyStopping

    return bool(trainer.should_stop and trainer.fit_loop._can_stop_early
                and any(isinstance(callback, EarlyStopping) and asked_to_stop(callback)
                        for callback in trainer.callbacks))


def asked_to_stop(callback: object) -> bool:
    """Whether an ``EarlyStopping`` callback has asked to stop (its reason, where its Lightning records one; else
    its epoch of stopping or its patience run out - an early stop at epoch 0 leaves ``stopped_epoch`` 0)."""
    reason = getattr(callback, "stopping_reason", None)
    if reason is not None:
        return getattr(reason, "name", str(reason)) not in ("NOT_STOPPED", "None")
    return callback.stopped_epoch > 0 or callback.wait_count >= callback.patience


def budget(trainer: L.Trainer) -> tuple[int | None, int | None]:
    """``(trainer.max_epochs, trainer.max_steps)``."""
    return trainer.max_epochs, trainer.max_steps


def fit_stopped_early(checkpoint: dict, now: tuple[int | None, int | None] | None) -> bool:
    """Whether ``checkpoint`` is a stop's, saved after its run's ``fit`` had ended on a stop request (early
    stopping), and the budget ``now`` - ``(max_epochs, max_steps)`` of the resuming run - is the one it ran with:
    the record :meth:`GracefulShutdown.state_dict` keeps among the checkpoint's callback states. Its resume trains
    no more and tests the model its last session validated; one with another budget (raised to train on) trains as
    Lightning resumes it."""
    states = checkpoint.get("callbacks") if isinstance(checkpoint, dict) else None
    return any(stop_record_holds(state, now) for state in (states.values() if isinstance(states, dict) else ()))


def stop_record_holds(state: object, now: tuple[int | None, int | None] | None) -> bool:
    """Whether a callback's checkpointed ``state`` is :meth:`GracefulShutdown.state_dict`'s record of a stop after
    early stopping, made under the budget ``now``."""
    return (isinstance(state, dict) and state.get("fit_stopped_early") is True and now is not None
            and list(now) == state.get("budget"))


def write_step_logs(trainer: L.Trainer) -> None:
    """Hand what the finished training step logged to the loggers and ``trainer.callback_metrics``, as Lightning
    does after the ``on_train_batch_end`` hooks (its logger connector, a private attribute: the same calls, in the
    same order, so the step is written exactly when an uninterrupted run writes it - every
    ``trainer.log_every_n_steps`` steps - at the step number it writes it with)."""
    connector = trainer._logger_connector
    connector.on_batch_end()
    connector.update_train_step_metrics()


#: what a search's trial that saved no checkpoint on its stop says instead of the file (module docstring)
# (no resume_sweep=true in it: the search's own last line is the one command to paste)
NOT_SAVED = ("no checkpoint saved: a search's trial whose config keeps none is never resumed (the search's resume asks "
             "a new trial in its place)")


class TrainingInterrupted(Exception):
    """Training stopped on a signal after saving ``checkpoint`` - or, where ``saved`` is false (a search's trial
    that keeps no checkpoint: :meth:`GracefulShutdown.saves_on_stop`), without saving the file it names."""

    def __init__(self, signum: int, checkpoint: Path, step: int, saved: bool = True) -> None:
        self.signum, self.checkpoint, self.step, self.saved = signum, checkpoint, step, saved
        self.requeued = False  # set when submitit requeues the job, which then resumes from ``checkpoint``
        super().__init__(self.saved_as(checkpoint))

    def saved_as(self, checkpoint: Path) -> str:
        """The interrupt's line for a run that saved ``checkpoint`` (a stack's members each save their own)."""
        return f"{signal.Signals(self.signum).name} at step {self.step}; {self.what_was_saved(checkpoint)}"

    def stop_line(self) -> str:
        """The line a stopped run ends with: ``SIGINT: stopped at step 40, saved <its last.ckpt>``."""
        saved = self.what_was_saved(self.checkpoint)
        return f"{signal.Signals(self.signum).name}: stopped at step {self.step}, {saved}"

    def what_was_saved(self, checkpoint: Path) -> str:
        return f"saved {checkpoint}" if self.saved else NOT_SAVED


def metric_states(module: L.LightningModule) -> dict[tuple[Metric, str], object]:
    """A copy of the state of every torchmetrics metric of ``module`` (what :meth:`GracefulShutdown.save_checkpoint`
    puts back during the test)."""
    states = {}
    for metric in module.modules():
        if isinstance(metric, Metric):
            for name, value in metric.metric_state.items():  # its states (torchmetrics' add_state)
                states[metric, name] = [v.clone() for v in value] if isinstance(value, list) else value.clone()
    return states


class GracefulShutdown(L.Callback):
    """Installs SIGINT/SIGTERM handlers for the duration of ``fit`` and of the test after it - with
    :meth:`hold_until_released`, from ``fit``'s start until :meth:`release` (see the module docstring)."""

    def __init__(self, dirpath: str) -> None:
        self.dirpath = Path(dirpath)
        self.received: int | None = None
        self._previous: dict[int, object] = {}
        self._trainer: L.Trainer | None = None
        self._requeue: int | None = None  # submitit's requeue signal, in a submitit job
        self._holds = False  # keep the handlers from fit's end on, until release() (hold_until_released)
        self._test_start_metrics: dict[tuple[Metric, str], object] = {}  # metric states as the test found them
        self._sweep_stop: SweepStopWatch | None = None  # a worker's job: its sweep's stop mark (sweep/worker_stop.py)
        self._resume: Callable[[], str] | None = None  # the last line on a second signal (at_once_last_line)
        self._told_waits: set[str] = set()  # the lines of why the stop waits past a batch (not_a_resumable_step)
        self._loaded_state: dict | None = None  # the resumed checkpoint's record of this callback (state_dict)
        self._saving_stop = False  # while the stop saves its checkpoint (state_dict)

    def _handle(self, signum, frame) -> None:
        if self.received is not None:
            if one_stop(self.received, signum, self._requeue):  # SLURM's SIGTERM and submitit's signal
                self.received = self._requeue  # the stop is submitit's: the job is requeued after the save
                log.warning("received %s too: submitit requeues the job after this step's checkpoint",
                            signal.Signals(signum).name)
                return
            # second signal: give up waiting for the step boundary
            stop_at_once(signum, None if self._resume is None else self._resume())
        self.received = signum
        if signum == signal.SIGTERM and self._trainer is not None:
            # Lightning's own SIGTERM handler, which runs just before this one, makes its loops leave at their next
            # check - between validation batches, or right after an epoch - with an exit of status 0 and neither a
            # checkpoint nor a status. This callback stops the run itself at the next training step, so Lightning's
            # flag is cleared (a private attribute: the worst a Lightning change can do is bring its early exit back).
            connector = getattr(self._trainer, "_signal_connector", None)
            if connector is not None and hasattr(connector, "received_sigterm"):
                connector.received_sigterm = False
        log.warning("received %s: stopping after this step%s (again to stop at once)", signal.Signals(signum).name,
                    self._and_saving())

    def on_fit_start(self, trainer, pl_module) -> None:
        self._install_handlers(trainer)

    def _install_handlers(self, trainer: L.Trainer) -> None:
        self._trainer = trainer
        if self._previous:  # still installed since fit (hold_until_released): the handlers to put back stay noted
            return
        end_startup()  # train.py's start-up handler gives way to this one (and is not the one put back)
        self._sweep_stop = sweep_stop_watch()
        self._requeue = submitit_signal()  # while submitit's handler is still installed
        self._resume = at_once_last_line(self.dirpath)  # the run's config read here, not in the signal handler
        for signum in handled_signals():
            self._previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self._handle)

    def state_dict(self) -> dict:
        """What a checkpoint records of this callback: for the stop's own checkpoint saved after early stopping had
        ended the run's ``fit`` (a signal during the validation that stopped early, or after fit's end), that it had,
        with the run's budget - such a stop resumed into more epochs: Lightning does not save the request, and the
        resumed run trained until early stopping asked again. Any other checkpoint records nothing (Lightning keeps
        no entry for an empty state): a completed run, one stopped by ``trainer.max_time``, or one resumed with a
        larger budget trains on, as before."""
        trainer = self._trainer
        if not (self._saving_stop and trainer is not None and stopped_early(trainer)):
            return {}
        return {"fit_stopped_early": True, "budget": list(budget(trainer))}

    def load_state_dict(self, state_dict: dict) -> None:
        self._loaded_state = state_dict  # judged at on_train_start, against the resuming run's budget

    def on_train_start(self, trainer, pl_module) -> None:
        loaded, self._loaded_state = self._loaded_state, None
        if stop_record_holds(loaded, budget(trainer)):  # a stop saved after fit had ended
            log.info("the run's training had ended (a stop request: early stopping) before it was stopped: it "
                     "trains no more and goes on to its test")
            trainer.should_stop = True
        # Under DDP, Lightning's SIGTERM handler (installed after on_fit_start, calling this callback's after its
        # own) runs a collective broadcast inside the signal handler - wherever each process happens to be when the
        # signal lands, which deadlocks processes that all got the signal. This callback's handler alone decides
        # there; the processes agree at the step boundary (on_train_batch_end).
        if trainer.world_size > 1:
            signal.signal(signal.SIGTERM, self._handle)

    def _restore_handlers(self) -> None:
        # Lightning notes the handlers it finds when a stage starts - this callback's, installed at on_fit_start -
        # and puts them back at its teardown, after on_exception: its note is corrected, or an interrupted run left
        # this handler installed for the rest of the process (a private attribute, as above)
        noted = getattr(getattr(self._trainer, "_signal_connector", None), "_original_handlers", None)
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
            if isinstance(noted, dict) and noted.get(signum) == self._handle:
                noted[signum] = handler
        self._previous.clear()

    def _and_saving(self, trainer: L.Trainer | None = None) -> str:
        trainer = trainer or self._trainer
        return " and saving a checkpoint" if trainer is None or self.saves_on_stop(trainer) else (
            " without a checkpoint, as a search's trial that keeps none")

    def saves_on_stop(self, trainer: L.Trainer) -> bool:
        """Whether the stop saves a checkpoint: always, but in a search's trial whose config keeps none, which no
        one resumes (module docstring); submitit's requeue signal resumes any job from it."""
        if self._requeue is not None and self.received == self._requeue:
            return True
        return not (in_a_search() and not self.keeps_checkpoints(trainer))

    def keeps_checkpoints(self, trainer: L.Trainer) -> bool:
        """Whether the run's config keeps checkpoints where this callback saves: a ``ModelCheckpoint`` writing to
        its directory that keeps a file (``callbacks.last_checkpoint``, or ``model_checkpoint`` with a
        ``save_top_k`` or ``save_last``). A stack's answers for its members."""
        return any(isinstance(callback, ModelCheckpoint) and callback.dirpath is not None
                   and Path(callback.dirpath).resolve() == self.dirpath.resolve()
                   and (callback.save_top_k != 0 or bool(callback.save_last))
                   for callback in trainer.checkpoint_callbacks)

    def save_checkpoint(self, trainer: L.Trainer) -> Path:
        """Save what a resume needs at this step boundary; returns the checkpoint file."""
        path = self.dirpath / "last.ckpt"
        trainer.save_checkpoint(path, weights_only=False)
        return path

    def on_train_batch_end(self, trainer: L.Trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self._signalled(trainer):
            requeued = self._requeue is not None and self.received == self._requeue
            if (wait := not_a_resumable_step(trainer, requeued)) is not None:
                if wait not in self._told_waits:
                    log.warning("%s", wait)
                    self._told_waits.add(wait)
                return
            write_step_logs(trainer)  # the resumed run starts after this step: its logs are written now or never
            self._stop(trainer)

    def _stop_if_signalled(self, trainer: L.Trainer) -> None:
        """At a step boundary: when a signal came (to any process), save and raise :class:`TrainingInterrupted`."""
        if self._signalled(trainer):
            self._stop(trainer)

    def _signalled(self, trainer: L.Trainer) -> bool:
        """Whether a signal came, to this process or (under DDP) to any of the job's: all of them then stop. A
        worker's job also stops as on the signal that stopped its sweep, which its process may not have got."""
        if self.received is None and self._sweep_stop is not None:
            signum = self._sweep_stop.stopped()
            if signum is not None:
                self.received = signum
                log.warning("the sweep was stopped (%s to the command): stopping after this step%s",
                            signal.Signals(signum).name, self._and_saving(trainer))
        if trainer.world_size > 1:  # stop together: a process that stopped alone would hang the others
            if not trainer.strategy.reduce_boolean_decision(self.received is not None, all=False):
                return False
            if self.received is None:  # another process got the signal first: stop as it does
                self.received = signal.SIGTERM
        return self.received is not None

    def _stop(self, trainer: L.Trainer) -> None:
        """Save at this step boundary and raise :class:`TrainingInterrupted`."""
        # once the test began (during it, or after its end): the model as the test found it, which a resume tests
        # again from the first batch
        for (metric, name), value in self._test_start_metrics.items():
            setattr(metric, name, value)
        saves = self.saves_on_stop(trainer)
        self._saving_stop = True  # state_dict: this checkpoint is the stop's
        try:
            path = self.save_checkpoint(trainer) if saves else self.dirpath / "last.ckpt"
        finally:
            self._saving_stop = False
        self._restore_handlers()
        raise TrainingInterrupted(self.received, path, trainer.global_step, saved=saves)

    def on_fit_end(self, trainer, pl_module) -> None:
        # a signal during the last validation: the run stops before its test (one process: Lightning calls this
        # hook after its strategy's teardown, where processes no longer agree by a collective call)
        if trainer.world_size == 1:
            self._stop_if_signalled(trainer)
        if not self._keeps_handlers(trainer):
            self._restore_handlers()

    # the test after training is guarded too: Lightning's own Ctrl-C handling there exited with status 1 and left
    # neither a status nor a resume command
    def on_test_start(self, trainer, pl_module) -> None:
        self._install_handlers(trainer)
        self._test_start_metrics = metric_states(pl_module)
        self._stop_if_signalled(trainer)  # one that came between fit's end and here: nothing of the test is run

    def on_test_batch_end(self, trainer: L.Trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        self._stop_if_signalled(trainer)

    def on_test_end(self, trainer, pl_module) -> None:
        self._stop_if_signalled(trainer)
        if not self._keeps_handlers(trainer):
            self._restore_handlers()

    def on_exception(self, trainer, pl_module, exception) -> None:
        self._restore_handlers()

    # ---- the end of a run, for the training task (train.py) -------------------------------------------------------
    def hold_until_released(self) -> None:
        """Keep the handlers installed from fit's end on (one process) until :meth:`release`: the caller answers a
        signal that comes after the last boundary of fit or the test with :meth:`stop_if_signalled`."""
        self._holds = True

    def _keeps_handlers(self, trainer: L.Trainer) -> bool:
        # one process only: under DDP the processes agree on a stop by collective calls, which end with fit's strategy
        return self._holds and trainer.world_size == 1

    def stop_if_signalled(self) -> None:
        """The run's last boundary (after fit, and after the test when there is one): a signal that came since the
        last one saves the checkpoint and raises :class:`TrainingInterrupted`, as during the test."""
        if self._trainer is not None and self._keeps_handlers(self._trainer):
            self._stop_if_signalled(self._trainer)

    def release(self) -> None:
        """The run is recorded (its ``status.json`` written): put the process's handlers back. A signal that came
        after the last boundary found the run ended; it is said, and the run's outcome stands."""
        if self._previous and self.received is not None:
            log.warning("received %s after the run ended; its outcome is recorded", signal.Signals(self.received).name)
        self._restore_handlers()
