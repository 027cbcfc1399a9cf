"""The ``--config-dir`` a run was made with, where a command on its directory lacks it.

``python train.py --config-dir my_conf init=lecun`` records its config sources in ``<run>/.hydra/hydra.yaml``
(``hydra.runtime.config_sources``; a sweep's in ``multirun.yaml``). Resumed without the option
(``ckpt_path=last hydra.run.dir=<run>``, with the overrides a refusal or the run's records give), the option of one's
own is not found: ``error: init=lecun: no option 'lecun' in config group init; allowed: ...`` - which did not say that
the run had found it in a directory this command does not search. :func:`recorded_config_dir_hint` says so.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

#: the run directory a command names, and the record in it that holds its config sources
RECORDS = {"hydra.run.dir": Path(".hydra") / "hydra.yaml", "hydra.sweep.dir": Path("multirun.yaml")}


def named_dirs(argv: list[str]) -> list[tuple[str, Path]]:
    """``(key, directory)`` for the last ``hydra.run.dir=`` and ``hydra.sweep.dir=`` of the command line."""
    named = {}
    for word in argv:
        key, sep, value = word.lstrip("+").partition("=")
        if sep and key in RECORDS and value:
            named[key] = Path(value.strip("'\"")).expanduser()
    return list(named.items())


def recorded_config_dirs(record: Path) -> list[Path]:
    """The ``--config-dir`` directories (provider ``command-line``) a run's ``record`` lists; empty where it cannot
    be read."""
    try:
        hydra = (yaml.safe_load(record.read_text()) or {}).get("hydra") or {}
        sources = (hydra.get("runtime") or {}).get("config_sources") or []
    except (OSError, yaml.YAMLError, AttributeError):  # no record, or none of this shape: no hint
        return []
    return [Path(str(source.get("path"))) for source in sources if isinstance(source, dict)
            and source.get("provider") == "command-line" and source.get("schema") == "file"]


def recorded_config_dir_hint(group: str, option: str, argv: list[str], searched: list[Path]) -> str:
    """``; the run in <dir> was made with --config-dir <config dir>, which has <group>/<option>.yaml: add it to this
    command`` where the run or sweep directory the command names recorded a ``--config-dir`` that holds the missing
    option and that this command's search path (``searched``) lacks; else empty."""
    searched_dirs = {path.resolve() for path in searched}
    for key, directory in named_dirs(argv):
        for config_dir in recorded_config_dirs(directory / RECORDS[key]):
            if (config_dir / group / f"{option}.yaml").is_file() and config_dir.resolve() not in searched_dirs:
                option_dir = shlex.quote(str(config_dir))
                return (f"; the run in {directory} was made with --config-dir {option_dir}, which has "
                        f"{group}/{option}.yaml: add --config-dir {option_dir} to this command")
    return ""
