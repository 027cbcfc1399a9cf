"""``StackedOptimizer``: the optimizers of a stack's K members as one ``torch.optim.Optimizer``.

The members are cut into *blocks* of consecutive members that use the same optimizer class with the same
execution path (``foreach``, ``compile``) and the same other settings that are not numbers (a flag or a mode name
of a class of one's own, which its rule may branch on in Python: ``if use_sign:`` takes one value for the block).
Each block is one optimizer of that class over the block's slice ``[a:b]`` of every stacked (K, ...) parameter, so
one step of the block updates all of its members:

* a project optimizer (:class:`~trainlab.optim.book_optimizer.BookOptimizer`) takes each numeric hyper-parameter
  the block's members do not share (``lr``, ``momentum``, ``betas``, ``eps``, ``rho``, the weight decay λ) as a
  per-member tensor - a *member-stacked group* - and applies its one ``rule`` with member k's values to member
  k's slice;
* any other ``torch.optim`` class stacks members whose arguments are all equal (others start a block of their
  own), and steps the slices like any tensors.

The book's weight decay keeps the lone run's split: a *decay* group holds the Linear weights with member k's λ_k,
a *no-decay* group the rest (biases, BatchNorm γ/β). A block whose members all have λ = 0 has one group of all
tensors: the same arithmetic in half the optimizer calls. Each member's hyper-parameters are first checked by its
own optimizer class, exactly as a lone run checks them, by building that optimizer on a probe tensor.

A block that covers every member steps the stacked parameters themselves; a narrower block steps views of the
slices (leaf tensors sharing the parameters' storage) and is handed the matching slice of each gradient before its
step. :meth:`member_state_dict` turns one member's part of the state back into the ``state_dict`` of the
member's lone optimizer, so a member's checkpoint is a lone run's checkpoint.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer

from trainlab.optim.book_optimizer import BookOptimizer, loss_of

OptimizerFactory = Callable[[list[dict[str, Any]]], Optimizer]
EXECUTION_KEYS = ("foreach", "compile")  # how a project optimizer runs, not what it computes


def optimizer_class(factory: OptimizerFactory) -> type:
    """The class a Hydra partial builds (``functools.partial(cls, **arguments)``)."""
    return getattr(factory, "func", factory)


def checked_hyperparameters(factory: OptimizerFactory, weight_decay: float) -> dict[str, Any]:
    """The member's hyper-parameters as its own optimizer fills and checks them (defaults included)."""
    probe = factory([{"params": [torch.zeros(1)], "weight_decay": weight_decay}])
    return {key: value for key, value in probe.param_groups[0].items() if key != "params"}


def per_member_value(value: Any) -> bool:
    """Whether a hyper-parameter may differ between the members of a project optimizer's block: a real number (not
    a bool), or a tuple/list of them (Adam's betas), which :func:`stack_values` turns into per-member tensors. A
    bool, a string, None or anything else is a setting a rule may branch on in Python (``if use_sign:``), one
    value for the whole block."""
    if isinstance(value, tuple | list):
        return all(per_member_value(item) for item in value)
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def block_key(factory: OptimizerFactory, hyperparameters: dict[str, Any]) -> tuple:
    """Members with equal keys share a block: the class, plus, for a project optimizer, every setting that is not
    a per-member number (the execution path ``foreach``/``compile`` and any flag, mode name or None of a class of
    one's own), or every argument for any other optimizer."""
    cls = optimizer_class(factory)
    if issubclass(cls, BookOptimizer):
        return cls, tuple(sorted((key, repr(value)) for key, value in hyperparameters.items()
                                 if not per_member_value(value)))
    return cls, tuple(sorted((key, repr(value)) for key, value in hyperparameters.items()))


def stack_values(values: list[Any], like: torch.Tensor) -> Any:
    """One hyper-parameter of a block's members: the value itself when they share it, else a (K,) tensor (a tuple
    of them for tuple-valued ones such as Adam's betas)."""
    if all(value == values[0] for value in values):
        return values[0]
    if all(isinstance(value, tuple | list) for value in values):
        return tuple(stack_values([value[i] for value in values], like) for i in range(len(values[0])))
    if not all(isinstance(value, numbers.Real) and not isinstance(value, bool) for value in values):
        raise ValueError(f"cannot stack the per-member values {values!r}")
    return torch.tensor([float(value) for value in values], dtype=like.dtype, device=like.device)


@dataclass
class Block:
    """Members ``[start, stop)`` of the stack and the optimizer that steps them."""

    start: int
    stop: int
    optimizer: Optimizer
    slices: list[tuple[nn.Parameter, torch.Tensor]]  # (stacked parameter, what the block's optimizer steps)


class StackedOptimizer(Optimizer):
    """One optimizer for a stack (see the module docstring).

    Args:
        decay_params: stacked parameters that take weight decay (the Linear weights), each (K, ...).
        other_params: the other stacked parameters (biases, BatchNorm γ/β), each (K, ...).
        factories: member k's optimizer factory (the Hydra partial a lone run calls with its parameter groups).
        weight_decays: member k's λ (``model.weight_decay``).
    """

    def __init__(self, decay_params: list[nn.Parameter], other_params: list[nn.Parameter],
                 factories: list[OptimizerFactory], weight_decays: list[float]) -> None:
        if len(factories) != len(weight_decays):
            raise ValueError(f"{len(factories)} optimizer factories for {len(weight_decays)} weight decays")
        super().__init__([*decay_params, *other_params], {})
        self.num_members = len(factories)
        self.factories = factories
        self.hyperparameters = [checked_hyperparameters(f, wd) for f, wd in zip(factories, weight_decays, strict=True)]
        self.blocks: list[Block] = []
        keys = [block_key(f, h) for f, h in zip(factories, self.hyperparameters, strict=True)]
        start = 0
        for stop in range(1, self.num_members + 1):
            if stop == self.num_members or keys[stop] != keys[start]:
                self.blocks.append(self._build_block(start, stop, decay_params, other_params))
                start = stop

    def _build_block(self, start: int, stop: int, decay_params: list[nn.Parameter],
                     other_params: list[nn.Parameter]) -> Block:
        whole = start == 0 and stop == self.num_members

        def part(param: nn.Parameter) -> torch.Tensor:
            return param if whole else param.detach()[start:stop]

        slices = [(param, part(param)) for param in [*decay_params, *other_params]]
        decay_slices = [tensor for _, tensor in slices[:len(decay_params)]]
        other_slices = [tensor for _, tensor in slices[len(decay_params):]]
        members = self.hyperparameters[start:stop]
        like = (decay_params or other_params)[0]
        stacked = {key: stack_values([m[key] for m in members], like) for key in members[0]}
        decays = isinstance(stacked["weight_decay"], torch.Tensor) or stacked["weight_decay"] != 0
        if decays:
            groups = [{"params": decay_slices, "weight_decay": 0.0}]
            if other_slices:
                groups.append({"params": other_slices, "weight_decay": 0.0})
        else:  # no member decays: one group, so each foreach operation is one call over every tensor
            groups = [{"params": decay_slices + other_slices, "weight_decay": 0.0}]
        optimizer = self.factories[start](groups)
        per_member = any(isinstance(value, torch.Tensor) or
                         (isinstance(value, tuple) and any(isinstance(v, torch.Tensor) for v in value))
                         for value in stacked.values())
        if per_member and not isinstance(optimizer, BookOptimizer):
            raise ValueError(f"{type(optimizer).__name__} takes no per-member hyper-parameters")
        for index, group in enumerate(optimizer.param_groups):
            group.update({key: value for key, value in stacked.items() if key != "weight_decay"})
            group["weight_decay"] = stacked["weight_decay"] if index == 0 else 0.0
            if per_member:
                group["per_member"] = True
        return Block(start, stop, optimizer, slices)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = loss_of(closure)
        for block in self.blocks:
            for param, tensor in block.slices:
                if tensor is not param:
                    tensor.grad = None if param.grad is None else param.grad[block.start:block.stop]
            block.optimizer.step()
        return loss

    def block_of(self, member: int) -> Block:
        return next(block for block in self.blocks if block.start <= member < block.stop)

    def member_state_dict(self, member: int, lone_optimizer: Optimizer,
                          lone_params: dict[nn.Parameter, nn.Parameter]) -> dict[str, Any]:
        """Member ``member``'s state in the format of its lone optimizer.

        Args:
            lone_optimizer: the member's optimizer built the lone way (its factory over its lone parameter
                groups); its state is replaced.
            lone_params: stacked parameter -> the member's lone parameter it stacks.
        """
        block = self.block_of(member)
        index = member - block.start
        lone_optimizer.state.clear()
        for param, tensor in block.slices:
            if tensor not in block.optimizer.state:  # never stepped (an optimizer may keep an empty state)
                continue
            state = block.optimizer.state[tensor]
            lone_optimizer.state[lone_params[param]] = {
                name: value[index].clone() if isinstance(value, torch.Tensor) and value.dim() > 0 else value
                for name, value in state.items()}
        return lone_optimizer.state_dict()

    def state_dict(self) -> dict[str, Any]:
        return {"blocks": [block.optimizer.state_dict() for block in self.blocks]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        for block, state in zip(self.blocks, state_dict["blocks"], strict=True):
            block.optimizer.load_state_dict(state)
