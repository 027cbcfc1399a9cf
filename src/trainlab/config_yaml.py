"""A config's YAML text exactly as ``OmegaConf.to_yaml`` writes it, emitted by libyaml (C) instead of pure Python.

``OmegaConf.to_yaml`` (and through it Hydra's ``.hydra/*.yaml`` and Lightning's ``hparams.yaml``) dumps with a
subclass of PyYAML's pure-Python ``Dumper``: ~20-60 ms for one of this project's configs. A stacked sweep writes
four such files per member (``config.yaml``, ``hydra.yaml``, ``overrides.yaml``, ``hparams.yaml``), seconds for a
100-trial search. :func:`config_yaml` produces the same text with PyYAML's ``CDumper`` - the same representers
(OmegaConf's rule that quotes a string which would read back as a bool, int or float), the libyaml emitter: a
third of the time for a DictConfig (converting it to a container stays), a fiftieth for a plain dict. The text is
OmegaConf's byte for byte except where a double-quoted string is longer than a line: libyaml breaks it at other
places (Hydra's ``help.header`` in ``hydra.yaml``); it reads back as the same value. Where PyYAML was built without
libyaml it is ``OmegaConf.to_yaml`` itself.
"""

from __future__ import annotations

from typing import Any

import yaml
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf._utils import get_omega_conf_dumper


def _c_dumper() -> type | None:
    if not getattr(yaml, "__with_libyaml__", False):
        return None

    class OmegaConfCDumper(yaml.CDumper):  # type: ignore[misc,name-defined]
        """PyYAML's C dumper with OmegaConf's representer for strings."""

    OmegaConfCDumper.add_representer(str, get_omega_conf_dumper().str_representer)
    return OmegaConfCDumper


C_DUMPER = _c_dumper()


def config_yaml(config: DictConfig | ListConfig | dict | list) -> str:
    """``OmegaConf.to_yaml(config)``, the same text (a plain dict/list is dumped as it is)."""
    if C_DUMPER is None:
        return OmegaConf.to_yaml(config)
    container: Any = config
    if isinstance(config, DictConfig | ListConfig):
        container = OmegaConf.to_container(config, resolve=False, enum_to_str=True)
    return yaml.dump(container, default_flow_style=False, allow_unicode=True, sort_keys=False, Dumper=C_DUMPER)
