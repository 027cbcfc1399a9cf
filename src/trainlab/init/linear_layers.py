"""The one loop every initializer shares: draw each layer weight from N(0, std²), set its bias to 0.

The layers whose weights these are: every ``nn.Linear`` - the book's networks have no other - and every convolution
(``nn.Conv1d/2d/3d``) of a network of one's own, whose kernel of shape (out, in / groups, *k) has
``fan_in = in / groups · prod(k)`` and ``fan_out = out · prod(k)`` (as ``torch.nn.init`` counts them). The
classifier's weight decay acts on the same layers (:func:`weight_layers`).

An initializer whose std is computed from the fan-in (He, Xavier, Glorot) refuses a layer with fan-in 0 - a
``kernel_size=0`` or ``in_features=0`` of the network's config - in one line naming the layer and its shape
(:func:`refuse_empty_fan_in`). It raised ``ZeroDivisionError: float division by zero`` from inside the initializer,
reported as ``init is invalid``: the mistake was in ``model.net``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch
from torch import nn

from trainlab.errors import ConfigError

WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def named_weight_layers(module: nn.Module) -> Iterator[tuple[str, nn.Module]]:
    """``(name, layer)`` for the ``nn.Linear`` and convolution layers of ``module``, in ``modules()`` order; the name
    as ``named_modules`` gives it (``0`` in an ``nn.Sequential``, ``conv``, ``features.1``)."""
    return ((name, layer) for name, layer in module.named_modules() if isinstance(layer, WEIGHT_LAYERS))


def weight_layers(module: nn.Module) -> Iterator[nn.Module]:
    """The ``nn.Linear`` and convolution layers of ``module``, in ``modules()`` order."""
    return (layer for _, layer in named_weight_layers(module))


def fans(weight: torch.Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of shape (out, in / groups, *k) (module docstring); read from the shape, so
    an empty weight has fans of 0 instead of an IndexError."""
    receptive = math.prod(weight.shape[2:])
    return math.prod(weight.shape[1:]), weight.shape[0] * receptive


def refuse_empty_fan_in(initializer: str, name: str, layer: nn.Module, fan_in: int) -> None:
    """The rule of the initializers whose std is computed from the fan-in: a layer of fan-in 0 is the network's mistake,
    named as such: ``he_init: layer 0 (Conv2d, weight shape (8, 1, 0, 0)) has fan-in 0: check model.net's
    arguments``."""
    if fan_in == 0:
        raise ConfigError(f"{initializer}: layer {name or '(the network itself)'} ({type(layer).__name__}, weight "
                          f"shape {tuple(layer.weight.shape)}) has fan-in 0: check model.net's arguments")


@torch.no_grad()
def init_linear_layers(module: nn.Module, std_for_layer: Callable[[int, int], float],
                       needs_fan_in: str | None = None) -> None:
    """For every layer of :func:`weight_layers`: ``W ~ N(0, std_for_layer(fan_in, fan_out)²)``, ``b = 0``.
    ``needs_fan_in``: the initializer's name where ``std_for_layer`` divides by the fan-in
    (:func:`refuse_empty_fan_in`)."""
    for name, layer in named_weight_layers(module):
        fan_in, fan_out = fans(layer.weight)
        if needs_fan_in is not None:
            refuse_empty_fan_in(needs_fan_in, name, layer, fan_in)
        layer.weight.normal_(0.0, std_for_layer(fan_in, fan_out))
        if layer.bias is not None:
            layer.bias.zero_()
