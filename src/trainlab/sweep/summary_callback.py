"""Hydra callback: when a multirun ends (whatever the launcher), write the sweep's summary tables."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from trainlab.sweep.summary import SUMMARY_FILE, write_summary

log = logging.getLogger(__name__)


class SweepSummary(Callback):
    """Writes ``summary.csv`` / ``ranking.csv`` into ``hydra.sweep.dir`` (see :mod:`trainlab.sweep.summary`)."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        direction = str(config.hydra.sweeper.get("direction", "maximize")).lower().replace("studydirection.", "")
        table = write_summary(sweep_dir, direction=direction)
        counts = {s: sum(row["status"] == s for row in table) for s in ("completed", "diverged", "failed")}
        log.info("sweep summary: %s (%s)", sweep_dir / SUMMARY_FILE, ", ".join(f"{n} {s}" for s, n in counts.items()))
