"""The overrides that resume a checkpoint which a command's config does not fit: the command's own, with the
checkpoint's values in place of those that differ.

A refused resume (:func:`trainlab.checkpoint_check.check_checkpoint`) names the overrides that would be accepted.
The checkpoint's recorded overrides are not them: they are those of the session that wrote it, whose budget
(``trainer.max_epochs``, ...) the checkpoint may have reached - pasted, they were refused again, as a resume that
would train nothing (:func:`trainlab.checkpoint_check.check_something_to_train`) - and they drop whatever else the
command changed on purpose. So the command's overrides are kept, except those that set a key that differs (or a group or
node holding it); in their place - at the first one's position, else at the end - come the checkpoint's:

* its recorded overrides that set such a key, or a group or node holding it: ``optimizer=adam`` where the
  difference is the node's ``_target_`` (another optimizer);
* ``group=option`` where the difference is a group's ``_target_`` and none of those sets the group - the checkpoint's
  option came from an experiment config or a default that has changed since: the group's one option with the
  checkpoint's ``_target_`` (``optimizer=adam``), followed by the checkpoint's values that differ from that option's
  YAML (``optimizer.lr=0.003``; ``+key=value`` for a key its YAML leaves out);
* ``key=value`` for each differing value that none of those sets: ``optimizer.lr=0.01``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from trainlab.config_keys import is_under, override_key

TARGET = "._target_"
ABSENT = object()


def as_override(key: str, value: Any) -> str:
    """``key=value`` in Hydra's override syntax (``model.net.hidden_sizes=[50,50]``)."""
    if isinstance(value, list | tuple):
        return f"{key}=[{','.join(as_override('', item)[1:] for item in value)}]"
    if isinstance(value, bool):
        return f"{key}={str(value).lower()}"
    return f"{key}={'null' if value is None else value}"


def set_key(override: str) -> str:
    """The config key an override sets: ``+model.x=1`` -> ``model.x``; a group choice ``model/net=big`` ->
    ``model.net``."""
    return override_key(override).partition("@")[0].replace("/", ".")


def sets_any(override: str, nodes: Iterable[str]) -> bool:
    """Whether ``override`` sets one of ``nodes``, a node holding one, or a key inside one."""
    key = set_key(override)
    return any(is_under(node, [key]) or is_under(key, [node]) for node in nodes)


def is_plain(value: Any) -> bool:
    """A value an override can give back as it is: not a whole node, not a key missing on one side."""
    return value is None or isinstance(value, bool | int | float | str | list | tuple)


def option_overrides(group: str, target: Any, recorded_node: Any) -> list[str]:
    """``[group=option, <the node's values that differ from the option's YAML>...]`` for the one option of the
    top-level config ``group`` whose ``_target_`` is ``target`` (``recorded_node``: the checkpoint's resolved node);
    ``[]`` where no option, or several, have it, or no Hydra is initialized to read the options from."""
    from omegaconf import OmegaConf

    from trainlab.group_options import chosen_option, group_options

    options = group_options(group)
    option = chosen_option({"_target_": target}, options)
    if option is None:
        return []
    written = OmegaConf.to_container(options[option], resolve=False)
    values = []
    for key, value in (recorded_node or {}).items() if isinstance(recorded_node, dict) else []:
        if str(key).startswith("_") or not is_plain(value) or written.get(key, ABSENT) == value:
            continue
        values.append(("" if key in written else "+") + as_override(f"{group}.{key}", value))
    return [f"{group}={option}", *values]


def fitting_overrides(overrides: Sequence[str], recorded: Sequence[str],
                      differences: Sequence[tuple[str, Any, Any]],
                      recorded_config: dict[str, Any] | None = None) -> list[str]:
    """``overrides`` (the command's) with the checkpoint's values in place of the ``differences`` - ``(key, value
    in the checkpoint, value in the config)`` - taken from ``recorded`` (the overrides the checkpoint was trained
    with) where they set them, else from the option of the group with the checkpoint's ``_target_`` (its values in
    ``recorded_config``, the checkpoint's recorded config), else as ``key=value`` (see the module docstring).
    ``ckpt_path`` is left out."""
    nodes = [key[:-len(TARGET)] if key.endswith(TARGET) else key for key, _, _ in differences]
    taken = [o for o in recorded if set_key(o) != "ckpt_path" and sets_any(o, nodes)]
    set_by_taken = {set_key(o) for o in taken}
    choices = [override for key, then, _ in differences
               if key.endswith(TARGET) and key[:-len(TARGET)] not in set_by_taken
               for override in option_overrides(key[:-len(TARGET)], then,
                                                (recorded_config or {}).get(key[:-len(TARGET)]))]
    values = [as_override(key, then) for key, then, _ in differences
              if not key.endswith(TARGET) and key not in set_by_taken and is_plain(then)]
    replacement = [*taken, *choices, *values]
    fitted: list[str] = []
    for override in overrides:
        if set_key(override) == "ckpt_path":
            continue
        if sets_any(override, nodes):
            fitted += replacement
            replacement = []
        else:
            fitted.append(override)
    return fitted + replacement
