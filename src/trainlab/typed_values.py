"""A config value written as a user types it in a Hydra override: for the error messages that quote one, and the
HPARAMS cells that show a list or a dict.

Python's ``repr`` wrote ``None``, ``True`` and ``False`` (``data.batch_size=None is invalid``), which Hydra reads as
the strings "None" and "True"; the override syntax says ``null``, ``true``, ``false``. Lists and dicts are written
item by item (``[0.9, null]``, ``{a: 1}``). A message keeps a string's quotes (``optimizer.lr='fast'``: the value was
read as a string, and ``trainer.precision='17'`` is not ``17``); a table cell shows it bare (``[val, train]``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


def typed(value: Any, quote_strings: bool = True, skip_keys: Collection[str] = ()) -> str:
    """``value`` in Hydra's override syntax: ``null``, ``true``, ``'fast'`` (``fast`` unless ``quote_strings``),
    ``0.1``, ``[0.9, null]``, ``{a: 1}``; a dict's keys in ``skip_keys`` are left out, at every depth."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(typed(item, quote_strings, skip_keys) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{key}: {typed(item, quote_strings, skip_keys)}" for key, item in value.items()
                 if key not in skip_keys)
        return "{" + ", ".join(items) + "}"
    return repr(value) if quote_strings or not isinstance(value, str) else value
