"""The book's "Xavier" initialisation: ``W ~ N(0, 1 / n)``, ``n`` = fan-in.

This is the fan-in-only simplification the book uses (after Glorot & Bengio, 2010), *not* PyTorch's
``xavier_normal_`` (std ``sqrt(2 / (fan_in + fan_out))``), which is :func:`trainlab.init.glorot.glorot_init`.
Suited to sigmoid / tanh, whose centre is roughly linear.
"""

import math

from torch import nn

from trainlab.init.linear_layers import init_linear_layers


def xavier_init(module: nn.Module) -> None:
    """Every Linear weight ~ N(0, std = sqrt(1 / fan_in)); biases 0."""
    init_linear_layers(module, lambda fan_in, fan_out: math.sqrt(1.0 / fan_in), needs_fan_in="xavier_init")
