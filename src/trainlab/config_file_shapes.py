"""A config file of one's own with the wrong shape, named in one line with the shape it takes.

Hydra reads a config file as a mapping of keys, with a ``defaults`` list and a ``# @package`` header line. A file of
another shape ended in a traceback, or in a line that named neither the file nor what was wrong with it:

* a file holding a single value (``0.1``): ``OSError: Invalid loaded object type: float``, a traceback;
* a ``defaults`` that is a mapping: ``ValueError: Invalid defaults list in 'experiment/y2' ...``, a traceback;
* a header without its package (``# @package``), or with several: ``ValueError: Expected header format: KEY
  VALUE``, a traceback;
* a file holding a list (``- a``) as an option of ``optimizer``, or an experiment's ``optimizer: [1, 2]``:
  "trainlab's checks before the run failed unexpectedly (ConfigTypeError: Index '_target_' (str) is not an int)",
  or Hydra's "Cannot merge DictConfig with ListConfig";
* a header whose package is no key of the config (``# @package _globl_``): ``_globl_: unknown top-level key``.

Each is now ``error: <file>: <what is wrong>; allowed: <the shape it takes>`` with exit status 2, before anything is
written. The file is found where Hydra was reading it (:func:`file_being_read`: the frame of its config repository
that loaded it), or among the files the config was composed of (:func:`composed_options`: Hydra's
``runtime.choices``) for a shape Hydra composed without complaint and trainlab's checks refuse
(:func:`check_group_shapes`, :func:`package_header_message`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf

from trainlab.config_keys import OPTION_KEYS
from trainlab.errors import ConfigError

#: the top-level keys that hold an option of a config group: a mapping of its keys, or null
GROUP_KEYS = (*OPTION_KEYS, "paths")
MAPPING = "a mapping of keys, one 'key: value' a line"
DEFAULTS = "a list, one entry a line ('- _self_', '- override /optimizer: adam')"
HEADER = ("'# @package <package>' with one package: _global_ (the keys of the whole config), _group_ (those of its "
          "config group) or a key (optimizer)")


def shown(value: Any) -> str:
    """``value`` as YAML's flow style writes it on one line (``0.1``, ``[1, 2]``, ``{lr: 0.1}``)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=float("inf")).strip()
    return text.removesuffix("...").strip()


def kind_of(value: Any) -> str:
    """``a list``, ``a number``, ... : what a value that is no mapping is."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return "null" if value is None else "a string" if isinstance(value, str) else f"a {type(value).__name__}"


def file_being_read(error: BaseException) -> str | None:
    """The config file Hydra's config repository was loading when ``error`` was raised (its source and the config's
    path are in the frame of ``ConfigRepository.load_config``), else None."""
    found = None
    frames = error.__traceback__
    while frames is not None:
        frame = frames.tb_frame
        if frame.f_code.co_name == "load_config" and frame.f_code.co_filename.endswith("config_repository.py"):
            source, name = frame.f_locals.get("source"), frame.f_locals.get("config_path")
            if source is not None and isinstance(name, str):
                found = source_file(source, name)
        frames = frames.tb_next
    return found


def source_file(source: Any, name: str) -> str:
    """The file of config ``name`` (``optimizer/bad8``) in a config source of Hydra's: a path for a directory's."""
    file_name = source._normalize_file_name(name)
    if source.scheme() == "file":
        return str(Path(source.path) / file_name)
    return f"{source.full_path()}/{file_name}"


def group_of(file: str) -> str:
    """``the other options of config group optimizer`` for ``.../optimizer/bad8.yaml`` where ``optimizer`` is a config
    group, else empty."""
    group = Path(file).parent.name
    return f" (as the other options of config group {group} are)" if group in GROUP_KEYS else ""


def not_a_mapping_message(file: str, value: Any) -> str:
    """A file that holds a list or a single value, where Hydra takes a mapping of keys."""
    return (f"{file}: holds {kind_of(value)} ({shown(value)}), where a config file holds a mapping of keys; allowed: "
            f"{MAPPING}{group_of(file)}")


def read_error_message(error: BaseException) -> str | None:
    """The line for an error Hydra raised reading a config file of the wrong shape; None for any other error."""
    file = file_being_read(error)
    if file is None:
        return None
    text = str(error)
    if isinstance(error, OSError) and text.startswith("Invalid loaded object type"):  # 0.1: OmegaConf's refusal
        try:
            value = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError, yaml.YAMLError):
            value = text.rpartition(": ")[2]
        return not_a_mapping_message(file, value)
    if not isinstance(error, ValueError):
        return None
    if (got := re.search(r"defaults must be a list \(got (\w+)\)", text)) is not None:
        kind = "a mapping" if got.group(1) == "mapping" else kind_of({"str": "", "int": 0, "float": 0.0,
                                                                     "bool": True}.get(got.group(1), object()))
        return f"{file}: its defaults is {kind}, not a list; allowed: {DEFAULTS}"
    if (header := re.match(r"Expected header format: KEY VALUE, got '(.*)'$", text)) is not None:
        return f"{file}: its header line '# {header.group(1)}' names no package; allowed: {HEADER}"
    if (header := re.match(r"Too many components in '(.*)'$", text)) is not None:
        return f"{file}: its header line '# {header.group(1)}' names more than one package; allowed: {HEADER}"
    # another entry of its defaults list that Hydra cannot read (two keys in one entry, a number)
    return f"{file}: {' '.join(text.split())}; allowed: in its defaults {DEFAULTS}"


def loaded_config(name: str) -> tuple[str, Any] | None:
    """``(file, loaded)`` of config ``name`` (``experiment/x1``) as Hydra's repository loads it: its config and its
    header; None where Hydra is not set up or the config cannot be loaded."""
    if not GlobalHydra.instance().is_initialized():
        return None
    repository = getattr(GlobalHydra.instance().config_loader(), "repository", None)
    try:
        loaded = repository.load_config(name) if repository is not None else None
    except Exception:  # noqa: BLE001 - a file that does not load: its own error says why when it is composed
        return None
    if loaded is None:
        return None
    source = next((source for source in repository.get_sources() if source.full_path() == loaded.path), None)
    file = source_file(source, name) if source is not None else f"{name}.yaml"
    return file, loaded


def composed_options() -> Iterator[tuple[str, str, Any]]:
    """``(group, file, loaded)`` of each option the current config was composed with (Hydra's ``runtime.choices``,
    in the defaults list's order); nothing where no Hydra config is current."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return
    choices = OmegaConf.select(HydraConfig.get(), "runtime.choices", default=None) or {}
    for group, option in choices.items():
        if option is None or str(group).startswith("hydra"):
            continue
        found = loaded_config(f"{group}/{option}")
        if found is not None:
            yield str(group), *found


def landing_key(group: str, package: str | None) -> str:
    """The top-level key a config of ``group`` with header package ``package`` puts its keys under ('' for the
    root)."""
    package = (package or "_group_").replace("_group_", group.replace("/", "."))
    if package == "_global_" or package.startswith("_global_."):
        package = package.removeprefix("_global_").lstrip(".")
    return package.split(".")[0]


def group_key_message(key: str, value: Any, file: str | None) -> str:
    """``optimizer: [1, 2]``: a key of a config group that holds a list or a single value, where it takes a mapping
    of the option's keys; ``file``: the config file that set it, where known."""
    where = f"{file}: " if file else ""
    option = value if isinstance(value, str) and value else "<option>"  # optimizer: adam - meant as the choice
    return (f"{where}{key}: {shown(value)} is {kind_of(value)}, where {key} holds a mapping (the keys of an option of "
            f"config group {key}); allowed: a mapping of {key}'s keys ({key}: {{...}}), or an option of config group "
            f"{key} chosen in the defaults list ('- override /{key}: {option}')")


#: the groups whose key a false value switches off, as the training task reads them (``logger: false``: no logger)
SWITCHED_OFF_BY_A_FALSE_VALUE = ("logger", "callbacks")


def check_group_shapes(cfg: DictConfig) -> None:
    """Raise :class:`ConfigError` for a config group's top-level key (:data:`GROUP_KEYS`) that holds a list or a
    single value, naming the file that set it: the group's chosen option that holds no mapping, or a file of the
    whole config (``# @package _global_``: an experiment) that sets the key."""
    for key in GROUP_KEYS:
        node = cfg._get_node(key) if key in cfg else None
        if node is None or isinstance(node, DictConfig) or node._is_none() or node._is_interpolation():
            continue
        value = OmegaConf.to_container(node) if OmegaConf.is_list(node) else node._value()
        if key in SWITCHED_OFF_BY_A_FALSE_VALUE and value in (False, ""):  # logger: false - Lightning's "none"
            continue
        file = None
        for group, path, loaded in composed_options():
            if group == key and not isinstance(loaded.config, DictConfig):
                raise ConfigError(not_a_mapping_message(path, OmegaConf.to_container(loaded.config)))
            sets_it = isinstance(loaded.config, DictConfig) and key in loaded.config and not isinstance(
                loaded.config.get(key), DictConfig)
            if sets_it and landing_key(group, loaded.header.get("package")) == "":
                file = path  # the last one: it wins
        raise ConfigError(group_key_message(key, value, file))


def package_header_message(key: str, allowed: list[str]) -> str | None:
    """For an unknown top-level key ``key`` that a composed config's ``# @package`` header put its keys under
    (``# @package _globl_``): the line naming that file and header; None where no composed file's header did."""
    from trainlab.hydra_errors import did_you_mean

    for group, file, loaded in composed_options():
        package = loaded.header.get("package")
        if package and landing_key(group, package) == key:
            return (f"{file}: its header '# @package {package}' puts its keys under {key}, which is no top-level key; "
                    f"allowed: '# @package _global_' (the keys of the whole config), or a top-level key: "
                    f"{', '.join(allowed)}" + did_you_mean(package, ["_global_", "_group_", *allowed]))
    return None


def composition_shape_message(name: str) -> str | None:
    """For Hydra's "Cannot merge DictConfig with ListConfig" composing config ``name`` (``experiment/x1``): the line
    naming its file and the list (the whole file, or a config group's key); None where neither is found."""
    found = loaded_config(name)
    if found is None:
        return None
    file, loaded = found
    if not isinstance(loaded.config, DictConfig):
        return not_a_mapping_message(file, OmegaConf.to_container(loaded.config))
    for key in GROUP_KEYS:
        value = loaded.config.get(key)
        if key in loaded.config and value is not None and not isinstance(value, DictConfig):
            return group_key_message(key, OmegaConf.to_container(value) if OmegaConf.is_list(value) else value, file)
    return None
