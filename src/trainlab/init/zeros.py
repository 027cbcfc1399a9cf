"""All weights zero - the book's counter-example.

With ``W = 0`` (or any init that gives every unit of a layer the same weights) all units of a layer compute the
same value and receive the same gradient, so they stay identical forever: the layer acts as one unit.
"""

from torch import nn

from trainlab.init.linear_layers import init_linear_layers


def zeros_init(module: nn.Module) -> None:
    """Every Linear weight = 0 (N(0, 0)); biases 0."""
    init_linear_layers(module, lambda fan_in, fan_out: 0.0)
