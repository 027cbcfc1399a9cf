"""The switches a command reads before its config is validated: ``resume_sweep`` decides which jobs of a sweep run
(and which directories may be written) before any job's config is checked.

Hydra's override grammar reads ``resume_sweep=no`` as the string ``'no'``, which Python takes as true: a switch must
be ``true`` or ``false``. This module imports no torch or Lightning, so that the checks before Hydra writes stay light.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from omegaconf import DictConfig

from trainlab.errors import ConfigError
from trainlab.typed_values import typed

SWITCHES = ("resume_sweep",)


def boolean() -> tuple[Callable[[Any], bool], str]:
    """The rule of a true/false key: a bool, not a word such as ``no``."""
    return (lambda v: isinstance(v, bool)), "true or false"


def check_switches(cfg: DictConfig) -> None:
    """Each of :data:`SWITCHES` in ``cfg`` is true or false (a :class:`ConfigError` naming it otherwise)."""
    ok, allowed = boolean()
    for key in SWITCHES:
        if key in cfg and not ok(cfg[key]):
            raise ConfigError(f"{key}={typed(cfg[key])} is invalid; allowed: {allowed}")
