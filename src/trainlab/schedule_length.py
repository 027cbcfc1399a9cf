"""A learning-rate schedule of a fixed length shorter than the run is refused before anything is written.

trainlab steps a schedule once per epoch (``interval: epoch``; the classifier's manual loop after an epoch's last
batch; a module of one's own may ask every ``frequency`` epochs). ``OneCycleLR`` - the one torch schedule of a fixed
length, ``total_steps`` - stepped past its end raised in the middle of training (``ValueError: Tried to step 3 times.
The specified number of total steps is 2``): a torch traceback, exit status 1, a ``failed`` run after its first
epochs. :func:`check_schedule_covers_the_run` compares the steps the run will take (``trainer.max_epochs`` /
``frequency``) with ``total_steps`` and refuses, in one line naming ``scheduler``, the run it cannot cover. The
schedule is not stepped to find out: a ``LambdaLR``'s function is the run's own, and stepping a copy would call it.
A run whose epochs ``trainer.max_steps`` may cut short, or with no epoch budget, is not checked: how many epochs it
trains is not known here.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from trainlab.errors import ConfigError


def check_schedule_covers_the_run(built: Any, cfg: DictConfig) -> None:
    """``built``: what the model's ``configure_optimizers`` returned (see the module docstring)."""
    config = built.get("lr_scheduler") if isinstance(built, dict) else None
    scheduler = config.get("scheduler") if isinstance(config, dict) else None
    total = getattr(scheduler, "total_steps", None)
    if isinstance(total, bool) or not isinstance(total, int) or config.get("interval", "epoch") != "epoch":
        return
    trainer = cfg.get("trainer") or {}
    epochs, max_steps = trainer.get("max_epochs"), trainer.get("max_steps", -1)
    frequency = config.get("frequency", 1)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1 or max_steps not in (-1, None) \
            or not isinstance(frequency, int) or frequency < 1:
        return
    steps = epochs // frequency
    if steps > total:  # it raises at its step total + 1 (its construction took step 0)
        every = "once per epoch" if frequency == 1 else f"every {frequency} epochs"
        raise ConfigError(
            f"scheduler.total_steps={total}: {type(scheduler).__name__} cannot be stepped {every} of "
            f"trainer.max_epochs={epochs} ({steps} steps): its step after epoch {(total + 1) * frequency} would raise; "
            f"allowed: scheduler.total_steps >= {steps} (trainlab steps a schedule once per epoch), or fewer epochs")
