"""Hydra callback: when a multirun ends (whatever the launcher), write the sweep's HPARAMS experiment."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from trainlab.sweep.sweep_end_failures import ends_the_command_on_failure

log = logging.getLogger(__name__)


class SweepHParams(Callback):
    """Writes the TensorBoard HPARAMS experiment into ``hydra.sweep.dir`` (:mod:`trainlab.sweep.hparams_experiment`);
    when it cannot be written, the command ends with exit status 1 (:mod:`trainlab.sweep.sweep_end_failures`)."""

    @ends_the_command_on_failure("the sweep's HPARAMS experiment")
    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        # Imported here, not at the top: it imports Lightning (~5 s), and Hydra builds its callbacks before a sweep
        # composes its first job, so a sweep stopped by a config error, and the start of every sweep, would wait.
        from trainlab.preflight import writes_run_files
        from trainlab.sweep.hparams_experiment import write_sweep_experiment

        if not writes_run_files():  # another rank of a multirun torchrun or SLURM runs in each rank: rank 0 writes it
            return
        sweep_dir = Path(config.hydra.sweep.dir).absolute()  # the path printed: absolute, as the README says
        path = write_sweep_experiment(sweep_dir, config.get("optimized_metric"))
        if path is not None:
            log.info("HPARAMS experiment of the sweep: %s", path)
        elif sweep_dir.is_dir():
            from trainlab.run_status import STATUS_FILE
            from trainlab.sweep.job_dirs import sweep_job_dirs  # here with the rest: a refused sweep needs none

            jobs = sweep_job_dirs(sweep_dir)
            if jobs and not any((job / STATUS_FILE).is_file() for job in jobs):  # a stop before any job trained
                log.info("no HPARAMS experiment of the sweep: none of its jobs ran")
            elif jobs:
                why = ("trainer.fast_dev_run turns the loggers off" if config.trainer.get("fast_dev_run")
                       else "logger=csv or logger=none?")
                log.info("no HPARAMS experiment of the sweep: none of its jobs wrote a TensorBoard session (%s)", why)
            else:  # e.g. a resumed search whose study had its trials already
                log.info("no HPARAMS experiment of the sweep: it holds no job")
