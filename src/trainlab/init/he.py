"""He initialisation (He et al., 2015, "Delving Deep into Rectifiers"): ``W ~ N(0, 2 / n)``, ``n`` = fan-in.

The book's choice for ReLU networks; equal to ``torch.nn.init.kaiming_normal_(mode="fan_in", nonlinearity="relu")``.
"""

import math

from torch import nn

from trainlab.init.linear_layers import init_linear_layers


def he_init(module: nn.Module) -> None:
    """Every Linear weight ~ N(0, std = sqrt(2 / fan_in)); biases 0."""
    init_linear_layers(module, lambda fan_in, fan_out: math.sqrt(2.0 / fan_in), needs_fan_in="he_init")
