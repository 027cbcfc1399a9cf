"""Import torch and Lightning with Python's cyclic garbage collector paused: about a second less per command.

``import lightning`` (which imports torch, and torchmetrics, which pulls in torchvision, torch._dynamo, sympy and
scipy) creates some 800,000 objects, nearly all of them alive until the process ends. While they pile up, the
collector's full pass (generation 2) runs each time the objects that survived its younger passes have grown by a
quarter of those it already holds, so it walks the growing pile again and again and finds next to nothing to free:
~1.1 s of the 3.5-4.6 s the import takes on the 2-core development machine (measured in alternation, 4 rounds).

:func:`import_with_collector_paused` imports a module with the collector disabled, then moves every object alive to
the collector's permanent generation (``gc.freeze()``: later full passes skip the modules, which are never garbage)
and restores the collector as it was. Objects made after it are collected as usual; reference cycles that were
garbage at the freeze (left by the import, or by the composition of the config before it) stay in memory until the
process ends, as a collection at exit would only have freed them then. :func:`collector_paused` is the same around
any block of code that may import them.

Both are used where a command first meets Lightning, so that what answers before - ``--help``, ``--cfg``, a config
value refused before any class is looked at - still answers without it: each look-up of a config's ``_target_``
while Lightning is not imported yet (:func:`trainlab.located_target.locate`: the checks of a run look at its
classes before it trains; its optimizer's module brings torch, its data module Lightning), the task function of
``train.py``, the stacked launcher, and ``trainlab evaluate`` once the run directory passed its checks. A module
imported already is left as it is: the call costs nothing.
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Inside: the collector disabled. After (also after an error): what is alive frozen, the collector restored
    as it was (see the module docstring)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def import_with_collector_paused(name: str) -> None:
    """Import module ``name`` with the collector paused, then freeze what is alive (see the module docstring);
    nothing if it is imported already. An import error is raised as it is, the collector restored."""
    if sys.modules.get(name) is not None:
        return
    with collector_paused():
        importlib.import_module(name)
