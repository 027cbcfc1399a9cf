"""What every optimizer of the book shares: argument checks, L2 weight decay and the step loop.

A subclass states its update rule twice, side by side, and nothing else:

* ``update_tensor(group, param, grad, state)`` - the rule for one tensor (the per-tensor path, ``foreach=False``);
* ``update_foreach(group, params, grads, states)`` - the same rule on lists of tensors with ``torch._foreach_*``
  ops, one kernel launch per operation for the whole group (the multi-tensor path, the default).

Both paths compute the same values. ``step`` collects, per parameter group, the parameters whose ``.grad`` is not
None, adds ``weight_decay · p`` to their gradients when ``weight_decay > 0`` (the gradient of the L2 penalty
``½·λ·‖p‖²``; ``.grad`` itself is left untouched) and hands them to one of the two paths. State lives in
``self.state[p]`` as tensors plus plain numbers, so ``state_dict()`` / ``load_state_dict()`` round-trip exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch.optim import Optimizer


def check_argument(name: str, value: float, valid: bool, allowed: str) -> None:
    """Raise ``ValueError`` naming the argument, its value and the allowed range unless ``valid``."""
    if not valid:
        raise ValueError(f"Invalid {name}: {value!r} (allowed: {allowed})")


def check_common(lr: float, weight_decay: float, eps: float | None = None) -> None:
    check_argument("lr", lr, lr >= 0.0, "lr >= 0")
    check_argument("weight_decay", weight_decay, weight_decay >= 0.0, "weight_decay >= 0")
    if eps is not None:
        check_argument("eps", eps, eps > 0.0, "eps > 0")


def check_unit_interval(name: str, value: float) -> None:
    check_argument(name, value, 0.0 <= value < 1.0, f"0 <= {name} < 1")


class BookOptimizer(Optimizer):
    """Base class: the step loop of the book's optimizers (see the module docstring)."""

    def __init__(self, params: Iterable, defaults: dict[str, Any], foreach: bool = True) -> None:
        super().__init__(params, {**defaults, "foreach": foreach})

    @staticmethod
    def scalar_like(value: float, tensors: list[torch.Tensor]) -> torch.Tensor:
        """``value`` as a 0-dim tensor of the tensors' dtype and device.

        ``torch._foreach_mul_(tensors, scalar_tensor)`` computes exactly what ``_foreach_mul_(tensors, value)``
        does, but on CPU it skips the per-tensor wrapping of a Python number and runs about twice as fast.
        """
        return torch.full((), value, dtype=tensors[0].dtype, device=tensors[0].device)

    def init_state(self, param: torch.Tensor) -> dict[str, Any]:
        """The state a parameter starts with (empty by default)."""
        return {}

    def update_tensor(self, group: dict, param: torch.Tensor, grad: torch.Tensor, state: dict) -> None:
        raise NotImplementedError

    def update_foreach(self, group: dict, params: list, grads: list, states: list[dict]) -> None:
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """One update of every parameter that has a gradient; returns ``closure()``'s loss when given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            if any(g.is_sparse for g in grads):
                raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
            for p in params:
                if not self.state[p]:
                    self.state[p].update(self.init_state(p))
            states = [self.state[p] for p in params]
            weight_decay = group["weight_decay"]
            if group["foreach"]:
                if weight_decay != 0:
                    grads = torch._foreach_add(grads, params, alpha=weight_decay)
                self.update_foreach(group, params, grads, states)
            else:
                for param, grad, state in zip(params, grads, states, strict=True):
                    if weight_decay != 0:
                        grad = grad.add(param, alpha=weight_decay)
                    self.update_tensor(group, param, grad, state)
        return loss
