"""Hydra callback: when a multirun ends (whatever the launcher), write the sweep's summary tables - and end the
command with a non-zero exit status when no job of the sweep completed."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from trainlab.models.metric_names import natural_direction
from trainlab.sweep.single_run_of_a_sweep import swept_params
from trainlab.sweep.summary import SUMMARY_FILE, lag_note, write_summary
from trainlab.sweep.sweep_end_failures import ends_the_command_on_failure

log = logging.getLogger(__name__)


class SweepSummary(Callback):
    """Writes ``summary.csv`` / ``ranking.csv`` into ``hydra.sweep.dir`` (see :mod:`trainlab.sweep.summary`); when
    they cannot be written, the command ends with exit status 1 (:mod:`trainlab.sweep.sweep_end_failures`).

    Where torchrun or SLURM start ``train.py -m`` as several processes, each runs the whole multirun, and rank 0
    alone writes the tables and says the summary line: it writes the jobs' ``status.json`` the tables are read from,
    and another rank, done first, read them before rank 0 had written the last one and could write its tables
    after rank 0's."""

    @ends_the_command_on_failure("the sweep's summary.csv and ranking.csv")
    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from trainlab.distributed.rank_0_sweep_record import write_sweep_record
        from trainlab.preflight import writes_run_files

        if not writes_run_files():  # a rank other than 0 of a multirun that torchrun or SLURM runs in each rank
            return
        write_sweep_record()  # rank 0's multirun.yaml, where no job joined a process group before Lightning's
        sweep_dir = Path(config.hydra.sweep.dir).absolute()  # printed: a relative hydra.sweep.dir too is absolute
        if not sweep_dir.is_dir():
            return
        table = write_sweep_summary(config.hydra, config.get("optimized_metric"))
        counts = {s: sum(row["status"] == s for row in table) for s in ("completed", "diverged", "failed")}
        interrupted = sum(row["status"] == "interrupted" for row in table)
        counts.update({"interrupted": interrupted} if interrupted else {})
        note = lag_note(table)  # val/* (the objective) measured before the jobs' last step: said here too
        log.info("sweep summary: %s (%s)%s", sweep_dir / SUMMARY_FILE, ", ".join(f"{n} {s}" for s, n in counts.items()),
                 f"; {note}" if note else "")
        exit_if_no_job_completed(counts, sweep_dir)


def write_sweep_summary(hydra_config: DictConfig, optimized_metric: str | None) -> list[dict[str, Any]]:
    """``summary.csv`` / ``ranking.csv`` of the multirun whose ``hydra`` node is ``hydra_config``, ranked in its
    sweeper's direction; returns the rows. Also what a stopped search or a stopped sweep in this process writes (they
    end without this callback: :mod:`trainlab.sweep.stopped_sweep`)."""
    return write_summary(Path(str(hydra_config.sweep.dir)), **summary_settings(hydra_config, optimized_metric))


def summary_settings(hydra_config: DictConfig, optimized_metric: str | None) -> dict[str, Any]:
    """:func:`~trainlab.sweep.summary.write_summary`'s ``direction``, ``always`` and ``metric`` for the multirun
    whose ``hydra`` node is ``hydra_config``: plain values, which a search stopped at once hands to the program that
    writes its tables (:mod:`trainlab.search.results_at_once`)."""
    direction = hydra_config.sweeper.get("direction")
    if direction is None:  # a grid sweep ranks by what its objective is: a loss lowest first
        direction = metric_direction(optimized_metric)
    direction = str(direction).lower().replace("studydirection.", "")
    return {"direction": direction, "always": list(sweep_keys(hydra_config)), "metric": optimized_metric}


def sweep_keys(hydra_config: DictConfig) -> list[str]:
    """The keys the multirun sweeps - ``hydra.sweeper.params``' (:func:`swept_params`: a searched key is a column
    whatever its trials drew) and those the command line sweeps (``optimizer=sgd,adam``) - whose ``hydra`` node is
    ``hydra_config``: the sweep's own, or one of its jobs' (a sweep stopped in its job), whose overrides are the
    job's values, so the sweep's are read from its ``multirun.yaml``. They are the columns of ``summary.csv``
    however many jobs have recorded their end: a stopped sweep's one job listed every override as a column."""
    from omegaconf import OmegaConf

    if OmegaConf.select(hydra_config, "job.num", default=None) is not None:  # a job's: the sweep's lines recorded
        # no readable record: the searched keys, and the keys whose values differ, as before
        return recorded_sweep_keys(Path(str(hydra_config.sweep.dir))) or list(swept_params(hydra_config))
    return keys_swept_by(hydra_config)


def keys_swept_by(sweep_hydra: DictConfig) -> list[str]:
    """The keys a sweep's own ``hydra`` node sweeps: its ``sweeper.params``, then its command line's sweeps."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    from trainlab.config_keys import override_lines

    keys = list(swept_params(sweep_hydra))
    try:
        overrides = OverridesParser.create().parse_overrides(override_lines(sweep_hydra.overrides.get("task")))
    except HydraException:
        return keys
    return keys + [o.key_or_group for o in overrides if o.is_sweep_override() and o.key_or_group not in keys]


def recorded_sweep_keys(sweep_dir: Path) -> list[str]:
    """:func:`keys_swept_by` the sweep in ``sweep_dir``, read from its ``multirun.yaml``; [] when there is none to
    read. ``trainlab report`` compares the jobs by these keys, as ``summary.csv`` has them for columns: one rule."""
    import yaml
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from trainlab.sweep.job_dirs import MULTIRUN_YAML

    try:
        return keys_swept_by(OmegaConf.load(Path(sweep_dir) / MULTIRUN_YAML).hydra)
    except (OSError, yaml.YAMLError, OmegaConfBaseException, AttributeError):
        return []


def exit_if_no_job_completed(counts: dict[str, int], sweep_dir: Path) -> None:
    """A sweep that went on past its failed jobs exits 0 when any job completed; when none did, a script chaining
    commands (``train.py -m ... && trainlab report ...``) must see it: exit status 1 when a job failed (its error is
    in its ``status.json`` and ``train.log``), 3 when every job diverged - as a single run that fails or diverges."""
    if counts["completed"] or not (counts["failed"] or counts["diverged"]):
        return
    if counts["failed"]:
        print(f"error: no job of the sweep completed ({counts['failed']} failed, {counts['diverged']} diverged): each "
              f"failed job's error is in its status.json and train.log; {sweep_dir / SUMMARY_FILE} lists them",
              file=sys.stderr)
        raise SystemExit(1)
    print(f"diverged: every job of the sweep diverged ({counts['diverged']}); {sweep_dir / SUMMARY_FILE} lists them",
          file=sys.stderr)
    raise SystemExit(3)


def metric_direction(metric: str | None) -> str:
    """``minimize`` for a loss (``val/loss``), ``maximize`` otherwise (an accuracy, or no metric)."""
    return natural_direction(metric) or "maximize"
