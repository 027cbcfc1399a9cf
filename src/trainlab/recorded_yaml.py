"""The YAML files a run or a sweep recorded (``.hydra/config.yaml``, ``.hydra/hydra.yaml``,
``optimization_results.yaml``), read back by the commands that work on finished runs (``trainlab report``,
``trainlab evaluate``): a damaged file - cut short, edited by hand, not YAML - is a one-line error naming it
(:class:`~trainlab.errors.RecordedFileError`), not a parser's traceback. A damaged ``status.json`` gets the same
error from :func:`trainlab.run_status.read_status`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from trainlab.errors import RecordedFileError

#: the advice for a damaged file of a sweep's job (``trainlab report``, a resumed sweep): the others still read
DAMAGED = "not as trainlab wrote it; allowed: the file as the run wrote it (restore it), or move that job aside"

#: the advice for a damaged file of the one run a command works on (``trainlab evaluate``): there is no sweep to move
#: it aside from, and a run trained again writes its files anew
RUN_FILE_DAMAGED = ("not as trainlab wrote it; allowed: the file as the run wrote it (restore it), or train the run "
                    "again")


#: libyaml's parser where PyYAML was built with it: the same loader (constructors, resolvers), 7x quicker - a resumed
#: sweep reads each job's .hydra/config.yaml (trainlab/sweep/resumed_configs.py)
FAST_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_recorded_mapping(path: Path, damaged: str = DAMAGED) -> dict[str, Any]:
    """The mapping ``path`` holds ({} for an empty file); a damaged file's error ends with the advice ``damaged``
    (:data:`DAMAGED` for a sweep's job, :data:`RUN_FILE_DAMAGED` for a single run)."""
    try:
        text = path.read_text(encoding="utf-8")
        try:
            content = yaml.load(text, Loader=FAST_SAFE_LOADER)
        except yaml.YAMLError:
            content = yaml.safe_load(text)  # a damaged file: the error in PyYAML's own words
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise RecordedFileError(f"{path} is unreadable ({first_line}): {damaged}") from error
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise RecordedFileError(f"{path} holds a {type(content).__name__}, not a mapping: {damaged}")
    return content
