"""A config value written as a user types it in a Hydra override, for the error messages that quote one.

Python's ``repr`` wrote ``None``, ``True`` and ``False`` (``data.batch_size=None is invalid``), which Hydra reads as
the strings "None" and "True"; the override syntax says ``null``, ``true``, ``false``. Strings keep their quotes
(``optimizer.lr='fast'``: the value was read as a string), lists and dicts are written item by item.
"""

from __future__ import annotations

from typing import Any


def typed(value: Any) -> str:
    """``value`` in Hydra's override syntax: ``null``, ``true``, ``'fast'``, ``0.1``, ``[0.9, null]``, ``{a: 1}``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(typed(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {typed(item)}" for key, item in value.items()) + "}"
    return repr(value)
