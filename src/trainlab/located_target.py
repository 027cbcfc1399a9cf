"""What a config group's ``_target_`` names, for checks that look at the class or function before it is built."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf


def located_target(cfg: DictConfig, group: str) -> tuple[str | None, object | None]:
    """``(<group>._target_, the object it names)``; the object is None where the target is unset or does not import:
    that import error is reported, naming the file and line, by the check of the group's keys. Hydra's own
    ``get_class`` is not used: it logs an ERROR line for a target that is a function."""
    from hydra._internal.utils import _locate

    target = OmegaConf.select(cfg, f"{group}._target_", default=None)
    if target is None:
        return None, None
    try:
        return str(target), _locate(str(target))
    except Exception:  # noqa: BLE001 - reported by the check of the keys (see the docstring)
        return str(target), None
