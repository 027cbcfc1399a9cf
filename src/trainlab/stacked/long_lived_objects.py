"""Keep Python's cyclic garbage collector from rescanning objects that live for the whole sweep.

A full collection (generation 2) walks every object the interpreter tracks. After ``import torch, lightning`` and
the composition of a 100-trial batch that is millions of objects (modules, functions, OmegaConf nodes), and the
collector ran a full pass over them every few thousand allocations of the launcher's YAML and config work: ~1.5 s
of a 100-trial stacked search. :func:`sweep_objects_frozen` moves the objects alive at its start (and again at each
:func:`freeze_now`) to the collector's permanent generation (``gc.freeze()``), where collections skip them, and
hands them back (``gc.unfreeze()``) when it ends, so that what the batch leaves behind is collected as before.
Nothing is disabled: objects created inside are collected as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def sweep_objects_frozen() -> Iterator[None]:
    """Freeze what is alive now for the duration of the ``with`` block (see the module docstring)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def freeze_now() -> None:
    """Inside :func:`sweep_objects_frozen`: freeze what was created since (composed jobs that live until their
    stack ends)."""
    gc.freeze()
