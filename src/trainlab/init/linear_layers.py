"""The one loop every initializer shares: draw each layer weight from N(0, std²), set its bias to 0.

The layers whose weights these are: every ``nn.Linear`` - the book's networks have no other - and every convolution
(``nn.Conv1d/2d/3d``) of a network of one's own, whose kernel of shape (out, in / groups, *k) has
``fan_in = in / groups · prod(k)`` and ``fan_out = out · prod(k)`` (as ``torch.nn.init`` counts them). The
classifier's weight decay acts on the same layers (:func:`weight_layers`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch import nn

WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def weight_layers(module: nn.Module) -> Iterator[nn.Module]:
    """The ``nn.Linear`` and convolution layers of ``module``, in ``modules()`` order."""
    return (layer for layer in module.modules() if isinstance(layer, WEIGHT_LAYERS))


@torch.no_grad()
def init_linear_layers(module: nn.Module, std_for_layer: Callable[[int, int], float]) -> None:
    """For every layer of :func:`weight_layers`: ``W ~ N(0, std_for_layer(fan_in, fan_out)²)``, ``b = 0``."""
    for layer in weight_layers(module):
        fan_in = layer.weight[0].numel()
        fan_out = layer.weight.shape[0] * layer.weight[0][0].numel()
        layer.weight.normal_(0.0, std_for_layer(fan_in, fan_out))
        if layer.bias is not None:
            layer.bias.zero_()
