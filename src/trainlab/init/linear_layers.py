"""The one loop every initializer shares: draw each ``nn.Linear`` weight from N(0, std²), set its bias to 0."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


@torch.no_grad()
def init_linear_layers(module: nn.Module, std_for_layer: Callable[[int, int], float]) -> None:
    """For every ``nn.Linear`` in ``module``: ``W ~ N(0, std_for_layer(fan_in, fan_out)²)``, ``b = 0``."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            fan_out, fan_in = layer.weight.shape
            layer.weight.normal_(0.0, std_for_layer(fan_in, fan_out))
            if layer.bias is not None:
                layer.bias.zero_()
