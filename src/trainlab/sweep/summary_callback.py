"""Hydra callback: when a multirun ends (whatever the launcher), write the sweep's summary tables."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from trainlab.config_keys import override_key
from trainlab.sweep.summary import SUMMARY_FILE, natural_direction, write_summary

log = logging.getLogger(__name__)


class SweepSummary(Callback):
    """Writes ``summary.csv`` / ``ranking.csv`` into ``hydra.sweep.dir`` (see :mod:`trainlab.sweep.summary`)."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        direction = config.hydra.sweeper.get("direction")
        if direction is None:  # a grid sweep ranks by what its objective is: a loss lowest first
            direction = metric_direction(config.get("optimized_metric"))
        direction = str(direction).lower().replace("studydirection.", "")
        params = config.hydra.sweeper.get("params") or {}  # a searched key is a column whatever its trials drew
        table = write_summary(sweep_dir, direction=direction, always=[override_key(str(key)) for key in params],
                              metric=config.get("optimized_metric"))
        counts = {s: sum(row["status"] == s for row in table) for s in ("completed", "diverged", "failed")}
        interrupted = sum(row["status"] == "interrupted" for row in table)
        counts.update({"interrupted": interrupted} if interrupted else {})
        log.info("sweep summary: %s (%s)", sweep_dir / SUMMARY_FILE, ", ".join(f"{n} {s}" for s, n in counts.items()))


def metric_direction(metric: str | None) -> str:
    """``minimize`` for a loss (``val/loss``), ``maximize`` otherwise (an accuracy, or no metric)."""
    return natural_direction(metric) or "maximize"
