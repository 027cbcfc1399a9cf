"""A fixed-scale Gaussian: ``W ~ N(0, std²)`` for every layer, the output layer included.

The book's cases are ``std = 0.01`` (activations collapse towards 0 and a deep ReLU net does not learn) and
``std = 1`` (sigmoid activations saturate at 0 and 1).
"""

from torch import nn

from trainlab.init.linear_layers import init_linear_layers


def normal_init(module: nn.Module, std: float = 0.01) -> None:
    """Every Linear weight ~ N(0, std²); biases 0."""
    if not std >= 0:
        raise ValueError(f"init.std={std} must be >= 0")
    init_linear_layers(module, lambda fan_in, fan_out: std)
