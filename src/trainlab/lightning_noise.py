"""Messages Lightning prints on every run that no trainlab user can act on, and only those, silenced.

* A ``FutureWarning``: Lightning (2.6) flattens every batch with torch's ``LeafSpec``, which recent torch releases
  deprecate.
* An advertisement logged at INFO when a Trainer is built without Lightning's cloud logger: "💡 Tip: For seamless
  cloud logging and experiment tracking, try installing [litlogger]...". trainlab runs offline and logs to
  TensorBoard or CSV; the line appeared before every run, sweep job and ``trainlab evaluate``.

Every other warning and log record passes unchanged. Imported by ``trainlab/__init__.py``, so it applies wherever
trainlab is used.
"""

from __future__ import annotations

import logging
import warnings

LEAFSPEC_WARNING = r"`isinstance\(treespec, LeafSpec\)` is deprecated"
CLOUD_LOGGER_TIP = "💡 Tip: For seamless cloud logging"
# the logger behind lightning.pytorch's rank_zero_info (lightning/pytorch/utilities/rank_zero.py)
LIGHTNING_INFO_LOGGER = "lightning.pytorch.utilities.rank_zero"


class DropCloudLoggerTip(logging.Filter):
    """Drops Lightning's litlogger advertisement; passes every other record."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(CLOUD_LOGGER_TIP)


def silence_lightning_noise() -> None:
    """Install both filters (idempotent: calling it again adds nothing)."""
    warnings.filterwarnings("ignore", message=LEAFSPEC_WARNING, category=FutureWarning)
    info_logger = logging.getLogger(LIGHTNING_INFO_LOGGER)
    if not any(isinstance(f, DropCloudLoggerTip) for f in info_logger.filters):
        info_logger.addFilter(DropCloudLoggerTip())
