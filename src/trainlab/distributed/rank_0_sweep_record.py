"""The sweep's ``multirun.yaml`` as rank 0 composed it, in a multirun that torchrun or SLURM started as several
``train.py`` processes.

Each such process runs Hydra's sweeper, and each sweeper writes the sweep's ``multirun.yaml``, at about the same
time. The ranks other than 0 run with ``hydra.output_subdir=null`` added to their command line (so that rank 0 alone
writes the jobs' ``.hydra/``: :func:`trainlab.preflight.leave_hydra_files_to_rank_0`), so the copy written last -
rank 1's, as a rule - listed an override the user never typed, under ``hydra.overrides.hydra``, and
``output_subdir: null``: a rerun of that record's command wrote no ``.hydra/``. Two ranks writing one file at once
could also leave it torn.

So rank 0 keeps the config its sweeper saves (:func:`keep_sweep_record`, at the multirun's start: Hydra hands the
callbacks the same object) and writes it again, whole, once every rank's sweeper has written its copy
(:func:`write_sweep_record`): when the ranks have joined the job's process group - which each rank's first job
does, after its sweeper wrote - and, for a job whose process group Lightning alone joins (a data module of one's
own), at the sweep's end or stop.
"""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)

#: the multirun config rank 0's sweeper saves, until rank 0 has written it again
_kept: list[DictConfig] = []


def keep_sweep_record(config: DictConfig) -> None:
    """Keep the multirun's ``config`` (with its ``hydra`` node) where this process is rank 0 of a job that a launcher
    outside trainlab started as several processes; forget any earlier multirun's."""
    from trainlab.distributed.process_world import launched_processes, process_rank

    _kept.clear()
    if launched_processes()[1] > 1 and process_rank() == 0:
        _kept.append(config)


def write_sweep_record() -> None:
    """Write the kept config over the sweep's ``multirun.yaml`` (whole: a temporary file renamed over it), once;
    nothing where none is kept or the sweep directory is gone (a refused sweep's, taken back)."""
    if not _kept:
        return
    config = _kept.pop()
    from trainlab.atomic_files import write_text_atomically

    record = Path(str(config.hydra.sweep.dir)) / "multirun.yaml"
    if record.parent.is_dir():
        write_text_atomically(record, OmegaConf.to_yaml(config))
        log.debug("%s: rank 0's record of the sweep", record)
