"""The keys of ``hydra.launcher`` and ``hydra.sweeper``, checked against the plugin's own config before a multirun.

Without ``+``, a misspelt key of a plugin (``hydra.launcher.n_job=2``) is refused by Hydra's composition, which
:mod:`trainlab.hydra_errors` prints in one line. With ``+`` the key is added, and then either the plugin's class
refuses it when Hydra builds the sweeper and its launcher - Hydra's multi-line ``Error in call to target``, after
the basic launcher had spent seconds - or the class takes any keyword (joblib's launcher hands them to joblib) and
the key is silently ignored. Here each key is compared with the option's node in Hydra's ConfigStore (the
dataclass the plugin registers), in the words of Hydra's own refusal; and the values joblib and submitit refuse only
once the sweep has begun, or take and fail with (submitit's ``timeout_min=0``), are checked too (:data:`PLUGIN_VALUES`).

A true/false field of the dataclass (``hydra.launcher.strict`` of the stacked launcher) takes what OmegaConf converts
to a bool: ``yes``, ``no``, ``on``, ``0``, ``1``, while every other switch of the project is refused unless ``true``
or ``false`` (``resume_sweep=yes``: allowed: true or false; ``hydra.launcher.strict=maybe`` too). The value as the
command line typed it (``hydra.overrides``; a config file's is converted before anything sees it) is held to the
same rule (:func:`check_typed_switches`).
"""

from __future__ import annotations

import dataclasses

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from trainlab.config_keys import override_key, override_lines
from trainlab.config_switches import boolean
from trainlab.errors import ConfigError
from trainlab.hydra_errors import did_you_mean
from trainlab.typed_values import typed

PLUGIN_GROUPS = ("hydra/launcher", "hydra/sweeper")

def count(minimum: int, nullable: bool = False, also: str = "") -> tuple:
    """An integer >= ``minimum`` (or null, ``nullable``): the rule of a plugin's count; ``also``: what null means."""
    from trainlab.config_validation import integer

    check, words = integer(minimum)
    return ((lambda v: (nullable and v is None) or check(v)), words + (f", or null ({also})" if nullable else ""))


#: the numbers both submitit launchers hand to submitit (``BaseQueueConf``), which takes any of them: a
#: ``timeout_min=0`` (or -1) killed every job at once, and the command ended in a 30-line ``UncompletedJobError``
#: traceback ("has not produced any output") with no job directory; ``cpus_per_task=0``, ``tasks_per_node=0`` or
#: ``mem_gb=0`` went on to sbatch, or were silently ignored by the local launcher
SUBMITIT_COUNTS = {
    "timeout_min": count(1),
    "cpus_per_task": count(1, nullable=True, also="not requested"),
    "gpus_per_node": count(0, nullable=True, also="not requested"),
    "tasks_per_node": count(1),
    "mem_gb": count(1, nullable=True, also="not requested"),
}

#: values the plugin's library refuses only once the sweep has begun (joblib's Parallel, submitit's executors: after
#: multirun.yaml), or takes and fails with later
PLUGIN_VALUES = {
    ("hydra/launcher", "joblib"): {
        "n_jobs": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v != 0,
                   "an integer other than 0 (-1: one process per core)"),
        "prefer": (lambda v: v in ("processes", "threads", None), "processes, threads or null"),
    },
    # submitit's LocalExecutor refuses nodes > 1 with a ValueError traceback, after multirun.yaml
    ("hydra/launcher", "submitit_local"): {**SUBMITIT_COUNTS,
                                           "nodes": ((lambda v: v == 1 and not isinstance(v, bool)),
                                                     "1 (the local launcher runs its jobs on this machine)")},
    ("hydra/launcher", "submitit_slurm"): {
        **SUBMITIT_COUNTS,
        "nodes": count(1),
        "cpus_per_gpu": count(1, nullable=True, also="not requested"),
        "gpus_per_task": count(0, nullable=True, also="not requested"),
        "signal_delay_s": count(0),
        "max_num_timeout": count(0),
        "array_parallelism": count(1),
    },
}


def plugin_value_rule(object_type: type | None, key: str) -> str | None:
    """The allowed values :data:`PLUGIN_VALUES` names for field ``key`` of the plugin dataclass ``object_type``; None
    where it names none. Hydra refuses a value its field's type cannot take (``hydra.launcher.n_jobs=abc``) before
    :func:`check_plugin_keys` sees it: its refusal (:func:`trainlab.hydra_errors.typed_field_message`) names the same
    allowed values as this module's, not only the type, which holds values that are refused too (``0``)."""
    for (group, option), rules in PLUGIN_VALUES.items():
        if key not in rules:
            continue
        node = stored_node(group, option)
        if node is not None and OmegaConf.get_type(node) is object_type:
            return rules[key][1]
    return None


def stored_node(group: str, option: str) -> DictConfig | None:
    """``option``'s node in the ConfigStore (None for an option that is not stored there: a YAML file of your own,
    left to its plugin)."""
    try:
        return ConfigStore.instance().load(f"{group}/{option}.yaml").node
    except Exception:  # noqa: BLE001 - ConfigLoadError and what a repository raises for a missing entry: not stored
        return None


def switches(node: DictConfig) -> set[str]:
    """The true/false fields of the dataclass a stored ``node`` was made from (an annotation may be a string)."""
    kind = OmegaConf.get_type(node)
    if not dataclasses.is_dataclass(kind):
        return set()
    return {field.name for field in dataclasses.fields(kind) if field.type in (bool, "bool")}


def check_typed_switches(where: str, node: DictConfig, hydra_overrides: list[str]) -> None:
    """Each ``<where>.<switch>=<value>`` the command line typed is ``true`` or ``false`` as Hydra's override grammar
    reads them, not a word OmegaConf would convert (see the module docstring); named as typed."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    names = switches(node)
    ok, allowed = boolean()
    parser = OverridesParser.create()
    for line in hydra_overrides:
        key = override_key(line)
        name = key.removeprefix(f"{where}.")
        if line.startswith("~") or name == key or name not in names:
            continue
        if not ok(parser.parse_override(line).value()):
            raise ConfigError(f"{key}={line.partition('=')[2]} is invalid; allowed: {allowed}")


def check_plugin_keys(config: DictConfig) -> None:
    """Refuse (:class:`~trainlab.errors.ConfigError`) a key of ``hydra.launcher`` / ``hydra.sweeper`` that the chosen
    plugin's config does not have, a true/false one typed as another word, and the values of
    :data:`PLUGIN_VALUES` (see the module docstring)."""
    choices = OmegaConf.select(config, "hydra.runtime.choices", default={}) or {}
    for group in PLUGIN_GROUPS:
        option, node = choices.get(group), OmegaConf.select(config, group.replace("/", "."))
        if not isinstance(option, str) or not isinstance(node, DictConfig):
            continue
        stored = stored_node(group, option)
        if stored is None:
            continue
        allowed = {str(key) for key in stored.keys()} - {"defaults"}
        where = group.replace("/", ".")
        for key in node.keys():
            if str(key) not in allowed:
                raise ConfigError(f"{where}.{key}: unknown key; allowed keys of {where} ({group}={option}): "
                                  f"{', '.join(sorted(allowed))}" + did_you_mean(str(key), allowed))
        check_typed_switches(where, stored, override_lines(config.hydra.overrides.hydra))
        for key, (ok, what) in PLUGIN_VALUES.get((group, option), {}).items():
            value = node.get(key)
            if not ok(value):
                raise ConfigError(f"{where}.{key}={typed(value)} is invalid; allowed: {what}")
