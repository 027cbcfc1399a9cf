"""Momentum SGD: a velocity that accumulates gradients, like a ball rolling downhill (Polyak's heavy ball)."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from trainlab.optim.book_optimizer import BookOptimizer, check_common, check_unit_interval


class Momentum(BookOptimizer):
    r"""SGD with momentum, in the book's form.

    .. math::
        v \leftarrow \mu v - \mathrm{lr}\cdot g, \qquad p \leftarrow p + v \qquad (v_0 = 0)

    For a constant learning rate this equals ``torch.optim.SGD(momentum=μ, dampening=0)`` (torch keeps
    :math:`b = \mu b + g` and steps :math:`-\mathrm{lr}\cdot b`, i.e. :math:`v = -\mathrm{lr}\cdot b`).

    Args:
        params: parameters or parameter groups.
        lr: learning rate (book default 0.01), ``>= 0``.
        momentum: :math:`\mu` (book default 0.9), ``0 <= μ < 1``.
        weight_decay: L2 coefficient :math:`\lambda \ge 0`, added to the gradient as :math:`\lambda p`.
        foreach: multi-tensor ``torch._foreach_*`` path (default) or the plain per-tensor path.
        compile: run ``rule`` through ``torch.compile``, fused into one pass per tensor (see ``BookOptimizer``).
    """

    def __init__(
        self, params: Iterable, lr: float = 0.01, momentum: float = 0.9, weight_decay: float = 0.0,
        foreach: bool = True, compile: bool = False,
    ) -> None:
        check_common(lr, weight_decay)
        check_unit_interval("momentum", momentum)
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay}, foreach, compile)

    state_tensors = ("velocity",)
    scalars_per_parameter = False  # hyper-parameters only

    def rule_scalars(self, group, state):
        return {"lr": group["lr"], "momentum": group["momentum"]}

    @staticmethod
    def rule(param, grad, velocity, *, lr, momentum) -> None:
        velocity.mul_(momentum).sub_(lr * grad)
        param.add_(velocity)

    def update_foreach(self, group, params, grads, states) -> None:
        velocities = [s["velocity"] for s in states]
        torch._foreach_mul_(velocities, self.scalar_like(group["momentum"], velocities))
        torch._foreach_add_(velocities, grads, alpha=-group["lr"])
        torch._foreach_add_(params, velocities)
