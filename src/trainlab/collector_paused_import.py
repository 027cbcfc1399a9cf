"""Import torch and Lightning with Python's cyclic garbage collector paused: about a second less per command.

``import lightning`` (which imports torch, and torchmetrics, which pulls in torchvision, torch._dynamo, sympy and
scipy) creates some 800,000 objects, nearly all of them alive until the process ends. While they pile up, the
collector's full pass (generation 2) runs each time the objects that survived its younger passes have grown by a
quarter of those it already holds, so it walks the growing pile again and again and finds next to nothing to free:
~1.1 s of the 3.5-4.6 s the import takes on the 2-core development machine (measured in alternation, 4 rounds).

:func:`import_with_collector_paused` imports a module with the collector disabled, then moves every object alive to
the collector's permanent generation (``gc.freeze()``: later full passes skip the modules, which are never garbage)
and restores the collector as it was. Objects made after it are collected as usual; the few reference cycles the
import itself leaves behind stay in memory (kilobytes). It is called for ``lightning`` (which imports torch) where
a command first needs it, so that what answers before - ``--help``, ``--cfg``, a config value refused before any
class is looked at - still answers without it: :func:`trainlab.located_target.locate` (the config checks of a run
look at its classes before it trains), the task function of ``train.py``, the stacked launcher, and ``trainlab
evaluate`` once the run directory passed its checks. A module imported already is left as it is: the call costs
nothing.
"""

from __future__ import annotations

import gc
import importlib
import sys


def import_with_collector_paused(name: str) -> None:
    """Import module ``name`` with the collector paused, then freeze what is alive (see the module docstring);
    nothing if it is imported already. An import error is raised as it is, the collector restored."""
    if sys.modules.get(name) is not None:
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        importlib.import_module(name)
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
