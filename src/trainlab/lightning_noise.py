"""Lightning's console output, trimmed to what a trainlab user can act on.

Silenced (only these; every other warning and log record passes unchanged):

* A ``FutureWarning``: Lightning (2.6) flattens every batch with torch's ``LeafSpec``, which recent torch releases
  deprecate.
* An advertisement logged at INFO when a Trainer is built without Lightning's cloud logger: "💡 Tip: For seamless
  cloud logging and experiment tracking, try installing [litlogger]...". trainlab runs offline and logs to
  TensorBoard or CSV; the line appeared before every run, sweep job and ``trainlab evaluate``.

* A ``UserWarning`` from ``ModelCheckpoint``: "Checkpoint directory .../checkpoints exists and is not empty."
  trainlab refuses to start a run in a directory that holds another run's files (``RunDirInUseError``), so the
  warning only ever fired when resuming a run (``ckpt_path=last``), whose own checkpoints are expected there.

All three are installed by ``trainlab/__init__.py``, so they apply wherever trainlab is used. And printed once:
:func:`route_lightning_logs_through_root` keeps Lightning's log lines from appearing twice when Lightning is
imported after the application configured logging (``train.py`` imports it inside the Hydra task).
"""

from __future__ import annotations

import logging
import warnings

LEAFSPEC_WARNING = r"`isinstance\(treespec, LeafSpec\)` is deprecated"
CHECKPOINT_DIR_NOT_EMPTY = r"Checkpoint directory .* exists and is not empty"
CLOUD_LOGGER_TIP = "💡 Tip: For seamless cloud logging"
# the logger behind lightning.pytorch's rank_zero_info (lightning/pytorch/utilities/rank_zero.py)
LIGHTNING_INFO_LOGGER = "lightning.pytorch.utilities.rank_zero"


class DropCloudLoggerTip(logging.Filter):
    """Drops Lightning's litlogger advertisement; passes every other record."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(CLOUD_LOGGER_TIP)


def silence_lightning_noise() -> None:
    """Install the three filters (idempotent: calling it again adds nothing)."""
    warnings.filterwarnings("ignore", message=LEAFSPEC_WARNING, category=FutureWarning)
    warnings.filterwarnings("ignore", message=CHECKPOINT_DIR_NOT_EMPTY, category=UserWarning)
    info_logger = logging.getLogger(LIGHTNING_INFO_LOGGER)
    if not any(isinstance(f, DropCloudLoggerTip) for f in info_logger.filters):
        info_logger.addFilter(DropCloudLoggerTip())


def route_lightning_logs_through_root() -> None:
    """Print each Lightning log line once, in the application's format, when the application configured logging.

    Importing ``lightning`` attaches a console handler to the ``lightning`` logger. Imported before any logging
    set-up, ``lightning.pytorch`` also gets its own handler and stops propagating; imported after it (``train.py``
    imports Lightning inside the Hydra task, once Hydra has configured the root logger with its console and
    ``train.log`` handlers), its records propagate, and that console handler would print every line a second time.
    Call after importing Lightning: with a configured root logger the extra handler is removed, so Lightning's lines
    appear once, formatted like trainlab's own, and also land in the run's ``train.log``.
    """
    if not logging.getLogger().handlers:
        return
    lightning_logger = logging.getLogger("lightning")
    for handler in list(lightning_logger.handlers):
        if type(handler) is logging.StreamHandler:  # Lightning's console handler (not, e.g., a FileHandler)
            lightning_logger.removeHandler(handler)
