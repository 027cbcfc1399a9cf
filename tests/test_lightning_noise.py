"""Lightning's messages that no trainlab user can act on are silenced, and nothing else is."""

from __future__ import annotations

import logging
import warnings

import lightning as L

import trainlab  # noqa: F401  (installs the filters)
from trainlab.lightning_noise import LIGHTNING_INFO_LOGGER, DropCloudLoggerTip, silence_lightning_noise


class RecordList(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_building_a_trainer_logs_no_cloud_logger_advert_but_keeps_lightning_info():
    info_logger = logging.getLogger(LIGHTNING_INFO_LOGGER)
    records = RecordList()
    info_logger.addHandler(records)
    level = info_logger.level
    info_logger.setLevel(logging.INFO)
    try:
        L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_checkpointing=False)
    finally:
        info_logger.removeHandler(records)
        info_logger.setLevel(level)
    assert not [m for m in records.messages if "litlogger" in m]
    assert any(m.startswith("GPU available:") for m in records.messages)  # Lightning's other info still passes


def test_silencing_twice_installs_one_filter_and_only_the_silenced_warnings_are_ignored():
    silence_lightning_noise()
    silence_lightning_noise()
    filters = logging.getLogger(LIGHTNING_INFO_LOGGER).filters
    assert sum(isinstance(f, DropCloudLoggerTip) for f in filters) == 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        silence_lightning_noise()  # re-installs the message filter inside this fresh warnings state
        warnings.warn("`isinstance(treespec, LeafSpec)` is deprecated, use ...", FutureWarning, stacklevel=1)
        warnings.warn("some other deprecation", FutureWarning, stacklevel=1)
        warnings.warn("Checkpoint directory /runs/x/checkpoints exists and is not empty.", UserWarning, stacklevel=1)
        warnings.warn("Checkpoint directory name is long", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["some other deprecation", "Checkpoint directory name is long"]
