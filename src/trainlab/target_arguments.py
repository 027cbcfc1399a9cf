"""The keyword arguments a config node's ``_target_`` accepts, read from its signature.

:func:`~trainlab.config_validation.check_keys` refuses a key that is no argument of its node's target (a misspelt
``+key``), and :mod:`trainlab.group_options` tells a key the chosen option's config does not set but its target
takes (``+optimizer.foreach=false`` for ``torch.optim.Adam``) from one it does not take at all.
:func:`import_failure` says on one line why a target could not be imported (Hydra's message takes three lines and
asks whether the module is installed when the module raised while it was imported).

:func:`plain_annotations` gives the parameters annotated with a plain type (``scale: float``, ``channels: int``,
``name: str | None``), whose config values :func:`~trainlab.config_validation.check_keys` checks before anything
is built (and :func:`required_keywords` the ones it cannot be built without): a user's initializer or network given
``scale=abc`` raised deep inside (``can't multiply sequence by
non-int of type 'float'``, ``not all arguments converted during string formatting``), blamed on the whole node.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import traceback
import types
import typing
from typing import Any

from trainlab.config_instantiation import one_line
from trainlab.located_target import locate


@functools.cache
def accepted_keywords(target: str) -> frozenset[str] | None:
    """The keyword arguments ``target`` accepts, or None for ``**kwargs``; looked up once per process (a stack
    validates the same targets for each of its members). Importing the target may raise."""
    signature = inspect.signature(locate(target))
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()):
        return None
    return frozenset(name for name in signature.parameters if name != "self")


@functools.cache
def required_keywords(target: str) -> tuple[str, ...]:
    """The parameters of ``target`` without a default that a config gives by name (its first one included: a
    ``_partial_`` node's caller passes that); not ``*args``, ``**kwargs`` or positional-only ones. Without its
    value the target cannot be built: ``Lion3.__init__() missing 1 required positional argument: 'beta1'``, which
    named no key. Importing the target may raise."""
    return tuple(name for name, parameter in inspect.signature(locate(target)).parameters.items()
                 if name != "self" and parameter.default is inspect.Parameter.empty
                 and parameter.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY))


#: the types a parameter's annotation may be made of to be checked, and how an error says each
PLAIN_TYPES = {int: "an integer", float: "a float", bool: "true or false", str: "a string", type(None): "null"}


@functools.cache
def plain_annotations(target: str) -> dict[str, tuple[tuple[type, ...], str]]:
    """``{parameter: (types, annotation as written)}`` for each keyword parameter of ``target`` annotated with a
    plain type or a union of them (:data:`PLAIN_TYPES`: ``float``, ``float | None``, ``Optional[int]``,
    ``int | str``); ``None`` is allowed too where it is the default (``scale: float = None`` takes null today). Left
    out: unannotated parameters, ``*args``/``**kwargs``, any other annotation (``list[int]``, ``Literal``, a class,
    ``Any``), and all of them where the annotations cannot be evaluated (a string annotation naming what its module
    does not define). Importing the target may raise."""
    try:
        signature = inspect.signature(locate(target), eval_str=True)
    except Exception:  # noqa: BLE001 - annotations that do not evaluate are left unchecked, as they always were
        return {}
    annotations = {}
    for name, parameter in signature.parameters.items():
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD,
                              inspect.Parameter.POSITIONAL_ONLY):
            continue
        allowed = plain_types(parameter.annotation)
        if allowed is None:
            continue
        if parameter.default is None and type(None) not in allowed:
            allowed = (*allowed, type(None))
        annotations[name] = (allowed, inspect.formatannotation(parameter.annotation))
    return annotations


def plain_types(annotation: Any) -> tuple[type, ...] | None:
    """The types of ``annotation`` where it is one of :data:`PLAIN_TYPES` or a union of them, else None."""
    if annotation is None:  # a parameter annotated None takes null alone: not a value a config gives
        return None
    if annotation in PLAIN_TYPES:
        return (annotation,)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = typing.get_args(annotation)
        if all(member in PLAIN_TYPES for member in members):
            return members
    return None


def fits(value: Any, allowed: tuple[type, ...]) -> bool:
    """Whether ``value`` is of one of the plain types ``allowed``: an integer is a float too (Python's numeric
    tower), a bool is not an integer (``True`` for ``channels: int`` is a mistake, not 1)."""
    for kind in allowed:
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            return True
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if kind in (bool, str, type(None)) and isinstance(value, kind):
            return True
    return False


def allowed_text(allowed: tuple[type, ...]) -> str:
    """``a float``, ``an integer or null``: what an error says ``allowed`` takes."""
    return " or ".join(PLAIN_TYPES[kind] for kind in allowed)


def first_argument(target: str) -> str | None:
    """The name of ``target``'s first parameter: for a ``_partial_`` node, the one its caller passes (an
    initializer's ``module``, an optimizer's ``params``, a schedule's ``optimizer``), not the config."""
    return next((name for name in inspect.signature(locate(target)).parameters if name != "self"), None)


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
            return f"no module named {cause.name!r}{close_modules(cause.name)}"
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


def close_modules(missing: str) -> str:
    """``; did you mean 'trainlab.optim'?`` for a misspelt module (``trainlab.optimizers``) whose package imports:
    the closest of that package's modules; '' for a missing top-level package (an uninstalled library) or none
    close."""
    from trainlab.hydra_errors import closest

    package, _, name = missing.rpartition(".")
    if not package or not module_imports(package):
        return ""
    path = getattr(importlib.import_module(package), "__path__", None)
    if path is None:  # a module, not a package: nothing inside it is a module
        return ""
    modules = {info.name: f"{package}.{info.name}" for info in pkgutil.iter_modules(path)
               if not info.name.startswith("_")}
    close = closest(name, modules)
    return "" if close is None else f"; did you mean {modules[close]!r}?"


def module_imports(module: str) -> bool:
    """Whether ``module`` imports (then a target's missing name is an attribute it lacks)."""
    try:
        importlib.import_module(module)
    except Exception:  # noqa: BLE001 - only whether it imports is asked; the caller reports the target's own error
        return False
    return True
