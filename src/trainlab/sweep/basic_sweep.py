"""Hydra's basic sweeper, as the checks before a sweep need it: its ``_target_`` and the jobs it makes.

The basic sweeper turns ``hydra.sweeper.params`` and the command line's overrides into the cartesian product of
their values, in job order. The first-job check (:mod:`trainlab.sweep.first_job`) composes the first of them
before the sweep exists, and ``resume_sweep=true`` (:func:`trainlab.sweep.job_dirs.check_resumed_sweep`) compares
the jobs a command would make with those of the sweep it finishes; both expand them with Hydra's own code
(and the command's config loader, which expands a ``glob()``: :func:`sweep_parser`).
"""

from __future__ import annotations

from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from omegaconf import OmegaConf

BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def sweep_parser() -> OverridesParser:
    """Hydra's override parser as its sweepers get it: with the command's config loader where Hydra is initialized,
    so that ``glob()`` over a config group expands to the group's options (a parser without one raised "ConfigLoader
    is not set" for it, and a check that expands the sweep failed or was skipped)."""
    from hydra.core.global_hydra import GlobalHydra

    hydra = GlobalHydra.instance()
    return OverridesParser.create(config_loader=hydra.config_loader() if hydra.is_initialized() else None)


def sweep_lines(params: Any, task_overrides: list[str]) -> list[str]:
    """``hydra.sweeper.params`` as override lines, then the command line's overrides: what the sweeper expands."""
    container = OmegaConf.to_container(params, resolve=False) if OmegaConf.is_config(params) else (params or {})
    return [*(f"{key}={value}" for key, value in container.items()), *task_overrides]


def basic_sweep_jobs(params: Any, task_overrides: list[str]) -> list[list[str]]:
    """The jobs Hydra's basic sweeper makes of ``hydra.sweeper.params`` and the command line's overrides, in job
    order, each as its override lines (Hydra's own expansion: ``optimizer=sgd, adam`` is ``optimizer=sgd,adam``)."""
    parsed = sweep_parser().parse_overrides(sweep_lines(params, task_overrides))
    return [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]


def empty_sweeps(params: Any, task_overrides: list[str]) -> list[Override]:
    """The overrides that sweep over no value (``seed=range(0,0)``, ``range(5,1)``, a ``glob()`` that matches no
    option of its group): the sweep has no job then, and Hydra's basic sweeper made an empty sweep directory and
    exited 0."""
    parsed = sweep_parser().parse_overrides(sweep_lines(params, task_overrides))
    return [o for o in parsed if o.is_sweep_override() and not list(o.sweep_string_iterator())]


def last_job_number(config: Any) -> int | None:
    """``hydra.job.num`` of the last job of the basic sweep that ``config`` (the command's, with its ``hydra`` node)
    runs; None for another sweeper or overrides that do not expand (the sweeper reports those)."""
    from hydra.errors import HydraException

    if OmegaConf.select(config, "hydra.sweeper._target_") != BASIC_SWEEPER:
        return None
    from trainlab.config_keys import override_lines

    try:
        jobs = basic_sweep_jobs(OmegaConf.select(config, "hydra.sweeper.params"),
                                override_lines(config.hydra.overrides.task))
    except (HydraException, ValueError):
        return None
    return len(jobs) - 1 if jobs else None
