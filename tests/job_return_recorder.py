"""A Hydra callback for tests: appends what each job's ``JobReturn`` says to a JSON-lines file.

    +hydra.callbacks.record={_target_:job_return_recorder.RecordJobReturns,path:/tmp/returns.jsonl}
"""

from __future__ import annotations

import json
from typing import Any

from hydra.core.utils import JobReturn
from hydra.experimental.callback import Callback
from omegaconf import DictConfig


class RecordJobReturns(Callback):
    def __init__(self, path: str) -> None:
        self.path = path

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        hydra = job_return.hydra_cfg.hydra
        record = {"launcher": config.hydra.runtime.choices["hydra/launcher"], "job_num": config.hydra.job.num,
                  "hydra_cfg_job_num": hydra.job.num,
                  "hydra_cfg_output_dir": hydra.runtime.output_dir, "overrides": list(job_return.overrides),
                  "hydra_cfg_overrides": list(hydra.overrides.task), "status": job_return.status.name,
                  "return_value": job_return.return_value}
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
