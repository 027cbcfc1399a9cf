"""Test helper: an optimizer that keeps an argument as it was given, as many optimizers of one's own do (a Lion
copied from its paper's code keeps ``betas``)."""

import torch


class SGDKeepingBetas(torch.optim.SGD):
    """torch's SGD, with ``betas`` kept unused and unchanged in its parameter groups."""

    def __init__(self, params, lr: float, betas=(0.9, 0.99), momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
        for group in self.param_groups:
            group["betas"] = betas
        self.defaults["betas"] = betas


class SGDWantingSequenceBetas(SGDKeepingBetas):
    """As :class:`SGDKeepingBetas`, refusing ``betas`` that are not a tuple or a list, as many optimizers check."""

    def __init__(self, params, lr: float, betas=(0.9, 0.99), momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        if not isinstance(betas, tuple | list):
            raise TypeError(f"betas must be a tuple or a list, got {type(betas).__name__}")
        super().__init__(params, lr=lr, betas=betas, momentum=momentum, weight_decay=weight_decay)
