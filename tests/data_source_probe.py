"""A callback that records the data source each DDP rank trains on: ``<dir>/rank<N>.txt`` holds the rank's
data module's resolved source and the size of its test split, written as fit starts."""

from __future__ import annotations

from pathlib import Path

import lightning as L


class RecordDataSource(L.Callback):
    def __init__(self, dir: str) -> None:
        self.dir = Path(dir)

    def on_fit_start(self, trainer, pl_module) -> None:
        datamodule = trainer.datamodule
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / f"rank{trainer.global_rank}.txt").write_text(
            f"{datamodule.resolved_source} {len(datamodule.data_test.x)}")
