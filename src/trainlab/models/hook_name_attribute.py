"""``HookNameAsPlainAttribute``: a LightningModule mixin that stores Lightning's running-hook name cheaply.

Lightning records the name of the hook it is running in the module's ``_current_fx_name`` around every hook call,
some 25 times per training step. ``nn.Module.__setattr__`` first checks every name against the module's
parameters, buffers and submodules; for this one string that is all wasted work, ~10 % of a training step of the
book's MLP on a CPU (and as much of a small stack's step). The mixin stores it as a plain attribute; every other
name goes through ``nn.Module.__setattr__`` as usual.
"""

from __future__ import annotations

from typing import Any


class HookNameAsPlainAttribute:
    """Put first among a LightningModule's bases: ``class Model(HookNameAsPlainAttribute, L.LightningModule)``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "_current_fx_name":
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)
