"""Nesterov's accelerated gradient, in the book's reformulated (look-ahead free) order."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from trainlab.optim.book_optimizer import BookOptimizer, check_common, check_unit_interval


class Nesterov(BookOptimizer):
    r"""Nesterov momentum, as the book's reference code writes it.

    .. math::
        p \leftarrow p + \mu^2 v - (1 + \mu)\,\mathrm{lr}\cdot g, \quad\text{then}\quad
        v \leftarrow \mu v - \mathrm{lr}\cdot g \qquad (v_0 = 0)

    which equals ``torch.optim.SGD(momentum=μ, nesterov=True)`` for a constant learning rate.

    Args:
        params: parameters or parameter groups.
        lr: learning rate (book default 0.01), ``>= 0``.
        momentum: :math:`\mu` (book default 0.9), ``0 <= μ < 1``.
        weight_decay: L2 coefficient :math:`\lambda \ge 0`, added to the gradient as :math:`\lambda p`.
        foreach: multi-tensor ``torch._foreach_*`` path (default) or the plain per-tensor path.
    """

    def __init__(
        self, params: Iterable, lr: float = 0.01, momentum: float = 0.9, weight_decay: float = 0.0,
        foreach: bool = True,
    ) -> None:
        check_common(lr, weight_decay)
        check_unit_interval("momentum", momentum)
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay}, foreach)

    def init_state(self, param):
        return {"velocity": torch.zeros_like(param, memory_format=torch.preserve_format)}

    def update_tensor(self, group, param, grad, state) -> None:
        lr, mu, velocity = group["lr"], group["momentum"], state["velocity"]
        param.add_(velocity, alpha=mu * mu).add_(grad, alpha=-(1 + mu) * lr)
        velocity.mul_(mu).add_(grad, alpha=-lr)

    def update_foreach(self, group, params, grads, states) -> None:
        lr, mu = group["lr"], group["momentum"]
        velocities = [s["velocity"] for s in states]
        torch._foreach_add_(params, velocities, alpha=mu * mu)
        torch._foreach_add_(params, grads, alpha=-(1 + mu) * lr)
        torch._foreach_mul_(velocities, self.scalar_like(mu, velocities))
        torch._foreach_add_(velocities, grads, alpha=-lr)
