"""What every optimizer of the book shares: argument checks, L2 weight decay and the step loop.

A subclass states its update rule, and nothing else:

* ``rule(param, grad, *state_tensors, **scalars)`` - the rule for one tensor, in place, as plain arithmetic (a
  static method). ``rule_scalars(group, state)`` hands it the Python numbers of this step (hyper-parameters, and
  numbers read from the parameter's state, such as Adam's ``lr_t`` of its step count); ``state_tensors`` names
  the per-parameter state it receives, which ``init_state(param)`` creates (zeros unless overridden). That is
  enough for every path below.
* ``update_foreach(group, params, grads, states)`` - optional: the same rule on lists of tensors with
  ``torch._foreach_*`` ops, one call per operation for the whole group (without it, ``foreach=True`` applies
  ``rule`` tensor after tensor). The book's six optimizers write it, side by side with ``rule``.

Three ways to run a step, one rule: their values agree to rounding (each orders the floating-point operations its
own way):

* ``foreach=True`` (default): ``update_foreach``. On a CPU each ``_foreach_*`` op is a loop of per-tensor
  kernels, so a rule of k operations makes k passes over the parameters.
* ``foreach=False``: ``rule`` on one tensor after the other (the plainest reading of the math).
* ``compile=True``: ``rule`` over the whole group, traced once by ``torch.compile`` (Inductor), which fuses each
  tensor's operations into one pass - what ``torch.optim``'s ``fused=True`` kernels do, from the same readable
  rule. The first step pays the compilation (seconds; Inductor needs a C++ compiler on CPU, Triton on GPU); a
  learning-rate change costs at most one recompilation, as the scalars then become inputs of the compiled code.
  ``foreach`` is not used.

``step`` collects, per parameter group, the parameters whose ``.grad`` is not None, adds ``weight_decay · p`` to
their gradients when ``weight_decay > 0`` (the gradient of the L2 penalty ``½·λ·‖p‖²``; ``.grad`` itself is left
untouched, except where λ is a per-member tensor, below) and hands them to one of the paths. State lives in
``self.state[p]`` as tensors plus plain numbers, so ``state_dict()`` / ``load_state_dict()`` round-trip exactly,
whichever path wrote it.

**Member-stacked groups** (stacked sweeps, :mod:`trainlab.stacked`): the parameters of K networks stacked along a
leading dimension, shape (K, ...), with hyper-parameters that differ per member. Such a group is marked
``per_member=True`` and any of its hyper-parameters (``lr``, ``momentum``, ``betas``' items, ``weight_decay``, ...)
may be a (K,) tensor instead of a number. ``rule`` then receives each as (K, 1, ..., 1), which broadcasts over a
stacked tensor, so member k is updated with its own values by the same arithmetic that updates a lone tensor -
one copy of the math. Such a group runs ``rule`` tensor by tensor (or compiled); ``update_foreach`` takes plain
numbers only. A rule stays member-stackable by using arithmetic on its scalars (``a * x``, ``x ** 0.5``,
``t.lerp_(g, w)``), not ``math`` functions or ``value=`` keywords that demand a Python number. A weight decay that
differs per member, a (K,) tensor ``λ``, is added to ``.grad`` as ``λ_k · p`` *in place* (outside the compiled path;
a λ the members share stays a number and leaves ``.grad`` alone): the stack's gradients are read by nothing after
its step, and a stack of 100 of the book's MLPs is spared a 52 MB temporary and one pass over it per step (the SGD
update of experiment I's stack: 8.6 -> 5.0 ms).
"""

from __future__ import annotations

import types
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
    """A decay rate (momentum, ρ, β): ``ValueError`` naming it unless ``0 <= value < 1``."""
    check_argument(name, value, 0.0 <= value < 1.0, f"0 <= {name} < 1")


def per_member(value: Any, param: torch.Tensor) -> Any:
    """A member-stacked hyper-parameter for one stacked tensor: a (K,) tensor becomes (K, 1, ..., 1), which
    broadcasts over ``param`` of shape (K, ...); a plain number is returned as it is."""
    if isinstance(value, torch.Tensor):
        return value.view(-1, *([1] * (param.dim() - 1)))
    return value


def apply_rule_to_group(rule: Callable, params: list, grads: list, state_lists: list[list],
                        scalars: dict[str, float] | list[dict[str, float]], weight_decay: float) -> None:
    """``rule`` on every tensor of a group, weight decay included: what ``foreach=False`` runs and what
    ``compile=True`` traces.

    ``scalars``: the keyword arguments of ``rule``, one dict for the whole group or one per tensor.
    ``weight_decay``: a number, or a (K,) tensor for a member-stacked group.
    """
    for index, (param, grad) in enumerate(zip(params, grads, strict=True)):
        if isinstance(weight_decay, torch.Tensor):  # λ_k per member: one fused pass, g + λ_k·p
            grad = torch.addcmul(grad, per_member(weight_decay, param), param)
        elif weight_decay != 0:
            grad = grad + weight_decay * param
        keywords = scalars if isinstance(scalars, dict) else scalars[index]
        rule(param, grad, *(tensors[index] for tensors in state_lists), **keywords)


# Inductor re-checks every input's size and stride before each call; dynamo's guards already checked them, and on
# the book's MLP the 30-odd checks cost ~15 % of a compiled step.
COMPILE_OPTIONS = {"inductor": {"size_asserts": False}}


def compile_fresh_copy(function: Callable, backend: str) -> Callable:
    """``torch.compile`` of a copy of ``function`` with a code object of its own.

    Dynamo keeps its compiled variants per code object, at most ``torch._dynamo.config.recompile_limit`` (8) of
    them. Each parameter group (its own tensor shapes, and one recompilation once its scalars change) gets its own
    copy, so several groups, optimizers or models in one process never crowd each other out of that cache.
    """
    copy = types.FunctionType(function.__code__.replace(), function.__globals__, function.__name__,
                              function.__defaults__, function.__closure__)
    return torch.compile(copy, backend=backend, options=COMPILE_OPTIONS.get(backend))


def loss_of(closure: Callable[[], torch.Tensor] | None) -> torch.Tensor | None:
    """``torch.optim``'s closure convention: re-evaluate the loss with gradients enabled (inside a no-grad step)."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


class BookOptimizer(Optimizer):
    """Base class: the step loop of the book's optimizers (see the module docstring)."""

    #: names of the per-parameter state tensors ``rule`` receives, in its argument order
    state_tensors: tuple[str, ...] = ()
    #: whether ``rule_scalars`` depends on the parameter's state (Adam's step counter). ``False`` lets a group's
    #: step call it once instead of once per tensor.
    scalars_per_parameter: bool = True
    #: ``torch.compile`` backend of ``compile=True`` ("aot_eager" traces without generating code: fast to compile)
    compile_backend: str = "inductor"

    def __init__(self, params: Iterable, defaults: dict[str, Any], foreach: bool = True,
                 compile: bool = False) -> None:
        for name, flag in (("foreach", foreach), ("compile", compile)):
            check_argument(name, flag, isinstance(flag, bool), "True or False")
        super().__init__(params, {**defaults, "foreach": foreach, "compile": compile})
        self._compiled_updates: dict[int, Callable] = {}  # per parameter group

    def __setstate__(self, state: dict) -> None:  # unpickling / deepcopy: the compiled function is rebuilt lazily
        super().__setstate__(state)
        self._compiled_updates = {}
        for group in self.param_groups:
            group.setdefault("compile", False)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load state and hyper-parameters; the execution path (``foreach``, ``compile``) stays this instance's."""
        paths = [(group["foreach"], group["compile"]) for group in self.param_groups]
        super().load_state_dict(state_dict)
        for group, (foreach, compile) in zip(self.param_groups, paths, strict=True):
            group["foreach"], group["compile"] = foreach, compile

    @staticmethod
    def scalar_like(value: float, tensors: list[torch.Tensor]) -> torch.Tensor:
        """``value`` as a 0-dim tensor of the tensors' dtype and device.

        ``torch._foreach_mul_(tensors, scalar_tensor)`` computes exactly what ``_foreach_mul_(tensors, value)``
        does, but on CPU it skips the per-tensor wrapping of a Python number and runs about twice as fast.
        """
        return torch.full((), value, dtype=tensors[0].dtype, device=tensors[0].device)

    def init_state(self, param: torch.Tensor) -> dict[str, Any]:
        """The state a parameter starts with: a zero tensor like it for each name in ``state_tensors``."""
        return {name: torch.zeros_like(param, memory_format=torch.preserve_format) for name in self.state_tensors}

    def rule_scalars(self, group: dict, state: dict) -> dict[str, float]:
        """The keyword arguments of ``rule`` for one parameter this step (once per parameter and step, or once per
        group when ``scalars_per_parameter`` is False)."""
        raise NotImplementedError(f"{type(self).__name__} defines no rule_scalars(self, group, state), which returns "
                                  "the keyword arguments of its rule for this step (e.g. {'lr': group['lr']})")

    @staticmethod
    def rule(param: torch.Tensor, grad: torch.Tensor, *state_tensors: torch.Tensor, **scalars: float) -> None:
        """The update of one tensor, in place."""
        raise NotImplementedError("a BookOptimizer subclass defines rule(param, grad, *state_tensors, **scalars) as "
                                  "a @staticmethod: the update of one tensor, in place")

    def rule_arguments(self, group: dict, params: list, states: list[dict]) -> tuple[list[list], dict | list[dict]]:
        """``rule``'s state tensors (one list per name in ``state_tensors``) and keyword scalars for a group: one
        dict when every tensor has the same (the usual case; fewer guards when compiled), else one per tensor -
        always one per tensor in a member-stacked group, each value shaped for its tensor (:func:`per_member`)."""
        state_lists = [[state[name] for state in states] for name in self.state_tensors]
        if not self.scalars_per_parameter:
            shared = self.rule_scalars(group, states[0])
            scalars = [shared] * len(states)
        else:
            scalars = [self.rule_scalars(group, state) for state in states]
        if group.get("per_member"):
            return state_lists, [{name: per_member(value, param) for name, value in keywords.items()}
                                 for param, keywords in zip(params, scalars, strict=True)]
        if all(keywords is scalars[0] or keywords == scalars[0] for keywords in scalars):
            return state_lists, scalars[0]
        return state_lists, scalars

    def update_each(self, group: dict, params: list, grads: list, states: list[dict]) -> None:
        """``rule`` on one tensor after the other (the ``foreach=False`` path; ``grads`` already hold the decay)."""
        state_lists, scalars = self.rule_arguments(group, params, states)
        apply_rule_to_group(self.rule, params, grads, state_lists, scalars, weight_decay=0.0)

    def update_foreach(self, group: dict, params: list, grads: list, states: list[dict]) -> None:
        """The rule on lists of tensors with ``torch._foreach_*`` ops (the default path).

        Falls back to ``update_each``: a new optimizer needs only ``rule`` (and ``rule_scalars``) to work on every
        path; writing this method is how it gets faster.
        """
        self.update_each(group, params, grads, states)

    def update_compiled(self, group: dict, params: list, grads: list, states: list[dict]) -> None:
        """``rule`` over the group through ``torch.compile`` (compiled on first use, then reused)."""
        compiled = self._compiled_updates.get(id(group))
        if compiled is None:
            compiled = self._compiled_updates[id(group)] = compile_fresh_copy(apply_rule_to_group,
                                                                              self.compile_backend)
        state_lists, scalars = self.rule_arguments(group, params, states)
        try:
            compiled(type(self).rule, params, grads, state_lists, scalars, group["weight_decay"])
        except Exception as error:
            from torch._dynamo.exc import BackendCompilerFailed

            if not isinstance(error, BackendCompilerFailed):
                raise
            raise RuntimeError(
                f"{type(self).__name__}(compile=True): torch.compile ({self.compile_backend}) could not build the "
                f"update on {params[0].device.type}: {error.inner_exception!r}. On a CPU, Inductor needs a working "
                "C++ compiler (g++, or $CXX); compile=False (optimizer.compile=false) runs the same rule eagerly."
            ) from error

    def tensors_to_update(self, group: dict) -> tuple[list, list, list[dict]]:
        """The group's parameters that have a gradient, their gradients and their state (created on first use).

        One pass over the group: this runs on every step, and on a small network its Python cost is a visible part
        of a fused (``compile=True``) step.
        """
        params, grads, states = [], [], []
        for param in group["params"]:
            grad = param.grad
            if grad is None:
                continue
            if grad.is_sparse:
                raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
            state = self.state[param]
            if not state:
                state.update(self.init_state(param))
            params.append(param)
            grads.append(grad)
            states.append(state)
        return params, grads, states

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """One update of every parameter that has a gradient; returns ``closure()``'s loss when given."""
        loss = loss_of(closure)
        for group in self.param_groups:
            params, grads, states = self.tensors_to_update(group)
            if not params:
                continue
            weight_decay = group["weight_decay"]
            if group["compile"]:  # weight decay happens inside the compiled function
                self.update_compiled(group, params, grads, states)
            elif group["foreach"] and not group.get("per_member"):
                if weight_decay != 0:
                    grads = torch._foreach_add(grads, params, alpha=weight_decay)
                self.update_foreach(group, params, grads, states)
            else:
                if isinstance(weight_decay, torch.Tensor):  # a member-stacked group: λ_k for member k, in place
                    for param, grad in zip(params, grads, strict=True):
                        grad.addcmul_(per_member(weight_decay, param), param)
                elif weight_decay != 0:
                    grads = [grad.add(param, alpha=weight_decay) for param, grad in zip(params, grads, strict=True)]
                self.update_each(group, params, grads, states)
        return loss
