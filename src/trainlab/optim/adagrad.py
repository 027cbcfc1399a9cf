"""AdaGrad (Duchi et al., 2011): a per-element learning rate that shrinks with the gradients seen so far."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from trainlab.optim.book_optimizer import BookOptimizer, check_common


class AdaGrad(BookOptimizer):
    r"""AdaGrad, in the book's form (ε outside the square root).

    .. math::
        h \leftarrow h + g \odot g, \qquad p \leftarrow p - \mathrm{lr}\cdot \frac{g}{\sqrt{h} + \varepsilon}
        \qquad (h_0 = 0)

    Equal to ``torch.optim.Adagrad(eps=ε)`` (no lr decay, zero initial accumulator).

    Args:
        params: parameters or parameter groups.
        lr: learning rate (book default 0.01), ``>= 0``.
        eps: :math:`\varepsilon` (book 1e-7), ``> 0``.
        weight_decay: L2 coefficient :math:`\lambda \ge 0`, added to the gradient as :math:`\lambda p`.
        foreach: multi-tensor ``torch._foreach_*`` path (default) or the plain per-tensor path.
        compile: run ``rule`` through ``torch.compile``, fused into one pass per tensor (see ``BookOptimizer``).
    """

    def __init__(
        self, params: Iterable, lr: float = 0.01, eps: float = 1e-7, weight_decay: float = 0.0,
        foreach: bool = True, compile: bool = False,
    ) -> None:
        check_common(lr, weight_decay, eps)
        super().__init__(params, {"lr": lr, "eps": eps, "weight_decay": weight_decay}, foreach, compile)

    state_tensors = ("sum_sq",)
    scalars_per_parameter = False  # hyper-parameters only

    def rule_scalars(self, group, state):
        return {"lr": group["lr"], "eps": group["eps"]}

    @staticmethod
    def rule(param, grad, sum_sq, *, lr, eps) -> None:
        sum_sq.addcmul_(grad, grad)
        param.sub_(lr * grad / (sum_sq.sqrt() + eps))

    def update_foreach(self, group, params, grads, states) -> None:
        sums_sq = [s["sum_sq"] for s in states]
        torch._foreach_addcmul_(sums_sq, grads, grads)
        denominators = torch._foreach_sqrt(sums_sq)
        torch._foreach_add_(denominators, group["eps"])
        torch._foreach_addcdiv_(params, grads, denominators, value=-group["lr"])
