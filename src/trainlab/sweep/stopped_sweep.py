"""A sweep stopped by a signal in the command's own process: its tables of what ran so far, as every launcher's.

A sweep whose jobs train in worker processes (joblib, submitit_local) ends normally when they stop - each worker's
job saves and returns - so Hydra's ``on_multirun_end`` callbacks write ``summary.csv`` / ``ranking.csv``
(:mod:`trainlab.sweep.summary_callback`) and the HPARAMS experiment (:mod:`trainlab.sweep.hparams_callback`),
listing the stopped jobs as ``interrupted``. A sweep whose jobs train in this process (the basic launcher, the
stacked launcher) ended with exit status 130 from inside its job, past those callbacks: no ``summary.csv`` and no
sweep HPARAMS, although docs/launchers.md says every launcher writes them. :func:`record_stopped_sweep` writes both
there, before the command says how to finish the sweep (a finished or resumed sweep rewrites them). A search writes its
own records when it stops (:meth:`trainlab.search.optuna_search.OptunaSearch.record_stop`), so it is left to it.

A sweep in this process that a later job's refusal ends (``-m data.train_size=100,5000``: job 0 trains, job 1 does
not fit the data; exit status 2) left no tables either: :func:`record_refused_sweep` writes them where another job
of the sweep has recorded its end - not where the refused job is the first, whose directory the refusal removes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

log = logging.getLogger(__name__)

#: the Optuna sweeper's class (a search records its own stop)
SEARCH_SWEEPER_SUFFIX = "TrainlabOptunaSweeper"


def is_search(hydra_config: DictConfig) -> bool:
    """Whether the multirun that ``hydra_config`` (Hydra's ``hydra`` node) describes is trainlab's search, which
    records its own stop and prints the command that continues it."""
    return str(OmegaConf.select(hydra_config, "sweeper._target_", default="")).endswith(SEARCH_SWEEPER_SUFFIX)


def record_stopped_sweep(hydra_config: DictConfig, optimized_metric: str | None) -> None:
    """``summary.csv`` / ``ranking.csv`` and the HPARAMS experiment of the stopped multirun that ``hydra_config``
    (Hydra's ``hydra`` node) describes; nothing for a single run, a search, or a rank other than 0. A failure to
    write them is said in a warning, and the stop goes on (its checkpoints are saved; the exit status stays the
    signal's)."""
    from hydra.types import RunMode

    from trainlab.distributed.rank_0_sweep_record import write_sweep_record
    from trainlab.preflight import writes_run_files
    from trainlab.sweep.hparams_experiment import write_sweep_experiment
    from trainlab.sweep.summary import SUMMARY_FILE
    from trainlab.sweep.summary_callback import write_sweep_summary

    if hydra_config.mode != RunMode.MULTIRUN or is_search(hydra_config) or not writes_run_files():
        return  # (a multirun torchrun or SLURM runs in each rank: rank 0 writes its tables, as at its end)
    sweep_dir = Path(str(hydra_config.sweep.dir)).absolute()  # printed: absolute, a relative hydra.sweep.dir too
    try:
        write_sweep_record()  # rank 0's multirun.yaml, where no job joined a process group before Lightning's
        table = write_sweep_summary(hydra_config, optimized_metric)
        write_sweep_experiment(sweep_dir, optimized_metric)
    except (OSError, OmegaConfBaseException) as error:  # a full disk, a read-only directory (OutputLocationError), a
        # sweeper setting that does not resolve: the checkpoints are saved, the stop or refusal keeps its exit status
        log.warning("the stopped sweep's summary.csv / HPARAMS experiment could not be written (%s: %s); a finished "
                    "or resumed sweep writes them", type(error).__name__, error)
        return
    interrupted = sum(row["status"] == "interrupted" for row in table)
    log.info("sweep summary so far: %s (%d job%s, %d interrupted)", sweep_dir / SUMMARY_FILE, len(table),
             "" if len(table) == 1 else "s", interrupted)


def record_refused_sweep(hydra_config: DictConfig, optimized_metric: str | None) -> None:
    """The tables of a multirun in this process refused at a job (see the module docstring), where another of its
    jobs recorded its end (a ``status.json`` in the job's directory); nothing for a single run or a search."""
    from hydra.types import RunMode

    from trainlab.run_status import STATUS_FILE
    from trainlab.sweep.job_dirs import sweep_job_dirs

    if hydra_config.mode != RunMode.MULTIRUN:  # no sweep directory to look into
        return
    refused = Path(str(hydra_config.runtime.output_dir)).resolve()
    sweep_dir = Path(str(hydra_config.sweep.dir))
    if any(job.resolve() != refused and (job / STATUS_FILE).is_file() for job in sweep_job_dirs(sweep_dir)):
        record_stopped_sweep(hydra_config, optimized_metric)
