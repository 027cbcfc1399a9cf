"""Glorot normal initialisation (Glorot & Bengio, 2010), PyTorch's ``nn.init.xavier_normal_``.

``W ~ N(0, 2 / (fan_in + fan_out))``: balances the variance of activations (forward) and gradients (backward).
"""

import math

from torch import nn

from trainlab.init.linear_layers import init_linear_layers


def glorot_init(module: nn.Module) -> None:
    """Every Linear weight ~ N(0, std = sqrt(2 / (fan_in + fan_out))); biases 0."""
    init_linear_layers(module, lambda fan_in, fan_out: math.sqrt(2.0 / (fan_in + fan_out)), needs_fan_in="glorot_init")
