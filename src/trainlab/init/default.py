"""PyTorch's own ``nn.Linear`` initialisation, left exactly as constructed.

``nn.Linear.reset_parameters`` already drew ``W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (kaiming_uniform with
a = sqrt(5)) and ``b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` when the layer was built. This initializer changes
nothing - biases are *not* zeroed - so ``init=default`` is the untouched PyTorch baseline and consumes no random
numbers.
"""

from torch import nn


def default_init(module: nn.Module) -> None:
    """Keep every Linear layer's PyTorch initialisation (no-op by design; see the module docstring)."""
    del module
