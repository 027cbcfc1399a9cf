"""The settings of a run: what it trains and reports, as its composed config says it - the config without where
things go, what is shown and how the same computation is run.

Two runs are comparable when their settings are the same. Where a command continues runs that others started, it
compares them: a search that resumes (or joins) a study compares the settings its trials compose with those the
study recorded (:mod:`trainlab.search.study_settings`), and a grid sweep resumed with ``resume_sweep=true`` compares
each job's recorded ``.hydra/config.yaml`` with the config the command composes for that job
(:mod:`trainlab.sweep.resumed_configs`). Both use the rules here, so that they agree on what a resume may change.

The settings are a composed config (the command line's overrides applied, so ``[100,100]`` and ``[100, 100]``,
``0.1`` and ``1e-1``, ``seed=3`` and ``++seed=3`` are the same, and an edited config file is a change), flattened to
``key: value`` (values unresolved: ``${paths.data_dir}`` is a string), without

* ``hydra``, and what the caller leaves out besides (a search's searched keys, each trial's own);
* the keys the job names leave out (``hydra.job.config.override_dirname.exclude_keys``: where things are, what is
  shown - ``paths.*``, ``logger``, ``data.data_dir``, ``trainer.enable_progress_bar``, ``callbacks.progress_bar``,
  ``resume_sweep``, ``ckpt_path``, ...) and the keys that name no hyper-parameter (:data:`NOT_HYPERPARAMETERS`: how
  the same computation runs and is shown - ``optimizer.foreach``, ``data.eval_batch_size``,
  ``trainer.log_every_n_steps``, ``trainer.enable_model_summary``, ...), except those that change what a run trains
  or reports (:data:`RESULT_KEYS`).

Values compare with ``==`` (``1`` and ``1.0`` are the same), NaN is the same as NaN, and ``model.net`` compares as it
acts (:func:`~trainlab.models.net_compat.flat_settings_in_effect`: an argument a record predates had the value the
network had without it). Nothing here imports more than OmegaConf: a sweep's parent process checks its jobs without
torch, Lightning or TensorBoard.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from omegaconf import DictConfig, OmegaConf

from trainlab.config_keys import flatten, override_key
from trainlab.models.net_compat import NET_ARGUMENTS_ADDED, flat_settings_in_effect

# Config keys (dotted; a key removes its whole subtree) that do not change what is trained. They stay in
# hparams.yaml and .hydra/config.yaml. (The HPARAMS columns leave them out: trainlab.loggers.hparams.)
NOT_HYPERPARAMETERS = (
    # where things go
    "paths", "hydra", "data.data_dir", "trainer.default_root_dir", "ckpt_path",
    # what is logged or displayed, and how checkpoints are written
    "logger", "callbacks", "data.eval_splits", "trainer.log_every_n_steps", "trainer.enable_progress_bar",
    "trainer.enable_model_summary", "trainer.enable_checkpointing", "trainer.plugins",
    # the run's bookkeeping
    "task_name", "optimized_metric", "objective_on_failure", "resume_sweep", "test",
    "trainer.num_sanity_val_steps",
    # how the same computation is fetched, placed and sped up
    "data.download", "data.download_timeout_s", "data.on_device", "data.eval_batch_size", "compile",
    "optimizer.foreach", "optimizer.compile",
)  # not trainer.devices: under DDP the global batch is data.batch_size x devices

#: keys the job names leave out, or that name no hyper-parameter, which still change what a run trains or reports
RESULT_KEYS = frozenset({"callbacks", "debug", "optimized_metric", "objective_on_failure", "test", "data.eval_splits",
                         "trainer.devices"})  # data.batch_size is per process: devices set the global batch


def left_out_keys(searched: Iterable[str], exclude_keys: Iterable[str]) -> list[str]:
    """The keys (and the keys under them) that are no setting (see the module docstring); ``searched``: keys left
    out besides (``+key`` / ``++key`` as ``key``)."""
    return [*map(override_key, searched),
            *(key for key in (*exclude_keys, *NOT_HYPERPARAMETERS) if key not in RESULT_KEYS)]


def config_settings(config: DictConfig | dict[str, Any], left_out: Iterable[str]) -> dict[str, Any]:
    """The settings of a composed config (a plain mapping, as read from a recorded ``config.yaml``, or a
    DictConfig, read unresolved): its leaves by dotted key, ``hydra`` and the keys under ``left_out`` aside. A
    top-level node that is left out is not converted (``hydra``, ``paths``, ``logger``: half a job's config)."""
    left = frozenset({"hydra", *left_out})
    if isinstance(config, DictConfig):
        container = {str(key): OmegaConf.to_container(value, resolve=False) if OmegaConf.is_config(value) else value
                     for key, value in config.items_ex(resolve=False) if str(key) not in left}
    else:
        container = {key: value for key, value in config.items() if key not in left}
    return {key: value for key, value in flatten(container) if not is_left_out(key, left)}


def is_left_out(key: str, left: frozenset[str]) -> bool:
    """Whether dotted ``key`` is one of ``left`` or under one (:func:`~trainlab.config_keys.is_under`, by a look-up
    of each of its prefixes: a config has ~100 leaves, and ~80 keys are left out)."""
    position = key.find(".")
    while position != -1:
        if key[:position] in left:
            return True
        position = key.find(".", position + 1)
    return key in left


def listed_differences(differing: list[tuple[str, Any, Any]], shown: int, change: str) -> str:
    """The first ``shown`` of :func:`differing_settings`' ``(key, recorded, here)`` as ``key: <change>``, ``; ``
    between them (``change``: e.g. ``"{before} -> {now}"``), and ``and N more`` for the rest."""
    listed = "; ".join(f"{key}: " + change.format(before=before, now=now) for key, before, now in differing[:shown])
    return listed + (f" and {len(differing) - shown} more" if len(differing) > shown else "")


def same_setting(recorded: Any, here: Any) -> bool:
    """Whether two values of a setting are the same: ``==``, except that NaN is the same as NaN (a float setting
    without a rule may be NaN, and comes back from a study's JSON as NaN), in lists too."""
    if isinstance(recorded, float) and isinstance(here, float) and math.isnan(recorded) and math.isnan(here):
        return True
    if isinstance(recorded, list) and isinstance(here, list):
        return len(recorded) == len(here) and all(map(same_setting, recorded, here))
    return recorded == here


def differing_settings(recorded: dict[str, Any], here: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The settings that differ between two records (:func:`config_settings`), sorted by key, each as ``(key, its
    value in recorded, its value here)`` as a refusal names them (``repr``, or ``(absent)`` for a key only one of
    them has). ``model.net`` is compared as it acts (see the module docstring)."""
    recorded, here = flat_settings_in_effect(recorded), flat_settings_in_effect(here)
    absent = object()

    def shown(settings: dict[str, Any], key: str) -> str:
        return repr(settings[key]) if key in settings else "(absent)"

    def switched_off_on_one_side(key: str) -> bool:
        """An argument of a layer one side has switched off (``dropout_kind`` beside ``dropout: 0.0``): the switch's
        own difference is the one to name."""
        return key.removeprefix("model.net.") in NET_ARGUMENTS_ADDED and (key in recorded) != (key in here)

    return [(key, shown(recorded, key), shown(here, key)) for key in sorted({*recorded, *here})
            if not same_setting(recorded.get(key, absent), here.get(key, absent)) and not switched_off_on_one_side(key)]
