"""Nesterov's accelerated gradient in its look-ahead-free form, as SPEC's update-rule table and torch write it."""

from __future__ import annotations

import torch

from trainlab.optim.momentum import Momentum


class Nesterov(Momentum):
    r"""Nesterov momentum, in the order of SPEC's update-rule table (the update first, the velocity after it).

    .. math::
        p \leftarrow p + \mu^2 v - (1 + \mu)\,\mathrm{lr}\cdot g, \quad\text{then}\quad
        v \leftarrow \mu v - \mathrm{lr}\cdot g \qquad (v_0 = 0)

    which equals ``torch.optim.SGD(momentum=μ, nesterov=True)`` for a constant learning rate. The book's reference
    code (``Nesterov`` in ``common/optimizer.py`` of oreilly-japan/deep-learning-from-scratch) runs the same two
    lines in the other order: it updates :math:`v` first and adds :math:`\mu^2` times the *new* velocity, i.e.
    :math:`p \leftarrow p + \mu^3 v - (1 + \mu + \mu^2)\,\mathrm{lr}\cdot g` with the old :math:`v` - a different
    rule (already on the first step, :math:`\mu^2\,\mathrm{lr}\cdot g` further), which matches neither torch nor
    this class. Arguments, defaults (lr 0.01, μ 0.9), checks and state (the velocity ``v``) are those of
    :class:`~trainlab.optim.momentum.Momentum`; only the update differs.
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
