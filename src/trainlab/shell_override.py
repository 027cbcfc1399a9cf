"""An override as a user pastes it into a shell: ``key=value``, quoted where Hydra or the shell would read the value
otherwise.

Hydra's override grammar ends an unquoted value at ``=``, ``,``, brackets and spaces, and a sweep names its job
directories from their overrides (``3_optimizer=adam,trainer.max_epochs=1``), so ``hydra.run.dir=<such a dir>``
does not parse. Quoted for Hydra (``"..."``, a ``"`` in it escaped) and then for the shell (``'...'``, by
:func:`shlex.quote`), ``'hydra.run.dir="<dir>"'`` reaches Hydra as one word and parses back to the directory.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

PLAIN_VALUE = re.compile(r"[\w./:+@%-]*")  # what both Hydra and the shell read as it is


def shell_override(key: str, value: Any) -> str:
    """``key=value`` to paste into a shell, quoted only when the value needs it."""
    text = str(value)
    if PLAIN_VALUE.fullmatch(text):
        return f"{key}={text}"
    escaped = text.replace('"', '\\"')  # Hydra reads a backslash as itself unless a quote follows
    return shlex.quote(f'{key}="{escaped}"')
