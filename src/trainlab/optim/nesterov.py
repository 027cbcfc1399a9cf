"""Nesterov's accelerated gradient, in the book's reformulated (look-ahead free) order."""

from __future__ import annotations

import torch

from trainlab.optim.momentum import Momentum


class Nesterov(Momentum):
    r"""Nesterov momentum, as the book's reference code writes it.

    .. math::
        p \leftarrow p + \mu^2 v - (1 + \mu)\,\mathrm{lr}\cdot g, \quad\text{then}\quad
        v \leftarrow \mu v - \mathrm{lr}\cdot g \qquad (v_0 = 0)

    which equals ``torch.optim.SGD(momentum=μ, nesterov=True)`` for a constant learning rate. Arguments, defaults
    (lr 0.01, μ 0.9), checks and state (the velocity ``v``) are those of :class:`~trainlab.optim.momentum.Momentum`;
    only the update differs.
    """

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
