"""Dropout as the book writes it (Srivastava et al., 2014): units dropped in training, the layer scaled at inference.

With drop probability p, per element of the input x:

    training:   mask ~ Bernoulli(1 − p),   y = x ⊙ mask         (the survivors pass unscaled)
    inference:  y = (1 − p)·x                                     (each unit's expected training output)
    backward:   ∂L/∂x = ∂L/∂y ⊙ mask                             (autograd, through the product)

``torch.nn.Dropout`` is *inverted* dropout: in training y = x ⊙ mask / (1 − p), at inference y = x. Each is
consistent between its own training and inference, but they are not the same network: from the same weights, the
book's variant passes on (1 − p) of the signal at every layer where the inverted one passes all of it, so with L
dropout layers and ReLU the book's network starts with logits ~(1 − p)ᴸ as large (0.8⁶ ≈ 0.26 in experiment H) and
learns more slowly from the same learning rate. The book's Fig. 6-23 (experiment H: its training and test accuracy
close together after 300 epochs) is this variant's; ``model.net.dropout_kind=book`` selects it.
"""

from __future__ import annotations

import torch
from torch import nn


def book_dropout(x: torch.Tensor, keep: float | torch.Tensor, training: bool) -> torch.Tensor:
    """The math of the module docstring with ``keep`` = 1 − p: a number, or a tensor that broadcasts against ``x``
    (the stacked network's (K, 1, 1) of its members' own); the result in ``x``'s dtype."""
    if training:
        return x * (torch.rand_like(x) < keep)  # kept with probability 1 − p, as the book's rand() > ratio
    return (x * keep).to(x.dtype)


class BookDropout(nn.Module):
    """The book's (non-inverted) dropout with drop probability ``p`` (see the module docstring).

    Args:
        p: the probability of dropping a unit in training, in [0, 1).
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p < 1.0:
            raise ValueError(f"p={p!r} must be a number in [0, 1)")
        self.p = float(p)

    def extra_repr(self) -> str:
        return f"p={self.p}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return book_dropout(x, 1.0 - self.p, self.training)
