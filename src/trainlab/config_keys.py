"""Dotted keys of a config: a nested dict as ``key: value`` leaves, and keys as overrides and prefixes name them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

# the keys of a node that are arguments of Hydra's instantiate(), not settings of the object it builds
INSTANTIATION_KEYS = frozenset({"_target_", "_partial_", "_recursive_", "_convert_", "_args_"})

#: the top-level keys that hold a config group's chosen option whose keys are its target's arguments (``paths`` holds
#: an option too, of plain settings)
OPTION_KEYS = ("data", "model", "optimizer", "scheduler", "init", "trainer", "logger", "callbacks")


def flatten(tree: Mapping[str, Any], prefix: str = "", drop: Collection[str] = ()) -> Iterable[tuple[str, Any]]:
    """(dotted key, leaf value) of a nested dict; lists are leaves; keys named in ``drop`` are left out at any
    depth (an empty mapping has no leaves)."""
    for key, value in tree.items():
        if key in drop:
            continue
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten(value, path + ".", drop)
        else:
            yield path, value


def override_lines(node: Any) -> list[str]:
    """A recorded override list (``hydra.overrides.task`` of a config or a ``multirun.yaml``) as the lines were typed:
    ``data.seed=${seed}`` stays as it is (iterating the config resolves it - against the config that holds the
    list, not the job - and a line with ``${hydra:...}`` raises)."""
    from omegaconf import OmegaConf

    if node is None:
        return []
    lines = OmegaConf.to_container(node, resolve=False) if OmegaConf.is_config(node) else node
    return [str(line) for line in lines]


def override_key(override: str) -> str:
    """``+model.x=1`` -> ``model.x``; ``~key`` -> ``key``."""
    return override.partition("=")[0].lstrip("+~")


def is_under(key: str, prefixes: Iterable[str]) -> bool:
    """Whether ``key`` is one of ``prefixes`` or inside one (``model.net.dropout`` is under ``model``)."""
    return any(key == prefix or key.startswith(prefix + ".") for prefix in prefixes)
