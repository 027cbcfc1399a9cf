"""RMSProp (Tieleman & Hinton, 2012): AdaGrad with an exponential moving average that forgets old gradients."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from trainlab.optim.book_optimizer import BookOptimizer, check_common, check_unit_interval


class RMSProp(BookOptimizer):
    r"""RMSProp, in the book's form (ε outside the square root).

    .. math::
        h \leftarrow \rho h + (1 - \rho)\, g \odot g, \qquad
        p \leftarrow p - \mathrm{lr}\cdot \frac{g}{\sqrt{h} + \varepsilon} \qquad (h_0 = 0)

    Equal to ``torch.optim.RMSprop(alpha=ρ, eps=ε)``.

    Args:
        params: parameters or parameter groups.
        lr: learning rate (book default 0.01), ``>= 0``.
        rho: decay rate :math:`\rho` (book default 0.99), ``0 <= ρ < 1``.
        eps: :math:`\varepsilon` (book 1e-7), ``> 0``.
        weight_decay: L2 coefficient :math:`\lambda \ge 0`, added to the gradient as :math:`\lambda p`.
        foreach: multi-tensor ``torch._foreach_*`` path (default) or the plain per-tensor path.
        compile: run ``rule`` through ``torch.compile``, fused into one pass per tensor (see ``BookOptimizer``).
    """

    def __init__(
        self, params: Iterable, lr: float = 0.01, rho: float = 0.99, eps: float = 1e-7, weight_decay: float = 0.0,
        foreach: bool = True, compile: bool = False,
    ) -> None:
        check_common(lr, weight_decay, eps)
        check_unit_interval("rho", rho)
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}, foreach, compile)

    state_tensors = ("mean_sq",)
    scalars_per_parameter = False  # hyper-parameters only

    def rule_scalars(self, group, state):
        return {"lr": group["lr"], "rho": group["rho"], "eps": group["eps"]}

    @staticmethod
    def rule(param, grad, mean_sq, *, lr, rho, eps) -> None:
        mean_sq.mul_(rho).add_((1 - rho) * grad * grad)
        param.sub_(lr * grad / (mean_sq.sqrt() + eps))

    def update_foreach(self, group, params, grads, states) -> None:
        means_sq = [s["mean_sq"] for s in states]
        torch._foreach_mul_(means_sq, self.scalar_like(group["rho"], means_sq))
        torch._foreach_addcmul_(means_sq, grads, grads, value=1 - group["rho"])
        denominators = torch._foreach_sqrt(means_sq)
        torch._foreach_add_(denominators, group["eps"])
        torch._foreach_addcdiv_(params, grads, denominators, value=-group["lr"])
