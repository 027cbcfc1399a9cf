"""A learning-rate schedule too short for the run is refused before anything is written.

trainlab steps a schedule once per epoch (``interval: epoch``; the classifier's manual loop after an epoch's last
batch). A schedule of a fixed length - ``OneCycleLR``'s ``total_steps``, a ``SequentialLR`` of its own - stepped past
its end raised in the middle of training (``ValueError: Tried to step 3 times. The specified number of total steps is
2``): a torch traceback, exit status 1, a ``failed`` run after its first epochs. :func:`check_schedule_covers_the_run`
steps a copy of the built schedule (and of its optimizer) once for each of ``trainer.max_epochs`` and refuses, in one
line naming ``scheduler``, the step at which it raises. A run whose epochs ``trainer.max_steps`` may cut short, or with
no epoch budget, is not checked: how many epochs it trains is not known here.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

from omegaconf import DictConfig

from trainlab.errors import ConfigError


def check_schedule_covers_the_run(built: Any, cfg: DictConfig) -> None:
    """``built``: what the model's ``configure_optimizers`` returned (see the module docstring)."""
    from torch.optim.lr_scheduler import ReduceLROnPlateau

    config = built.get("lr_scheduler") if isinstance(built, dict) else None
    scheduler = config.get("scheduler") if isinstance(config, dict) else None
    if scheduler is None or isinstance(scheduler, ReduceLROnPlateau) or config.get("interval", "epoch") != "epoch":
        return
    trainer = cfg.get("trainer") or {}
    epochs, max_steps = trainer.get("max_epochs"), trainer.get("max_steps", -1)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1 or max_steps not in (-1, None):
        return
    try:  # the optimizer with it: the schedule writes the learning rates of the optimizer it holds
        _, schedule = copy.deepcopy((built["optimizer"], scheduler))
    except Exception:  # noqa: BLE001 - a schedule that cannot be copied is not checked; the run steps it as before
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "lr_scheduler.step() before optimizer.step()": no training here
        for epoch in range(1, epochs + 1):
            try:
                schedule.step()
            except Exception as error:  # noqa: BLE001 - the schedule's own refusal, said as the config's
                cause = str(error).strip().splitlines()[0] if str(error).strip() else ""
                raise ConfigError(
                    f"scheduler: {type(scheduler).__name__} cannot be stepped once per epoch of "
                    f"trainer.max_epochs={epochs}: its step after epoch {epoch} raised {type(error).__name__}: "
                    f"{cause}; allowed: a schedule as long as the run (trainlab steps it once per epoch: "
                    f"{epochs} steps, e.g. scheduler.total_steps={epochs} for OneCycleLR), or fewer epochs") from error
