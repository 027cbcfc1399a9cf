"""Stop a run whose training loss has become NaN or infinite (a diverged member of a sweep).

Checking a loss needs its value on the host, which on a GPU waits for the device. The guard therefore looks only
every ``check_every_n_steps`` steps (by default ``trainer.log_every_n_steps``, when the logger syncs the loss
anyway) and at the end of every epoch. A NaN/Inf loss is sticky - once the weights are NaN every later loss is
too - so checking every few steps still catches every divergence, a few steps late at most.

Under DDP the processes decide together (one all-reduce per check): a loss that is NaN in one process's share of
the batch stops every process at the same step, as the gradients it averaged into every process's weights are
NaN too. A process that stopped alone would leave the others waiting in their next collective for ever.

The loss of a fresh run's first batch is kept (no sync) and read when the run diverges: computed with the initial
weights, before any optimizer step, a NaN/Inf there is the initializer's (``init=normal init.std=1e30``), not the
learning rate's, and the run's message says so (:attr:`DivergenceGuard.before_any_update`, :func:`initial_weights`)
instead of "try a smaller optimizer.lr". The steps checked, and so the step a run stops at, stay as they were (the
stacked launcher stops each member where its lone run would).
"""

from __future__ import annotations

import logging
import math

import lightning as L
import torch
from omegaconf import DictConfig

log = logging.getLogger(__name__)


def stop_diverged_training(trainer: L.Trainer) -> None:
    """Stop after this step: ``trainer.min_epochs`` (1 in conf/trainer) and ``min_steps`` would keep Lightning
    training the NaN weights to the epoch's end, after "the run diverged and stops here" - a diverged run (or a stack
    whose members all diverged) has met every minimum there is."""
    trainer.should_stop = True
    trainer.fit_loop.min_epochs = None
    trainer.fit_loop.epoch_loop.min_steps = None


class DivergenceGuard(L.Callback):
    """Set ``trainer.should_stop`` when the training loss is not finite; ``diverged_at_step`` records where. The run
    stops after that step, even before ``trainer.min_epochs`` / ``min_steps`` (there is nothing left to train)."""

    def __init__(self, check_every_n_steps: int | None = None) -> None:
        if check_every_n_steps is not None and check_every_n_steps < 1:
            raise ValueError(f"callbacks.divergence_guard.check_every_n_steps={check_every_n_steps} must be >= 1")
        self.check_every_n_steps = check_every_n_steps
        self.diverged_at_step: int | None = None
        #: the non-finite loss was computed with the initial weights (no optimizer step had been taken)
        self.before_any_update = False
        self._last_loss: torch.Tensor | None = None
        self._first_loss: torch.Tensor | None = None  # the first batch's, with the initial weights (a fresh run)
        self._awaiting_first_loss = False  # a fresh run before its first loss: set at the start of training

    @property
    def diverged(self) -> bool:
        return self.diverged_at_step is not None

    def _check(self, trainer: L.Trainer, loss: torch.Tensor | None) -> None:
        if loss is None or self.diverged:
            return
        finite = math.isfinite(loss.item())  # a Python float: no tensor kernels (torch.isfinite runs four)
        if trainer.world_size > 1:  # all processes stop together, or none does
            finite = not trainer.strategy.reduce_boolean_decision(not finite, all=False)
        if finite:
            return
        self.diverged_at_step = trainer.global_step
        self.before_any_update = self._first_loss is not None and not math.isfinite(self._first_loss.item())
        stop_diverged_training(trainer)
        first = " (and already with the initial weights, before any optimizer step)" if self.before_any_update else ""
        log.warning("training loss is %s at step %d%s: the run diverged and stops here", loss.item(),
                    trainer.global_step, first)

    def on_train_start(self, trainer, pl_module) -> None:
        self._awaiting_first_loss = trainer.global_step == 0  # a resumed run's weights are not the initial ones

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        self._last_loss = loss.detach() if isinstance(loss, torch.Tensor) else None
        if self._awaiting_first_loss:  # kept, and read only if the run diverges
            self._first_loss = self._last_loss
            self._awaiting_first_loss = self._last_loss is None and trainer.global_step == 0  # no loss, no step yet
        every = self.check_every_n_steps or max(1, trainer.log_every_n_steps)
        if trainer.global_step % every == 0:
            self._check(trainer, self._last_loss)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self._check(trainer, self._last_loss)

    def state_dict(self) -> dict:
        return {"diverged_at_step": self.diverged_at_step}

    def load_state_dict(self, state_dict: dict) -> None:
        self.diverged_at_step = state_dict.get("diverged_at_step")


def initial_weights(cfg: DictConfig, choices: dict[str, str | None] | None = None) -> str:
    """The initializer that gave a run its initial weights, as the command line chooses it: ``init=normal
    init.std=1e+30`` (the option, from the job's config-group ``choices``, and the settings of its node),
    ``init._target_=<function>`` where the option is not known, ``init=null`` (the network's own initialisation)."""
    node = cfg.get("init")
    if not isinstance(node, DictConfig):
        return "init=null (the network's own initialisation)"
    option = (choices or {}).get("init")
    chosen = f"init={option}" if option not in (None, "null") else f"init._target_={node.get('_target_')}"
    settings = [f"init.{key}={node.get(key)}" for key in node if not str(key).startswith("_")]
    return " ".join([chosen, *settings])


#: when the loss is checked, in a diverged run's message: the step it names is the check's, not the step it turned at
CHECKED = ("checked every trainer.log_every_n_steps steps and at each epoch's end, so it may have turned a few steps "
           "before")


class RunDiverged(Exception):
    """A single run (not a multirun job) diverged. Raised by the training task after ``status.json``, the logs and
    ``last.ckpt`` are written; ``train.py`` prints it as one line and exits with :attr:`EXIT_STATUS`, so that a
    script chaining runs can tell it from a completed run (0), a config error (2) and a crash (1). In a multirun the
    job returns ``objective_on_failure`` instead (no objective when ``optimized_metric: null``), and the sweep goes
    on."""

    EXIT_STATUS = 3

    def __init__(self, step: int, output_dir: str, initial_weights: str | None = None) -> None:
        """``initial_weights`` (:func:`initial_weights`): the loss was already NaN/Inf with the initial weights,
        before any optimizer step - the initializer is named, not the learning rate."""
        if initial_weights is None:
            super().__init__(f"diverged: the training loss was NaN/Inf when checked at step {step} ({CHECKED}); the "
                             f"run stopped there and is recorded as diverged in {output_dir}/status.json (try a "
                             "smaller optimizer.lr)")
        else:
            super().__init__(f"diverged: the training loss was NaN/Inf with the initial weights, before any optimizer "
                             f"step ({initial_weights}), so optimizer.lr played no part; the run stopped at step "
                             f"{step} and is recorded as diverged in {output_dir}/status.json (try another init, or "
                             "other values of its settings)")
        self.step = step
        self.initial_weights = initial_weights
