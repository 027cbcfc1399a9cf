"""The keyword arguments a config node's ``_target_`` accepts, read from its signature.

:func:`~trainlab.config_validation.check_keys` refuses a key that is no argument of its node's target (a misspelt
``+key``), and :mod:`trainlab.group_options` tells a key the chosen option's config does not set but its target
takes (``+optimizer.foreach=false`` for ``torch.optim.Adam``) from one it does not take at all.
:func:`import_failure` says on one line why a target could not be imported (Hydra's message takes three lines and
asks whether the module is installed when the module raised while it was imported).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import traceback

from hydra._internal.utils import _locate

from trainlab.config_instantiation import one_line


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


def import_failure(target: str, error: BaseException) -> str:
    """Why ``target`` could not be imported, on one line: the error at the end of Hydra's chain, and where an
    imported file raised it (``NameError: name 'nn' is not defined (src/trainlab/init/my_init.py, line 2)``)."""
    cause = error
    while cause.__cause__ is not None:
        cause = cause.__cause__
    if isinstance(cause, ModuleNotFoundError) and cause.name:
        module, _, name = target.rpartition(".")
        if cause.name == target and module and module_imports(module):  # Hydra tried the name as a module too
            return f"module {module!r} has no attribute {name!r}{close_names(module, name)}"
        if target.startswith(f"{cause.name}."):  # the target's module, or a package above it
            return f"no module named {cause.name!r}"
    message = one_line(str(cause))
    if isinstance(cause, SyntaxError):  # its message names the file by its base name: the whole path instead
        return f"{type(cause).__name__}: {cause.msg} ({cause.filename}, line {cause.lineno})"
    # the last frame of the imported code itself - not Hydra's, importlib's or a frozen module's
    frames = [frame for frame in traceback.extract_tb(cause.__traceback__)
              if not frame.filename.startswith("<") and "/hydra/" not in frame.filename
              and "/importlib/" not in frame.filename]
    if not frames or cause is error:
        return f"{type(cause).__name__}: {message}"
    return f"{type(cause).__name__}: {message} ({frames[-1].filename}, line {frames[-1].lineno})"


def close_names(module: str, name: str) -> str:
    """``; did you mean 'SGD'?`` for a misspelt class or function of an importable ``module`` (its public names);
    '' when none is close."""
    from trainlab.hydra_errors import did_you_mean

    names = [candidate for candidate in dir(importlib.import_module(module)) if not candidate.startswith("_")]
    return did_you_mean(name, names, quoted=True)


def module_imports(module: str) -> bool:
    """Whether ``module`` imports (then a target's missing name is an attribute it lacks)."""
    try:
        importlib.import_module(module)
    except Exception:  # noqa: BLE001 - only whether it imports is asked; the caller reports the target's own error
        return False
    return True
