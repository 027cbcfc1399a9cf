"""Adam (Kingma & Ba, 2015): momentum on the gradient plus RMSProp's per-element scale, with bias correction."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from trainlab.optim.book_optimizer import BookOptimizer, check_common, check_unit_interval


class Adam(BookOptimizer):
    r"""Adam, in the book's form: the bias correction is folded into the step size and ε is not corrected.

    .. math::
        t &\leftarrow t + 1, \qquad
        \mathrm{lr}_t = \mathrm{lr}\cdot\frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t} \\
        m &\leftarrow m + (1 - \beta_1)(g - m), \qquad
        v \leftarrow v + (1 - \beta_2)(g \odot g - v) \\
        p &\leftarrow p - \mathrm{lr}_t \cdot \frac{m}{\sqrt{v} + \varepsilon} \qquad (m_0 = v_0 = 0,\ t_0 = 0)

    ``torch.optim.Adam`` divides by :math:`\sqrt{\hat v} + \varepsilon_\mathrm{torch}` with the corrected
    :math:`\hat v = v / (1 - \beta_2^t)`; multiplied out, that is the rule above with
    :math:`\varepsilon = \varepsilon_\mathrm{torch}\sqrt{1 - \beta_2^t}`. At step :math:`t` this class with
    :math:`\varepsilon` therefore computes what ``torch.optim.Adam(eps=ε/√(1−β₂ᵗ))`` does: for the same update torch's
    :math:`\varepsilon` is the larger one (about 32 times at :math:`t = 1` with :math:`\beta_2 = 0.999`), and as the
    factor changes with :math:`t`, no single torch ``eps`` reproduces several steps; the two agree only with
    :math:`\varepsilon = 0` or, nearly, where :math:`\varepsilon \ll \sqrt{v}`. This class requires
    :math:`\varepsilon > 0`, as the book's ``1e-7`` is.

    :math:`t` is counted per parameter (``state["step"]``, torch's convention): a parameter without a gradient on a
    step is skipped and its :math:`t` stays. The book's code keeps one counter for the whole optimizer, which is the
    same while every parameter has a gradient on every step.

    Args:
        params: parameters or parameter groups.
        lr: learning rate (book default 0.001), ``>= 0``.
        betas: :math:`(\beta_1, \beta_2)` (book default (0.9, 0.999)), each ``0 <= β < 1``.
        eps: :math:`\varepsilon` (book 1e-7), ``> 0``.
        weight_decay: L2 coefficient :math:`\lambda \ge 0`, added to the gradient as :math:`\lambda p`
            (L2, as in ``torch.optim.Adam``; not AdamW's decoupled decay).
        foreach: multi-tensor ``torch._foreach_*`` path (default) or the plain per-tensor path.
        compile: run ``rule`` through ``torch.compile``, fused into one pass per tensor (see ``BookOptimizer``).
    """

    def __init__(
        self, params: Iterable, lr: float = 0.001, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-7,
        weight_decay: float = 0.0, foreach: bool = True,
        compile: bool = False,
    ) -> None:
        check_common(lr, weight_decay, eps)
        if len(betas) != 2:
            raise ValueError(f"Invalid betas: {betas!r} (allowed: a pair (beta1, beta2))")
        beta1, beta2 = float(betas[0]), float(betas[1])
        check_unit_interval("beta1", beta1)
        check_unit_interval("beta2", beta2)
        super().__init__(
            params, {"lr": lr, "betas": (beta1, beta2), "eps": eps, "weight_decay": weight_decay}, foreach, compile
        )

    def init_state(self, param):
        return {"step": 0, **super().init_state(param)}

    @staticmethod
    def step_size(lr: float, beta1: float, beta2: float, t: int) -> float:
        """:math:`\\mathrm{lr}_t = \\mathrm{lr}\\sqrt{1 - \\beta_2^t} / (1 - \\beta_1^t)`.

        Numbers, or per-member tensors in a member-stacked group: hence ``** 0.5`` rather than ``math.sqrt``."""
        return lr * (1.0 - beta2**t) ** 0.5 / (1.0 - beta1**t)

    state_tensors = ("exp_avg", "exp_avg_sq")

    def tensors_to_update(self, group):
        r"""The parameters of this step (see ``BookOptimizer``), each one's step counted,
        :math:`t \leftarrow t + 1`: the one place ``state["step"]`` advances, before whichever path runs."""
        params, grads, states = super().tensors_to_update(group)
        for state in states:
            state["step"] += 1
        return params, grads, states

    def rule_scalars(self, group, state):
        """This parameter's ``lr_t``, the bias correction of its step ``t`` folded in."""
        beta1, beta2 = group["betas"]
        return {"lr_t": self.step_size(group["lr"], beta1, beta2, state["step"]), "beta1": beta1, "beta2": beta2,
                "eps": group["eps"]}

    @staticmethod
    def rule(param, grad, exp_avg, exp_avg_sq, *, lr_t, beta1, beta2, eps) -> None:
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.lerp_(grad * grad, 1 - beta2)
        param.sub_(lr_t * exp_avg / (exp_avg_sq.sqrt() + eps))

    def update_foreach(self, group, params, grads, states) -> None:
        beta1, beta2 = group["betas"]
        exp_avgs = [s["exp_avg"] for s in states]
        exp_avg_sqs = [s["exp_avg_sq"] for s in states]
        torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
        torch._foreach_lerp_(exp_avg_sqs, torch._foreach_mul(grads, grads), 1 - beta2)
        denominators = torch._foreach_sqrt(exp_avg_sqs)
        torch._foreach_add_(denominators, group["eps"])
        steps = [-self.step_size(group["lr"], beta1, beta2, s["step"]) for s in states]
        torch._foreach_addcdiv_(params, exp_avgs, denominators, steps)
