"""Test helper: optimizers a user might write, for the stacked launcher's check of them (optimizer_probe.py)."""

import math

import torch
from torch.optim import Optimizer

from trainlab.optim.book_optimizer import BookOptimizer, check_common


class TensorByTensor(Optimizer):
    """A plain ``torch.optim.Optimizer`` written from scratch: ``update`` each tensor that has a gradient."""

    def __init__(self, params, **defaults):
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self.update(p, p.grad, group)

    def update(self, p, grad, group):
        raise NotImplementedError


class NormSGD(TensorByTensor):
    """p <- p - lr·g/‖g‖: the norm is over the whole tensor (a stack's would be over every member)."""

    def __init__(self, params, lr=0.1, weight_decay=0.0):
        super().__init__(params, lr=lr, weight_decay=weight_decay)

    def update(self, p, grad, group):
        g = grad + group["weight_decay"] * p
        p.sub_(group["lr"] * g / (g.norm() + 1e-12))


class PlainSGD(TensorByTensor):
    """p <- p - lr·(g + λ·p), element by element."""

    def __init__(self, params, lr=0.1, weight_decay=0.0):
        super().__init__(params, lr=lr, weight_decay=weight_decay)

    def update(self, p, grad, group):
        p.sub_(group["lr"] * (grad + group["weight_decay"] * p))


class SignSGD(BookOptimizer):
    """docs/extending.md's example: p <- p - lr·sign(g)."""

    state_tensors = ()

    def __init__(self, params, lr=0.01, weight_decay=0.0, foreach=True, compile=False):
        check_common(lr, weight_decay)
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay}, foreach, compile)

    def rule_scalars(self, group, state):
        return {"lr": group["lr"]}

    @staticmethod
    def rule(param, grad, *, lr):
        param.sub_(lr * grad.sign())


class AlphaSGD(SignSGD):
    """lr as torch's ``alpha=`` keyword, which takes a Python number only (a stack's lr is a tensor)."""

    @staticmethod
    def rule(param, grad, *, lr):
        param.add_(grad, alpha=-lr)


class SqrtLrSGD(SignSGD):
    """lr through ``math.sqrt``, a Python number only."""

    @staticmethod
    def rule(param, grad, *, lr):
        param.sub_(math.sqrt(lr) * grad)


class NoDecaySGD(TensorByTensor):
    """p <- p - lr·g: never reads its groups' weight_decay."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, lr=lr)

    def update(self, p, grad, group):
        p.sub_(group["lr"] * grad)


class WrongKeywordSGD(SignSGD):
    """``rule`` names its scalar ``learning_rate`` while ``rule_scalars`` gives ``lr``."""

    @staticmethod
    def rule(param, grad, *, learning_rate):
        param.sub_(learning_rate * grad)


class NoScalarsSGD(BookOptimizer):
    """``rule_scalars`` not written."""

    state_tensors = ()

    def __init__(self, params, lr=0.01, weight_decay=0.0, foreach=True, compile=False):
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay}, foreach, compile)

    @staticmethod
    def rule(param, grad, *, lr):
        param.sub_(lr * grad)


class MomentumAlphaSGD(BookOptimizer):
    """Momentum whose rule uses its momentum as torch's ``alpha=`` (a Python number only)."""

    state_tensors = ("velocity",)

    def __init__(self, params, lr=0.01, momentum=0.9, weight_decay=0.0, foreach=True, compile=False):
        check_common(lr, weight_decay)
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay}, foreach, compile)

    def rule_scalars(self, group, state):
        return {"lr": group["lr"], "momentum": group["momentum"]}

    @staticmethod
    def rule(param, grad, velocity, *, lr, momentum):
        velocity.mul_(momentum).add_(grad, alpha=1 - momentum)
        param.sub_(lr * velocity)


class ClipSGD(TensorByTensor):
    """SGD that clips each tensor's gradient to a norm when ``max_norm`` > 0 (a norm over the whole tensor)."""

    def __init__(self, params, lr=0.1, max_norm=0.0, weight_decay=0.0):
        super().__init__(params, lr=lr, max_norm=max_norm, weight_decay=weight_decay)

    def update(self, p, grad, group):
        g = grad + group["weight_decay"] * p
        if group["max_norm"] > 0:
            g = g * min(1.0, group["max_norm"] / (float(g.norm()) + 1e-12))
        p.sub_(group["lr"] * g)


class NamedGroupSGD(TensorByTensor):
    """Reads the ``name`` the classifier gives its parameter groups (decay / no_decay / all)."""

    def __init__(self, params, lr=0.1, weight_decay=0.0):
        super().__init__(params, lr=lr, weight_decay=weight_decay)

    def update(self, p, grad, group):
        decay = group["weight_decay"] if group["name"] == "decay" else 0.0
        p.sub_(group["lr"] * (grad + decay * p))


@torch.library.custom_op("own_optimizers::cuda_only_sgd_", mutates_args=("param",), device_types="cuda")
def cuda_only_sgd_(param: torch.Tensor, grad: torch.Tensor, lr: float) -> None:
    param.sub_(lr * grad)


class CudaOnlySGD(TensorByTensor):
    """Its update is a kernel registered for CUDA alone, as fused GPU optimizers are."""

    def __init__(self, params, lr=0.1, weight_decay=0.0):
        super().__init__(params, lr=lr, weight_decay=weight_decay)

    def update(self, p, grad, group):
        cuda_only_sgd_(p, grad + group["weight_decay"] * p, group["lr"])


def make_sgd(params, lr=0.1):
    """An optimizer built by a factory function, not a class."""
    return torch.optim.SGD(params, lr=lr)


class WarmupSGD(TensorByTensor):
    """SGD with decay whose step size warms up from 0: its first step moves nothing."""

    def __init__(self, params, lr=0.1, weight_decay=0.0):
        super().__init__(params, lr=lr, weight_decay=weight_decay)

    def update(self, p, grad, group):
        steps = self.state[p]["steps"] = self.state[p].get("steps", 0) + 1
        p.sub_(group["lr"] * min(1.0, (steps - 1) / 10) * (grad + group["weight_decay"] * p))


class FlagSGD(BookOptimizer):
    """SGD or sign-SGD by a bool setting its rule branches on in Python: p <- p - lr·(sign(g) if use_sign else g)."""

    state_tensors = ()

    def __init__(self, params, lr=0.01, use_sign: bool = False, weight_decay=0.0, foreach=True, compile=False):
        check_common(lr, weight_decay)
        super().__init__(params, {"lr": lr, "use_sign": use_sign, "weight_decay": weight_decay}, foreach, compile)

    def rule_scalars(self, group, state):
        return {"lr": group["lr"], "use_sign": group["use_sign"]}

    @staticmethod
    def rule(param, grad, *, lr, use_sign):
        param.sub_(lr * (grad.sign() if use_sign else grad))


class ModeSGD(BookOptimizer):
    """A str setting (``mode``: "plain" or "sign") and an optional number (``scale``: None for none) that its rule
    branches on in Python: p <- p - lr·scale·(sign(g) or g)."""

    state_tensors = ()

    def __init__(self, params, lr=0.01, mode: str = "plain", scale: float | None = None, weight_decay=0.0,
                 foreach=True, compile=False):
        check_common(lr, weight_decay)
        super().__init__(params, {"lr": lr, "mode": mode, "scale": scale, "weight_decay": weight_decay}, foreach,
                         compile)

    def rule_scalars(self, group, state):
        return {"lr": group["lr"], "mode": group["mode"], "scale": group["scale"]}

    @staticmethod
    def rule(param, grad, *, lr, mode, scale):
        step = grad.sign() if mode == "sign" else grad
        param.sub_(lr * (step if scale is None else scale * step))


class ClosurelessSGD(Optimizer):
    """p <- p - lr·g, with a ``step(self)`` that takes no closure (Lightning passes ``closure=``)."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.sub_(group["lr"] * p.grad)


class BetaSGD(torch.optim.SGD):
    """SGD with a ``beta`` its ``__init__`` checks: in [0, 1)."""

    def __init__(self, params, lr=0.1, beta: float = 0.9):
        if not 0 <= beta < 1:
            raise ValueError(f"beta={beta} must be in [0, 1)")
        super().__init__(params, lr=lr)


class LargeTensorsNormalisedSGD(TensorByTensor):
    """p <- p - lr·g, but g/‖g‖ for a tensor of 4,096 elements or more: a path chosen by the tensor's size, as 8-bit
    or factored optimizers choose theirs (the norm of a stack's tensor would be over every member)."""

    def __init__(self, params, lr=0.1, weight_decay=0.0):
        super().__init__(params, lr=lr, weight_decay=weight_decay)

    def update(self, p, grad, group):
        g = grad + group["weight_decay"] * p
        if g.numel() >= 4096:
            g = g / (g.norm() + 1e-12)
        p.sub_(group["lr"] * g)


class DoubledForeachSGD(SignSGD):
    """SignSGD whose foreach path (a lone run's, with foreach=True) steps twice the rule's step: the two paths
    disagree, and a stack, which steps with the rule, differs from the lone runs."""

    def update_foreach(self, group, params, grads, states):
        torch._foreach_add_(params, torch._foreach_sign(grads), alpha=-2 * group["lr"])
