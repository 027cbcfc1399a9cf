"""Which config file chose an option that does not exist, when the command line did not.

``python train.py --config-dir my_conf experiment=mine`` whose ``experiment/mine.yaml`` says ``override /optimizer:
my_sdg`` was refused ``error: optimizer=my_sdg: no option 'my_sdg' in config group optimizer; ...`` - a choice the
user never typed, and Hydra's own message names the primary config (``In 'train'``), not the file. The line now
names the file: ``optimizer=my_sdg (chosen in my_conf/experiment/mine.yaml): no option ...``.

:func:`choosing_files` reads the ``.yaml`` files of the config search path's directories for a defaults-list entry
that chooses the option (``- optimizer: my_sdg``, ``- override /optimizer: my_sdg``); it runs only on that error.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from trainlab.config_keys import override_key

#: files read at most, per directory (a config directory is small; a mistaken --config-dir may not be)
MOST_FILES = 2000


def search_path_dirs() -> list[Path]:
    """The directories of the config search path Hydra composed with (the checkout's conf/, which Hydra names by its
    bare path, and each ``--config-dir``, a ``file://`` entry); empty where Hydra is not set up. Packages
    (``pkg://``) and structured configs hold no files to read."""
    return [directory for _, directory in search_path_providers()]


def search_path_providers() -> list[tuple[str, Path]]:
    """``(provider, directory)`` of each directory of the config search path (:func:`search_path_dirs`)."""
    from hydra.core.global_hydra import GlobalHydra

    if not GlobalHydra.instance().is_initialized():
        return []
    elements = GlobalHydra.instance().config_loader().get_search_path().get_path()
    return [(str(element.provider), Path(str(element.path).removeprefix("file://"))) for element in elements
            if str(element.path).startswith("file://")
            or ("://" not in str(element.path) and Path(str(element.path)).is_dir())]


def main_config_dir() -> Path | None:
    """The primary config directory (the checkout's conf/, Hydra's ``main`` provider); None where Hydra is not set
    up or it is no directory."""
    return next((directory for provider, directory in search_path_providers() if provider == "main"), None)


def typed_choice(group: str, option: str, argv: list[str]) -> bool:
    """Whether the command line chose ``group=option`` itself (``+``, ``++``, a leading ``/`` or a sweep's list
    included)."""
    for word in argv:
        key, sep, value = word.partition("=")
        if sep and override_key(key).lstrip("/") == group and option in re.split(r"[\s,()\[\]]+", value):
            return True
    return False


def yaml_texts(dirs: list[Path]) -> Iterator[tuple[Path, Path, str]]:
    """``(directory, file, its text)`` for the ``.yaml`` files under each of ``dirs``, sorted, at most
    :data:`MOST_FILES` a directory; an unreadable file is left out (it chooses nothing)."""
    for directory in dirs:
        for count, path in enumerate(sorted(directory.rglob("*.yaml"))):
            if count >= MOST_FILES:
                break
            try:
                yield directory, path, path.read_text(errors="replace")
            except OSError:
                continue


def choosing_files(group: str, option: str, dirs: list[Path]) -> list[Path]:
    """The ``.yaml`` files under ``dirs`` whose defaults list chooses ``option`` for ``group``."""
    chosen = rf"/?{re.escape(group)}\s*:\s*['\"]?{re.escape(option)}['\"]?"
    entry = re.compile(rf"^\s*-\s*(?:override\s+)?{chosen}\s*(?:#.*)?$", re.MULTILINE)
    return [path for _, path, text in yaml_texts(dirs) if entry.search(text)]


def command_line_configs(argv: list[str], dirs: list[Path]) -> set[Path]:
    """The config files the command line chose, as paths under ``dirs``: ``<group>/<option>.yaml`` of each
    ``group=option`` word and the primary config (``--config-name``, else ``train``)."""
    from hydra._internal.utils import get_args_parser

    try:
        args, _ = get_args_parser().parse_known_args(argv)
    except SystemExit:  # not Hydra's command line: no options read
        args = None
    names = {f"{(args.config_name if args is not None and args.config_name else 'train')}.yaml"}
    for word in argv:
        key, sep, value = word.partition("=")
        if sep and not word.startswith("-"):
            names |= {f"{override_key(key).lstrip('/')}/{choice}.yaml" for choice in re.split(r"[\s,()\[\]]+", value)
                      if choice}
    return {directory / name for directory in dirs for name in names}


def chosen_in(group: str, option: str, argv: list[str] | None = None) -> str:
    """`` (chosen in <file>)`` for a choice of ``option`` the command line did not make, where a file of the config
    search path makes it - the one the command line chose (``experiment=mine``) where it is among them, else
    `` (chosen in one of <files>)``, as the files that choose it are not all composed; else empty."""
    argv = sys.argv[1:] if argv is None else argv
    if typed_choice(group, option, argv):
        return ""
    dirs = search_path_dirs()
    files = choosing_files(group, option, dirs)
    chosen = [path for path in files if path in command_line_configs(argv, dirs)]
    if chosen or len(files) == 1:
        return f" (chosen in {', '.join(map(str, chosen or files))})"
    return f" (chosen in one of {', '.join(map(str, files))})" if files else ""


def defaults_groups(dirs: list[Path]) -> set[str]:
    """The config groups the defaults lists of the ``.yaml`` files under ``dirs`` choose from (``optimizer``,
    ``hydra/launcher``): an absolute entry (``override /optimizer: adam``) names its group from the root, a relative
    one from the folder of its file (conf/train.yaml's ``- optimizer: sgd``; ``- net: wide`` in model/mlp.yaml is
    ``model/net``). Entries without a group (``_self_``, ``- default``) name none; a file that is no YAML names none."""
    import yaml

    groups = set()
    for directory, path, text in yaml_texts(dirs):
        try:
            defaults = (yaml.safe_load(text) or {}).get("defaults")
        except (yaml.YAMLError, AttributeError):  # no YAML, or no mapping: chooses nothing
            continue
        folder = path.parent.relative_to(directory).as_posix()
        for entry in defaults if isinstance(defaults, list) else []:
            for key in entry if isinstance(entry, dict) else []:
                words = str(key).split()  # "override /optimizer", "optional net@head"
                group = words[-1].partition("@")[0] if words else ""
                if group.startswith("/") or group.startswith("hydra/") or folder == ".":
                    groups.add(group.lstrip("/"))
                elif group:
                    groups.add(f"{folder}/{group}")
    return groups


def config_groups(dirs: list[Path], argv: list[str]) -> set[str]:
    """The folders of a config directory that are config groups of this config: those a defaults list chooses from
    (:func:`defaults_groups`), those the command line chooses from (``+augment=flip`` for a folder of one's own) and
    Hydra's own (``hydra`` and below). Any other folder (``optimizers/``, a misspelling) is not read by Hydra for
    an option of a group."""
    typed = {override_key(word.partition("=")[0]).lstrip("/") for word in argv
             if "=" in word and not word.startswith("-")}
    return defaults_groups(dirs) | typed | {"hydra"}


def builds_kind_of(path: Path) -> str | None:
    """``optimizer`` or ``scheduler`` where the yaml's ``_target_`` is a class of that kind
    (:func:`~trainlab.misplaced_options.class_kind`), else None (no such class, or one that does not import)."""
    import yaml

    from trainlab.located_target import locate
    from trainlab.misplaced_options import class_kind

    try:
        target = (yaml.safe_load(path.read_text(errors="replace")) or {}).get("_target_")
    except (OSError, yaml.YAMLError, AttributeError):
        return None
    try:
        return class_kind(locate(str(target))) if isinstance(target, str) else None
    except (Exception, SystemExit):  # noqa: BLE001 - a target that fails to import (or exits as it is imported):
        return None  # no kind to tell, and the error being formatted is still the one said (its own check says why)


def misplaced_option_file(group: str, option: str, dirs: list[Path] | None = None,
                          argv: list[str] | None = None) -> str:
    """``; found <file>, where Hydra does not look for it: move it to <dir>/<group>/<option>.yaml`` for a file named
    after a missing option where it is surely misplaced: the directory's root, a ``.yml`` file (Hydra reads ``.yaml``
    only), or a folder that is no config group of this config (:func:`config_groups`) and whose name is close to the
    group's (``optimizers/``, ``optimzer/`` for ``optimizer``). In any other folder that is no group of this config
    (``augment/``, a group of one's own chosen with ``+augment=flip``) the file may well be in its place, so the advice
    is conditional: ``; found <file> in augment/, which this command chooses nothing from; if it is an option of
    scheduler, move it to ...``. Else empty. Hydra's message named neither the file nor where options are read
    from."""
    dirs = search_path_dirs() if dirs is None else dirs
    argv = sys.argv[1:] if argv is None else argv
    # an option of another group (conf/optimizer/adam.yaml for scheduler=adam) is in its place; a folder that is in
    # the checkout's conf/ but no group (a misspelled conf/optimizers/) is not: it was counted as one, so its file
    # was not named, here or in a --config-dir
    groups = config_groups(dirs, argv)
    maybe = ""  # the first conditional advice, given only where no file is surely misplaced
    for directory in dirs:
        expected = directory / group / f"{option}.yaml"
        for count, path in enumerate(sorted(directory.rglob(f"{option}.y*ml"))):
            if count >= MOST_FILES:
                break
            folder = path.parent.relative_to(directory).as_posix()
            in_its_place = path.suffix == ".yaml" and (folder in groups or folder.startswith("hydra/"))
            if in_its_place and path != expected and path.is_file() and builds_kind_of(path) == group:
                # another group's folder, yet what it builds is this group's: conf/init/lion.yaml for optimizer=lion
                from trainlab.misplaced_options import KIND_NAMES

                return (f"; found {path}, in {folder}/, but it builds {KIND_NAMES[group]}: move it to {expected}, and "
                        f"choose it with {group}={option}")
            if path.suffix in (".yaml", ".yml") and path != expected and path.is_file() and not in_its_place:
                if path.suffix == ".yml" or folder == "." or difflib.get_close_matches(folder, [group]):
                    why = " (Hydra reads .yaml files only)" if path.suffix == ".yml" else ""
                    return f"; found {path}, where Hydra does not look for it: move it to {expected}{why}"
                maybe = maybe or (f"; found {path} in {folder}/, which this command chooses nothing from; if it is "
                                  f"an option of {group}, move it to {expected}")
    return maybe


def plain_choices(group: str, dirs: list[Path], argv: list[str]) -> list[tuple[Path, str]]:
    """``(file, option)`` for each ``.yaml`` file under ``dirs`` - outside their root, where the primary config
    chooses its defaults - whose defaults list chooses ``option`` for ``group`` by an absolute entry without
    ``override`` (``- /init: he``): a second choice of a group conf/train.yaml chooses already, which Hydra refuses
    as "init appears more than once in the final defaults list", naming no file. Those the command line chose
    (``experiment=mine``) come alone where there are any."""
    entry = re.compile(rf"^\s*-\s*/{re.escape(group)}\s*:\s*['\"]?([^\s'\"#]+)['\"]?\s*(?:#.*)?$", re.MULTILINE)
    found = [(path, match[1]) for directory, path, text in yaml_texts(dirs)
             if path.parent != directory and (match := entry.search(text))]
    chosen = command_line_configs(argv, dirs)
    return [choice for choice in found if choice[0] in chosen] or found
