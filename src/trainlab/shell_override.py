"""An override as a user pastes it into a shell: ``key=value``, quoted where Hydra or the shell would read the value
otherwise.

Hydra's override grammar ends an unquoted value at ``=``, ``,``, brackets and spaces, and a sweep names its job
directories from their overrides (``3_optimizer=adam,trainer.max_epochs=1``), so ``hydra.run.dir=<such a dir>``
does not parse. Quoted for Hydra (``"..."``: a ``"`` in it escaped, backslashes before one or at the end doubled)
and then for the shell (``'...'``, by :func:`shlex.quote`), ``'hydra.run.dir="<dir>"'`` reaches Hydra as one word
and parses back to the directory. Only ASCII letters stand unquoted: Hydra's grammar reads no other.
:func:`finish_sweep_command` is the command that errors and interrupts print to finish a sweep.
"""

from __future__ import annotations

import os
import re
import shlex
from typing import Any

PLAIN_VALUE = re.compile(r"[\w./:+@%-]*", re.ASCII)  # what both Hydra and the shell read as it is


def shell_override(key: str, value: Any) -> str:
    """``key=value`` to paste into a shell, quoted only when the value needs it."""
    text = str(value)
    if PLAIN_VALUE.fullmatch(text):
        return f"{key}={text}"
    # Hydra reads a backslash as itself unless a quote follows it (or it ends the value, before the closing quote):
    # those runs of backslashes are doubled, and a quote is escaped
    escaped = re.sub(r'(\\*)"', lambda m: m.group(1) * 2 + '\\"', text)
    escaped = re.sub(r"(\\+)$", lambda m: m.group(1) * 2, escaped)
    return shlex.quote(f'{key}="{escaped}"')


def finish_sweep_command(sweep_dir: str | os.PathLike) -> str:
    """``python train.py <the same overrides> resume_sweep=true hydra.sweep.dir=<sweep_dir>``, with the directory
    made absolute (the command may be pasted elsewhere) and quoted to paste."""
    return ("python train.py <the same overrides> resume_sweep=true "
            f"{shell_override('hydra.sweep.dir', os.path.abspath(str(sweep_dir)))}")
