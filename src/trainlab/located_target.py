"""What a config's ``_target_`` names, for checks that look at the class or function before it is built."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf

from trainlab.collector_paused_import import collector_paused


def locate(target: str) -> Any:
    """The object ``target`` names (Hydra's own lookup: ``pkg.module.Class``, a function, a module); importing it
    may raise. Until Lightning is imported, the look-up runs with the garbage collector paused: the first targets a
    command looks at are where torch and Lightning are imported (the optimizer's module, the data module;
    :mod:`trainlab.collector_paused_import`). Only the target's own module is imported: a key refused on the
    optimizer's class answers without Lightning."""
    import sys

    from hydra._internal.utils import _locate  # Hydra's get_class / get_object log an ERROR line before raising

    if sys.modules.get("lightning") is not None:
        return _locate(target)
    with collector_paused():
        return _locate(target)


def located_target(cfg: DictConfig, group: str) -> tuple[str | None, object | None]:
    """``(<group>._target_, the object it names)``; the object is None where the target is unset or does not import:
    that import error is reported, naming the file and line, by the check of the group's keys. Hydra's own
    ``get_class`` is not used: it logs an ERROR line for a target that is a function."""
    target = OmegaConf.select(cfg, f"{group}._target_", default=None)
    if target is None:
        return None, None
    try:
        return str(target), locate(str(target))
    except Exception:  # noqa: BLE001 - reported by the check of the keys (see the docstring)
        return str(target), None
