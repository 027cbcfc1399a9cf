"""The keyword arguments a config node's ``_target_`` accepts, read from its signature.

:func:`~trainlab.config_validation.check_keys` refuses a key that is no argument of its node's target (a misspelt
``+key``), and :mod:`trainlab.group_options` tells a key the chosen option's config does not set but its target
takes (``+optimizer.foreach=false`` for ``torch.optim.Adam``) from one it does not take at all.
"""

from __future__ import annotations

import functools
import inspect

from hydra._internal.utils import _locate


@functools.cache
def accepted_keywords(target: str) -> frozenset[str] | None:
    """The keyword arguments ``target`` accepts, or None for ``**kwargs``; looked up once per process (a stack
    validates the same targets for each of its members). Importing the target may raise."""
    signature = inspect.signature(_locate(target))
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()):
        return None
    return frozenset(name for name in signature.parameters if name != "self")


def first_argument(target: str) -> str | None:
    """The name of ``target``'s first parameter: for a ``_partial_`` node, the one its caller passes (an
    initializer's ``module``, an optimizer's ``params``, a schedule's ``optimizer``), not the config."""
    return next((name for name in inspect.signature(_locate(target)).parameters if name != "self"), None)
