"""What the ``callbacks`` entries of a config tell the checks before a run: which may log metrics of their own, and
whether an option of one's own dropped the default ones.

* :func:`metric_logging_callbacks`: a callback of the user's own (or Lightning's ``LearningRateMonitor``) may log
  metrics that :mod:`trainlab.config_validation` cannot know of, so ``optimized_metric`` and the callbacks'
  ``monitor`` are then left to the run.
* :func:`dropped_default_callbacks`: a callbacks option written without ``defaults: [default]`` builds its own
  callbacks and none of ``conf/callbacks/default.yaml``'s - the run keeps no checkpoint - which is said at the start.
"""

from __future__ import annotations

from omegaconf import DictConfig

from trainlab.located_target import locate

#: callbacks that log no metric of their own (trainlab's, and Lightning's that only watch or show them)
SILENT_CALLBACKS = ("trainlab.callbacks.", "lightning.pytorch.callbacks.ModelCheckpoint",
                    "lightning.pytorch.callbacks.EarlyStopping", "lightning.pytorch.callbacks.RichProgressBar",
                    "lightning.pytorch.callbacks.TQDMProgressBar", "lightning.pytorch.callbacks.RichModelSummary",
                    "lightning.pytorch.callbacks.ModelSummary", "lightning.pytorch.callbacks.Timer")


def metric_logging_callbacks(cfg: DictConfig) -> list[str]:
    """The callbacks in ``cfg`` that may log metrics this module cannot know of (a callback of the user's own, or
    Lightning's ``LearningRateMonitor``): a name they log is a metric the run reports."""
    callbacks = cfg.get("callbacks") or {}
    return [str(name) for name, entry in callbacks.items()
            if isinstance(entry, DictConfig) and not is_silent_callback(str(entry.get("_target_", "")))]


def is_silent_callback(target: str) -> bool:
    """Whether the callback class ``target`` logs no metric: by name for the usual spellings (no import), else - for
    Lightning's classes under another path (``lightning.pytorch.callbacks.model_checkpoint.ModelCheckpoint``,
    ``pytorch_lightning.callbacks.EarlyStopping``) - by class."""
    if target.startswith(SILENT_CALLBACKS):
        return True
    if not target.startswith(("lightning.", "pytorch_lightning.")):
        return False  # the user's own: it may log anything
    from lightning.pytorch.callbacks import Checkpoint, EarlyStopping, ModelSummary, ProgressBar, Timer

    try:
        cls = locate(target)
    except Exception:  # noqa: BLE001 - an unimportable class is refused by check_keys
        return False
    silent = (Checkpoint, EarlyStopping, ModelSummary, ProgressBar, Timer)
    return isinstance(cls, type) and (issubclass(cls, silent) or cls.__name__ in {c.__name__ for c in silent})


#: the entries of conf/callbacks/default.yaml that keep a run resumable and safe
DEFAULT_CALLBACKS = ("model_checkpoint", "last_checkpoint", "divergence_guard", "graceful_shutdown", "rng_state")


def dropped_default_callbacks(cfg: DictConfig, choice: str | None) -> str | None:
    """A warning when the callbacks option ``choice`` builds callbacks but none of ``callbacks=default``'s: an option
    of one's own written without ``defaults: [default]`` drops the checkpoints, the divergence guard and the graceful
    shutdown without a word (``callbacks=none``, which builds nothing, drops them on purpose)."""
    callbacks = cfg.get("callbacks") or {}
    if not callbacks or choice == "none" or any(name in callbacks for name in DEFAULT_CALLBACKS):
        return None
    return (f"callbacks={choice or '?'} builds {', '.join(map(str, callbacks))} and none of callbacks=default's "
            f"{', '.join(DEFAULT_CALLBACKS)}: the run keeps no checkpoint (no resume), no divergence guard and no "
            f"graceful shutdown; add 'defaults: [default]' at the top of that option's yaml to keep them")
