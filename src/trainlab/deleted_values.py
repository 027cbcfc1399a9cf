"""A value the config gives, deleted on the command line (``'~optimizer.lr'``), is refused: the run trained with
the class's own default (torch's SGD: lr 0.001; trainlab's: 0.01), and left the key out of the run's config,
``hparams.yaml`` and the HPARAMS table - a run whose setting no record says. One line names the key and how to set a
value instead.

A deletion stays allowed where it has a use: a key the node's ``_target_`` does not take (``~optimizer.nesterov``
with an ``optimizer._target_`` of one's own, the deletions the refusal of such keys suggests), a group or an entry
(``~init``, ``~callbacks.early_stopping``), a node without a ``_target_`` (``paths``: its own refusals), and Hydra's
own keys (``~optimizer._partial_``, ``~model.net._target_``: the checks of those keys say what is wrong).
"""

from __future__ import annotations

from typing import Any

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from trainlab.config_keys import override_lines
from trainlab.errors import ConfigError


def deleted_keys(cfg: DictConfig) -> list[str]:
    """The keys the run's overrides delete (``~optimizer.lr``, ``~optimizer.lr=0.01``), as Hydra records them
    (``hydra.overrides.task``)."""
    hydra_node: Any = cfg.get("hydra") or (HydraConfig.get() if HydraConfig.initialized() else None)
    lines = override_lines(OmegaConf.select(hydra_node, "overrides.task", default=None)) if hydra_node else []
    return [line[1:].partition("=")[0] for line in lines if line.startswith("~")]


def check_no_value_deleted(cfg: DictConfig) -> None:
    """Refuse (:class:`ConfigError`) the first deleted key that its node's ``_target_`` takes by name (see the
    module docstring)."""
    from trainlab.target_arguments import accepted_keywords

    for key in deleted_keys(cfg):
        parent, _, name = key.rpartition(".")
        node = OmegaConf.select(cfg, parent, default=None) if parent else None
        if name.startswith("_") or not isinstance(node, DictConfig) or "_target_" not in node or name in node:
            continue  # ... or set again after it was deleted (+optimizer.lr=0.1): the config holds the value
        target = str(node._target_)
        try:
            accepted = accepted_keywords(target)
        except Exception:  # noqa: BLE001 - a target that does not import: the check of its keys says so
            continue
        if accepted is None or name not in accepted:
            continue
        raise ConfigError(f"~{key}: deleting it trains with {target}'s own default for {name}, which the run's "
                          f"config and HPARAMS would not record; allowed: {key}=<value> (the value to train with)")
