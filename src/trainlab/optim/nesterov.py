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

    @staticmethod
    def rule(param, grad, velocity, *, lr, momentum) -> None:
        param.add_(momentum * momentum * velocity).sub_((1 + momentum) * lr * grad)
        velocity.mul_(momentum).sub_(lr * grad)

    def update_foreach(self, group, params, grads, states) -> None:
        lr, mu = group["lr"], group["momentum"]
        velocities = [s["velocity"] for s in states]
        torch._foreach_add_(params, velocities, alpha=mu * mu)
        torch._foreach_add_(params, grads, alpha=-(1 + mu) * lr)
        torch._foreach_mul_(velocities, self.scalar_like(mu, velocities))
        torch._foreach_add_(velocities, grads, alpha=-lr)
