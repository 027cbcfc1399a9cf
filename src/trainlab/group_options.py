"""Which options of a config group take a key: the way out when a key is set that the chosen option does not have.

``init=he init.std=0.1``: He's scale follows from the fan-in, so ``conf/init/he.yaml`` has no ``std`` and Hydra
refuses the key - with "init.std: unknown key; allowed keys of init: _partial_, _target_", which names neither the
option that lacks the key nor those that have it. :func:`option_lacks_key_message` says both::

    init.std: init=he takes no std (it has no keys to set); allowed: an option that takes std - init=normal (e.g.
    init=normal init.std=0.01)
    optimizer.momentum: optimizer=sgd takes no momentum (its keys: lr, foreach, compile); allowed: one of its keys, or
    an option that takes momentum - optimizer=momentum, optimizer=nesterov, optimizer=torch_sgd (e.g.
    optimizer=momentum optimizer.momentum=0.9)

and a key the option's config leaves out but its target takes is added with ``+`` (also where no option of the
group sets it: ``trainer.limit_train_batches``, which only ``debug=limit`` sets)::

    optimizer.foreach: optimizer=torch_adam does not set foreach in its config (its keys: lr, betas, eps), but its
    torch.optim.Adam takes it; allowed: add it with ++optimizer.foreach=false (++ sets it too in the jobs of an
    option that has it), or an option whose config sets foreach - optimizer=adagrad, ...

(``++``, not ``+``, where another option sets the key: ``-m optimizer=adabelief,adam +optimizer.eps=1e-6`` is
refused by Hydra in adam's job, whose config has ``eps``)

except a non-zero ``optimizer.weight_decay``, which the classifier's parameter groups replace: added, it would be
refused, so its message is that refusal (:func:`~trainlab.optimizer_requirements.replaced_key_message`), naming
``model.weight_decay`` - also for a sweep with one such value among its values (``-m optimizer.weight_decay=0,0.1``,
whose job 1 is composed with 0). Which values are refused is
:func:`~trainlab.optimizer_requirements.refused_weight_decay`'s one rule; a 0, null or no number is added with ``+``.

The options are read from the config search path of the Hydra that composed the config (each option's own YAML,
not composed); the chosen option is the one whose ``_target_`` is the node's. A key that no option of the group
has is left to the caller's message (a misspelling: "did you mean ...?"), and so is every key when no Hydra is
initialized (a config composed by a test, then checked).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf

from trainlab.optimizer_requirements import REPLACED_KEY, override_values, refused_weight_decay, replaced_key_message


def settable_keys(node: Any) -> list[str]:
    """The keys of an option's config a user sets (``_target_``, ``_partial_``, ``defaults`` are Hydra's)."""
    if not isinstance(node, DictConfig):
        return []
    return [str(key) for key in node if not str(key).startswith("_") and key != "defaults"]


def group_options(group: str) -> dict[str, DictConfig]:
    """Each option of the top-level config group ``group`` with its YAML as written ({} when Hydra is not
    initialized or ``group`` is no group); an option whose file cannot be read or parsed is left out."""
    if "." in group or "/" in group or not GlobalHydra.instance().is_initialized():
        return {}
    repository = getattr(GlobalHydra.instance().config_loader(), "repository", None)
    if repository is None or not repository.group_exists(group):
        return {}
    import yaml
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    options = {}
    for option in repository.get_group_options(group):
        try:
            loaded = repository.load_config(f"{group}/{option}")
        except (yaml.YAMLError, HydraException, OmegaConfBaseException, OSError, ValueError):
            # an option whose file is broken is no way out (choosing it says why); the message being built - for
            # a mistake elsewhere - must not turn into the broken file's traceback
            continue
        if loaded is not None and isinstance(loaded.config, DictConfig):
            options[option] = loaded.config
    return options


def option_file(group: str, option: str) -> str:
    """Where the option's yaml lies: the file's path where it came from a directory of the search path (the
    checkout's conf/ or a --config-dir, which may hold an option of the same name), else ``<group>/<option>.yaml``."""
    written = f"{group}/{option}.yaml"
    if not GlobalHydra.instance().is_initialized():
        return written
    repository = getattr(GlobalHydra.instance().config_loader(), "repository", None)
    try:
        loaded = repository.load_config(f"{group}/{option}") if repository is not None else None
    except Exception:  # noqa: BLE001 - a file that cannot be read: its name as written is what the message can give
        return written
    if loaded is None or not str(loaded.path).startswith("file://"):
        return written  # a package's config (pkg://): no file to edit in place
    return str(Path(str(loaded.path).removeprefix("file://")) / written)


def chosen_option(node: DictConfig | dict, options: dict[str, DictConfig]) -> str | None:
    """The option ``node`` (a config node, or a checkpoint's plain copy of one) was composed from: the only one with
    its ``_target_`` (None for none or several)."""
    target = node.get("_target_") if isinstance(node, DictConfig | dict) else None
    matches = [name for name, config in options.items() if target is not None and config.get("_target_") == target]
    if len(matches) > 1:  # options of one class (a yaml of one's own copied from sgd.yaml): the one whose keys it has
        keys = {str(key) for key in node if not str(key).startswith("_")}
        matches = [name for name in matches if set(settable_keys(options[name])) <= keys]
        if len(matches) > 1:
            matches = [name for name in matches if set(settable_keys(options[name])) == keys]
    return matches[0] if len(matches) == 1 else None


def chosen_group_option(node: DictConfig | dict, group: str) -> str | None:
    """The option of ``group`` the config holding ``node`` (that group's node) was composed with: Hydra's
    ``runtime.choices`` where Hydra is initialized, else the one :func:`chosen_option` recognises ``node`` as."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        return OmegaConf.select(HydraConfig.get(), f"runtime.choices.{group}", default=None)
    return chosen_option(node, group_options(group))


def example_value(config: DictConfig, key: str) -> str | None:
    """``key``'s value in an option's YAML as an override writes it (``0.9``, ``true``, ``[0.9, 0.999]``); None for
    an interpolation, a node or null."""
    value = OmegaConf.to_container(config, resolve=False).get(key)
    if value is None or isinstance(value, dict) or "${" in str(value):
        return None
    return str(value).lower() if isinstance(value, bool) else str(value)


def target_takes(node: Any, key: str, by_name: bool = False) -> bool:
    """Whether the node's ``_target_`` takes ``key`` as an argument (``**kwargs`` counts unless ``by_name``; an
    import error does not)."""
    from trainlab.target_arguments import accepted_keywords  # imports the target: only on this error's way out

    target = node.get("_target_") if isinstance(node, DictConfig) else None
    try:
        accepted = accepted_keywords(target) if target else frozenset()
    except Exception:  # noqa: BLE001 - a target that cannot be imported: the composition error says enough
        return False
    return (accepted is None and not by_name) or (accepted is not None and key in accepted)


def option_sets_what_its_target_lacks(group: str, chosen: str, key: str, node: DictConfig) -> str:
    """An option's own yaml sets ``key`` and its ``_target_`` takes no such argument (a yaml of one's own, copied
    from another option): the yaml is to change - the group's other options are no way out."""
    from trainlab.target_arguments import accepted_keywords, first_argument

    try:  # the arguments the yaml may set: not the first, which the caller passes (an optimizer's params)
        accepted = sorted((accepted_keywords(node._target_) or set()) - {first_argument(node._target_)})
    except Exception:  # noqa: BLE001 - an import error is reported by its own check
        accepted = []
    takes = f" (it takes: {', '.join(accepted)})" if accepted else ""
    return (f"{group}.{key}: {group}={chosen} sets {key} in its yaml, but its {node._target_} takes no {key}{takes}; "
            f"allowed: remove {key} from {option_file(group, chosen)}, or point its _target_ at a class that takes "
            f"{key}")


def command_line_override(full_key: str) -> str | None:
    """The command line's last override that sets ``full_key`` without ``+`` (``optimizer.weight_decay=0,0.1``, a
    sweep as typed), or None."""
    import sys

    words = [word for word in sys.argv[1:] if word.partition("=")[0] == full_key and "=" in word]
    return words[-1] if words else None


def replaced_key_refusal(node: Any, key: str, given: str | None) -> str | None:
    """The refusal of ``optimizer.weight_decay`` set on an optimizer whose config leaves it out, when a value it
    gets - the typed one, each of a sweep's, or its yaml's - is one :func:`check_optimizer_key` refuses (adding it
    with ``+`` would be refused in turn); None for 0, null or no number, for which ``+`` is the way out."""
    if given is not None and "=" in given:
        text = given.partition("=")[2]
        values = override_values(given.lstrip("+"))
    elif isinstance(node, DictConfig) and key in node:  # set in an optimizer's yaml
        values = [OmegaConf.select(node, key, default=None)]
        text = str(values[0])
    else:
        return None
    if values is None or not any(refused_weight_decay(value) for value in values):
        return None
    return replaced_key_message(REPLACED_KEY, text)


def entry_of_another_option_message(full_key: str, node: DictConfig, options: dict[str, DictConfig],
                                    given: str | None) -> str | None:
    """``callbacks.early_stopping.patience=5`` on ``callbacks=default``, a group whose options are collections of
    entries (no ``_target_`` of their own): the options that have the entry, or None where none has it. ``given``:
    the override as typed (Hydra's ``+`` advice), for the example."""
    group, _, key = full_key.rpartition(".")
    holders = [name for name, config in options.items() if key in settable_keys(config)]
    if not holders:
        return None
    entries = ", ".join(settable_keys(node)) or "none"
    example = f" (e.g. {group}={holders[0]} {given.lstrip('+')})" if given else ""
    return (f"{full_key}: this config's {group} has no {key} (its entries: {entries}); allowed: one of its entries, or "
            f"an option that has {key} - {', '.join(f'{group}={holder}' for holder in holders)}{example}")


def option_lacks_key_message(full_key: str, node: Any, given: str | None = None) -> str | None:
    """The one-line message for ``<group>.<key>`` set on a group's option that has no such key while other options
    of the group have it (see the module docstring); None when it is no such case. ``given``: the override as
    typed, for the ``+`` line that adds a key the option's config leaves out but its target takes
    (``optimizer=torch_adam optimizer.foreach=false``); the command line's own override of the key comes first, so
    that a sweep's ``+`` line keeps all its values (``+optimizer.foreach=true,false``)."""
    group, _, key = full_key.rpartition(".")
    # as typed: a multirun composes job 1 with the sweep's first value (+optimizer.foreach=True for true,false)
    given = command_line_override(full_key) or given
    if full_key == REPLACED_KEY:
        refused = replaced_key_refusal(node, key, given)
        if refused is not None:  # optimizer.weight_decay=0.1: not to be added with +, which would be refused in turn
            return refused
    options = group_options(group) if group else {}
    if isinstance(node, DictConfig) and "_target_" not in node:  # a group of entries: callbacks, logger
        return entry_of_another_option_message(full_key, node, options, given)
    chosen = chosen_option(node, options)
    if chosen is not None and key in settable_keys(options[chosen]):  # the option's own yaml sets what its class lacks
        return option_sets_what_its_target_lacks(group, chosen, key, node)
    takers = [name for name, config in options.items()  # options that set the key, and whose class takes it
              if key in settable_keys(config) and name != chosen and target_takes(config, key)]
    if not takers:
        if group and target_takes(node, key, by_name=True):  # trainer.limit_train_batches (set by debug=limit)
            # ++: another group's option may set it (debug=limit), where + is refused in a sweep over that group
            add = "++" + (given.lstrip("+") if given else f"{full_key}=<value>")
            own = ", ".join(settable_keys(node))
            return (f"{full_key}: not in this config's {group} (its keys: {own}), but its {node._target_} takes it; "
                    f"allowed: add it with {add}")
        return None
    name = f"{group}={chosen}" if chosen else f"this {group}"
    own = [k for k in settable_keys(node) if k != key]
    has = f"its keys: {', '.join(own)}" if own else "it has no keys to set"
    choices = ", ".join(f"{group}={taker}" for taker in takers)
    if target_takes(node, key):
        # ++: a sweep over the group's options may hold one that sets the key, where + is refused ("Could not append
        # to config. An item is already at ...")
        add = "++" + (given.lstrip("+") if given else f"{full_key}=<value>")
        return (f"{full_key}: {name} does not set {key} in its config ({has}), but its {node._target_} takes it; "
                f"allowed: add it with {add} (++ sets it too in the jobs of an option that has it), or an option "
                f"whose config sets {key} - {choices}")
    value = example_value(options[takers[0]], key)
    example = f" (e.g. {group}={takers[0]} {group}.{key}={value})" if value is not None else ""
    instead = "one of its keys, or " if own else ""
    return (f"{full_key}: {name} takes no {key} ({has}); allowed: {instead}an option that takes {key} - "
            f"{choices}{example}")


#: where :func:`option_file_giving` finds no value for the key: the option's yaml leaves it out
LEFT_OUT = object()


def option_file_giving(node: Any, group: str, key: str) -> str | None:
    """The yaml of the option of ``group`` this config was composed with (:func:`option_file`) where that yaml gives
    ``node``'s ``key`` its value - both leave it out counts too -, so the file is the one to edit: a ``_target_``
    misspelt there, a ``_partial_: true`` it lacks. None where the option is not known or the value came from
    elsewhere (the command line's ``optimizer._target_=...``, an experiment config): the file is not to blame."""
    options = group_options(group)
    option = chosen_group_option(node, group) if isinstance(node, DictConfig) else None
    if option is None or str(option) not in options:
        return None
    written = OmegaConf.to_container(options[str(option)], resolve=False).get(key, LEFT_OUT)
    given = OmegaConf.to_container(node, resolve=False).get(key, LEFT_OUT)
    return option_file(group, str(option)) if written == given else None
