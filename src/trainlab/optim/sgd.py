"""Stochastic gradient descent, the book's baseline."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from trainlab.optim.book_optimizer import BookOptimizer, check_common


class SGD(BookOptimizer):
    r"""Plain SGD.

    .. math::  p \leftarrow p - \mathrm{lr}\cdot g

    with :math:`g` the gradient (plus :math:`\lambda p` when ``weight_decay`` :math:`\lambda > 0`). Equal to
    ``torch.optim.SGD`` without momentum.

    Args:
        params: parameters or parameter groups.
        lr: learning rate (book default 0.01), ``>= 0``.
        weight_decay: L2 coefficient :math:`\lambda \ge 0`.
        foreach: multi-tensor ``torch._foreach_*`` path (default) or the plain per-tensor path.
        compile: run ``rule`` through ``torch.compile``, fused into one pass per tensor (see ``BookOptimizer``).
    """

    def __init__(self, params: Iterable, lr: float = 0.01, weight_decay: float = 0.0, foreach: bool = True,
                 compile: bool = False) -> None:
        check_common(lr, weight_decay)
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay}, foreach, compile)

    scalars_per_parameter = False  # hyper-parameters only

    def rule_scalars(self, group, state):
        return {"lr": group["lr"]}

    @staticmethod
    def rule(param, grad, *, lr) -> None:
        # p ← p − lr·g in one pass, without a temporary lr·g: lr is a number, or in a member-stacked group one lr
        # per member, shaped (K, 1, ..., 1) (a stack of 100 book MLPs: 52 MB less to allocate and write per step)
        if isinstance(lr, torch.Tensor):
            param.addcmul_(grad, lr, value=-1.0)
        else:
            param.add_(grad, alpha=-lr)

    def update_foreach(self, group, params, grads, states) -> None:
        torch._foreach_add_(params, grads, alpha=-group["lr"])
