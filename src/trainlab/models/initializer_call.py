"""The classifier's call of its initializer (``init``), and what it refuses of one of one's own.

An initializer is a function of the network that writes its parameters' values in place (under
``torch.no_grad()``) and returns None: ``init(net)``. Three ways to get that wrong went unnoticed until a step, or
never:

* **a parameter of another shape or dtype** (``layer.weight.data = torch.randn(in_features, out_features)``, the
  transpose; ``.data = weight.double()``): the first step failed with ``mat1 and mat2 shapes cannot be
  multiplied`` or ``mat1 and mat2 must have the same dtype``, a traceback, after the run's files were written -
  and a stacked sweep stopped at ``stack expects each tensor to be equal size``, its other members untrained;
* **new values returned instead of written** (``return {name: torch.randn_like(p)}``): the run trained from the
  network's own initialisation, recorded under the initializer's name, exit status 0;
* a module returned (a network built anew): dropped the same way.

:func:`initialise` refuses each in one line naming ``init._target_``, before anything is written. An initializer
that returns None and writes nothing (one that looks for ``nn.Conv2d`` layers in the book's MLP) trained from
PyTorch's own initialisation under its name, without a word: it is said in a warning (``init=default``, PyTorch's
initialisation by design, writes nothing and is not). A value returned
by an initializer that did write into the network (``return nn.init.zeros_(layer.bias)``, a list of the tensors it
filled) is harmless and passes; so do the parameters of lazy modules (``nn.LazyLinear``), which have no shape until
the first batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from trainlab.errors import ConfigError

log = logging.getLogger(__name__)

#: the initializer that writes nothing by design (PyTorch's own initialisation, kept)
KEEPS_PYTORCHS = "trainlab.init.default.default_init"

#: what an initializer is, said by each refusal
IN_PLACE = ("an initializer writes the values of the network's parameters in place (under torch.no_grad(): "
            "parameter.copy_(...), torch.nn.init.normal_(layer.weight)), keeping their shapes and dtypes, and "
            "returns None")


def initializer_name(init: Callable[..., Any]) -> str:
    """``init._target_`` as the config names it: the function (or class) behind a ``_partial_``."""
    function = getattr(init, "func", init)
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', type(function).__name__)}"


def parameter_layout(net: nn.Module) -> dict[str, tuple[tuple[int, ...], torch.dtype, torch.device]]:
    """``{name: (shape, dtype, device)}`` of each of ``net``'s parameters (a lazy module's, still without a shape,
    left out)."""
    return {name: (tuple(p.shape), p.dtype, p.device) for name, p in net.named_parameters()
            if not isinstance(p, nn.parameter.UninitializedParameter)}


def parameter_values(net: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of each parameter's values (a lazy module's, still without a shape, left out)."""
    return {name: p.detach().clone() for name, p in net.named_parameters()
            if not isinstance(p, nn.parameter.UninitializedParameter)}


def wrote_nothing(net: nn.Module, before: dict[str, torch.Tensor]) -> bool:
    """Whether every parameter of ``net`` holds the values of ``before`` (:func:`parameter_values`) again. Values,
    not the tensors' version counters: a write through ``.data`` (``m.weight.data.normal_(0, 0.02)``, a common
    style) moves no counter of the parameter, and was taken for no write."""
    after = dict(net.named_parameters())
    return all(name in after and unchanged(after[name].detach(), value) for name, value in before.items())


def unchanged(now: torch.Tensor, before: torch.Tensor) -> bool:
    """Whether ``now`` holds ``before``'s values, shape, dtype and device (NaNs where they were count as kept: a
    parameter made with ``torch.empty`` may hold some; another dtype or device is a change, which
    :func:`initialise` names)."""
    if (now.shape, now.dtype, now.device) != (before.shape, before.dtype, before.device):
        return False
    if not now.is_floating_point():
        return torch.equal(now, before)
    return torch.allclose(now, before, rtol=0.0, atol=0.0, equal_nan=True)


def initialise(init: Callable[[nn.Module], Any], net: nn.Module) -> None:
    """``init(net)``, then refuse (:class:`~trainlab.errors.ConfigError`) an initializer that returned a value
    (other than ``net`` itself) and wrote nothing into the network, or changed a parameter's shape, dtype or device,
    or removed one."""
    before, values_before = parameter_layout(net), parameter_values(net)
    returned = init(net)
    name = initializer_name(init)
    unwritten = wrote_nothing(net, values_before)
    if returned is not None and returned is not net and unwritten:
        # the group at fault first: raised while the model is built, a TypeError was "model is invalid; ..."
        raise ConfigError(f"init._target_={name} returned a value ({type(returned).__name__}) and wrote nothing into "
                          f"the network; {IN_PLACE}: what it returns is not used")
    if unwritten and before and name != KEEPS_PYTORCHS:
        log.warning("init._target_=%s wrote nothing into the network (no parameter of model.net was written): the "
                    "run trains from PyTorch's own initialisation, as init=default does, recorded under this "
                    "initializer; %s", name, IN_PLACE)
    after = parameter_layout(net)
    for parameter, (shape, dtype, device) in before.items():
        if parameter not in after:
            raise ConfigError(f"init._target_={name} removed the parameter model.net.{parameter}; {IN_PLACE}")
        new_shape, new_dtype, new_device = after[parameter]
        changes = [f"{what} from {old} to {new}" for what, old, new in (
            ("shape", shape, new_shape), ("dtype", dtype, new_dtype), ("device", device, new_device)) if old != new]
        if changes:
            raise ConfigError(f"init._target_={name} changed model.net.{parameter}: its {', its '.join(changes)}; "
                              f"{IN_PLACE}")
