"""Hydra's basic sweeper, as the checks before a sweep need it: its ``_target_`` and the jobs it makes.

The basic sweeper turns ``hydra.sweeper.params`` and the command line's overrides into the cartesian product of
their values, in job order. The first-job check (:mod:`trainlab.sweep.first_job`) composes the first of them
before the sweep exists, and ``resume_sweep=true`` (:func:`trainlab.sweep.job_dirs.check_resumed_sweep`) compares
the jobs a command would make with those of the sweep it finishes; both expand them with Hydra's own code.
"""

from __future__ import annotations

from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def basic_sweep_jobs(params: Any, task_overrides: list[str]) -> list[list[str]]:
    """The jobs Hydra's basic sweeper makes of ``hydra.sweeper.params`` and the command line's overrides, in job
    order, each as its override lines (Hydra's own expansion: ``optimizer=sgd, adam`` is ``optimizer=sgd,adam``)."""
    container = OmegaConf.to_container(params, resolve=False) if OmegaConf.is_config(params) else (params or {})
    lines = [*(f"{key}={value}" for key, value in container.items()), *task_overrides]
    parsed = OverridesParser.create().parse_overrides(lines)
    return [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]
