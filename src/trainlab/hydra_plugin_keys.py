"""The keys of ``hydra.launcher`` and ``hydra.sweeper``, checked against the plugin's own config before a multirun.

Without ``+``, a misspelt key of a plugin (``hydra.launcher.n_job=2``) is refused by Hydra's composition, which
:mod:`trainlab.hydra_errors` prints in one line. With ``+`` the key is added, and then either the plugin's class
refuses it when Hydra builds the sweeper and its launcher - Hydra's multi-line ``Error in call to target``, after
the basic launcher had spent seconds - or the class takes any keyword (joblib's launcher hands them to joblib) and
the key is silently ignored. Here each key is compared with the option's node in Hydra's ConfigStore (the
dataclass the plugin registers), in the words of Hydra's own refusal; and the values joblib refuses only once the
sweep has begun (:data:`PLUGIN_VALUES`) are checked too.
"""

from __future__ import annotations

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from trainlab.errors import ConfigError
from trainlab.hydra_errors import did_you_mean
from trainlab.typed_values import typed

PLUGIN_GROUPS = ("hydra/launcher", "hydra/sweeper")

#: values the plugin's library refuses only once the sweep has begun (joblib's Parallel: after multirun.yaml)
PLUGIN_VALUES = {
    ("hydra/launcher", "joblib"): {
        "n_jobs": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v != 0,
                   "an integer other than 0 (-1: one process per core)"),
        "prefer": (lambda v: v in ("processes", "threads", None), "processes, threads or null"),
    },
}


def stored_keys(group: str, option: str) -> set[str] | None:
    """The keys of ``option``'s node in the ConfigStore (None for an option that is not stored there: a YAML file
    of your own, left to its plugin)."""
    try:
        node = ConfigStore.instance().load(f"{group}/{option}.yaml").node
    except Exception:  # noqa: BLE001 - ConfigLoadError and what a repository raises for a missing entry: not stored
        return None
    return {str(key) for key in node.keys()} - {"defaults"}


def check_plugin_keys(config: DictConfig) -> None:
    """Refuse (:class:`~trainlab.errors.ConfigError`) a key of ``hydra.launcher`` / ``hydra.sweeper`` that the chosen
    plugin's config does not have (see the module docstring)."""
    choices = OmegaConf.select(config, "hydra.runtime.choices", default={}) or {}
    for group in PLUGIN_GROUPS:
        option, node = choices.get(group), OmegaConf.select(config, group.replace("/", "."))
        if not isinstance(option, str) or not isinstance(node, DictConfig):
            continue
        allowed = stored_keys(group, option)
        if allowed is None:
            continue
        where = group.replace("/", ".")
        for key in node.keys():
            if str(key) not in allowed:
                raise ConfigError(f"{where}.{key}: unknown key; allowed keys of {where} ({group}={option}): "
                                  f"{', '.join(sorted(allowed))}" + did_you_mean(str(key), allowed))
        for key, (ok, what) in PLUGIN_VALUES.get((group, option), {}).items():
            value = node.get(key)
            if not ok(value):
                raise ConfigError(f"{where}.{key}={typed(value)} is invalid; allowed: {what}")
