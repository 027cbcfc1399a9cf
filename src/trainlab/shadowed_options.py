"""A ``--config-dir``'s option that the checkout's ``conf/`` hides: named in a warning when the command chooses it.

Hydra searches the checkout's ``conf/`` before a ``--config-dir``, so ``python train.py --config-dir ~/mylab/conf
optimizer=sgd`` with a ``~/mylab/conf/optimizer/sgd.yaml`` of one's own (``lr: 0.5``) trained with the checkout's
``conf/optimizer/sgd.yaml`` (``lr: 0.01``) and said nothing. docs/extending.md says to give one's own options names of
their own; this says so when it happens, naming both files. Only the options the command uses are looked at: the
chosen ones (``hydra.runtime.choices``), the ones a sweep's command line lists (``-m optimizer=sgd,adam``) and the
ones a sweeper's ``params`` list (``hydra.sweeper.params``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from trainlab.config_keys import override_key

#: words of Hydra's sweep syntax that name no option (``choice(sgd,adam)``, ``glob(*)``)
SWEEP_WORDS = {"choice", "range", "glob", "interval", "tag", "shuffle", "sort", "log", "int", "float", "str"}


def group_values(lines: Iterable[str], params: Any) -> list[tuple[str, str]]:
    """``(group or key, option)`` for each word of the values that ``lines`` (``key=value`` overrides) and a
    sweeper's ``params`` give: ``optimizer=sgd,adam`` -> ``(optimizer, sgd), (optimizer, adam)``."""
    pairs = []
    given = [line.partition("=") for line in lines]
    if isinstance(params, Mapping):  # anything else is refused by the sweeper, in one line, before any trial
        given += [(str(key), "=", str(value)) for key, value in params.items()]
    for key, separator, value in given:
        if not separator:
            continue
        for word in re.split(r"[\s,()\[\]'\"]+", value):
            if word and word not in SWEEP_WORDS:
                pairs.append((override_key(key).lstrip("/"), word))
    return pairs


def shadowed_options(chosen: Iterable[tuple[str, str]], main_dir: Path | None,
                     other_dirs: Iterable[Path]) -> list[tuple[str, str, Path, Path]]:
    """``(group, option, hidden file, the file used)`` for each chosen ``group=option`` whose yaml exists both in
    ``main_dir`` (the checkout's conf/, searched first) and in one of ``other_dirs`` (the ``--config-dir``'s)."""
    if main_dir is None:
        return []
    found = []
    for group, option in dict.fromkeys(chosen):
        if group.startswith("hydra/") or not option or "/" in option:  # a path (paths.data_dir=/x) is no option
            continue
        used = main_dir / group / f"{option}.yaml"
        if not used.is_file():
            continue
        found += [(group, option, hidden, used) for directory in other_dirs
                  if (hidden := directory / group / f"{option}.yaml").is_file()]
    return found


def shadowed_options_note(config: Any) -> str | None:
    """The warning for the options of the command's ``config`` (Hydra's node included) that a ``--config-dir``
    holds and the checkout's conf/ hides; None when there are none (or Hydra's search path is not known)."""
    from omegaconf import OmegaConf

    from trainlab.config_keys import override_lines
    from trainlab.option_source import main_config_dir, search_path_providers

    choices = OmegaConf.select(config, "hydra.runtime.choices", default=None) or {}
    chosen = [(str(group), str(option)) for group, option in choices.items() if option is not None]
    params = OmegaConf.select(config, "hydra.sweeper.params", default=None)
    chosen += group_values(override_lines(OmegaConf.select(config, "hydra.overrides.task", default=None)),
                           OmegaConf.to_container(params, resolve=False) if OmegaConf.is_config(params) else params)
    main_dir = main_config_dir()
    others = [directory for provider, directory in search_path_providers()
              if provider != "main" and directory != main_dir]
    hidden = shadowed_options(chosen, main_dir, others)
    if not hidden:
        return None
    files = "; ".join(f"{mine} ({group}={option} uses {used})" for group, option, mine, used in hidden)
    return (f"the checkout's conf/ hides options of the --config-dir of the same name (Hydra searches conf/ first), "
            f"so they are not used: {files}; give yours names of their own (<group>/<new name>.yaml, chosen with "
            "<group>=<new name>)")
