"""Whether an optimizer of one's own steps a stack's members exactly as their lone runs: tried on tiny tensors.

A stack hands its optimizer every member's tensor at once - one (K, ...) tensor, or a slice of it
(:mod:`~trainlab.stacked.stacked_optimizer`) - with per-member hyper-parameters as (K, 1, ...) tensors for a
:class:`~trainlab.optim.book_optimizer.BookOptimizer`. An update that treats each element on its own (SGD, Adam,
...) is then the lone runs' updates side by side. One that does not - a norm or mean over the tensor (normalised
SGD, LARS/LAMB), factored statistics (Adafactor), a line search (L-BFGS) - would mix the members, and a rule that
uses a hyper-parameter as a Python number (``add_(v, alpha=-lr)``, ``math.sqrt(lr)``) fails on a per-member
tensor. Neither shows until training, the first as numbers that quietly differ from the lone runs'.

So before a job joins a stack, :func:`stacking_problem` builds its optimizer for two members (the second with half
the learning rate, where the class takes per-member values) over a weight and a bias, takes three steps with random
gradients both ways - stacked, and as two lone optimizers - and compares the parameters and each member's
optimizer state (:meth:`~trainlab.stacked.stacked_optimizer.StackedOptimizer.member_state_dict`, what its
checkpoint holds). A difference or an error makes the job run alone, with the reason in the log. The project's own
optimizers and torch's element-wise ones are tested stacked in the test suite and not tried again.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import nn

from trainlab.optim.book_optimizer import BookOptimizer
from trainlab.stacked.stacked_optimizer import OptimizerFactory, StackedOptimizer, optimizer_class

#: optimizer classes the test suite checks stacked against their lone runs (tests/test_stacked_numerics.py)
TESTED_STACKED = frozenset({"torch.optim.SGD", "torch.optim.Adam", "torch.optim.AdamW", "torch.optim.sgd.SGD",
                            "torch.optim.adam.Adam", "torch.optim.adamw.AdamW"})
OWN_OPTIMIZERS = "trainlab.optim."
STEPS = 3
SHAPES = ((3, 4), (4,))  # a weight and a bias of one member


def is_tested_stacked(cls: type) -> bool:
    name = f"{cls.__module__}.{cls.__qualname__}"
    return name.startswith(OWN_OPTIMIZERS) or name in TESTED_STACKED


def stacking_problem(factory: OptimizerFactory, weight_decay: float) -> str | None:
    """Why this optimizer (a job's Hydra partial) cannot step stacked members as their lone runs; None when it can."""
    cls = optimizer_class(factory)
    if not isinstance(cls, type) or is_tested_stacked(cls):
        return None
    keywords = dict(getattr(factory, "keywords", {}) or {})
    key = (f"{cls.__module__}.{cls.__qualname__}",
           tuple(sorted((name, value) for name, value in keywords.items() if isinstance(value, bool | str))),
           weight_decay != 0)
    if key not in _PROBED:  # remembered by class and switches: a search's trials differ only in numbers
        _PROBED[key] = problem_of(key[0], factory, weight_decay)
    return _PROBED[key]


_PROBED: dict[tuple, str | None] = {}


def problem_of(name: str, factory: OptimizerFactory, weight_decay: float) -> str | None:
    try:
        difference = stacked_minus_lone(factory, weight_decay)
    except Exception as error:  # noqa: BLE001 - the reason the job runs alone
        return f"optimizer {name} fails on stacked members ({type(error).__name__}: {error})"
    if difference > 1e-5:
        return (f"optimizer {name} does not update stacked members as their lone runs (they differ by "
                f"{difference:.2g} after {STEPS} steps: an update that mixes a tensor's elements - a norm, a mean, "
                "factored statistics - would mix the members)")
    return None


def member_factories(factory: OptimizerFactory) -> list[OptimizerFactory]:
    """Two members: the same optimizer, the second with half the learning rate where the class takes per-member
    values (a project optimizer: :class:`BookOptimizer`); others stack only members with equal arguments."""
    keywords = dict(getattr(factory, "keywords", {}) or {})
    if issubclass(optimizer_class(factory), BookOptimizer) and isinstance(keywords.get("lr"), int | float):
        if keywords.get("compile"):
            keywords["compile"] = False  # the same rule, without seconds of compiling for a check
        return [functools.partial(factory.func, *factory.args, **keywords),
                functools.partial(factory.func, *factory.args, **{**keywords, "lr": keywords["lr"] / 2})]
    return [factory, factory]


def stacked_minus_lone(factory: OptimizerFactory, weight_decay: float) -> float:
    """The largest difference between the stacked and the lone members' parameters and optimizer state after
    :data:`STEPS` steps with random gradients."""
    generator = torch.Generator().manual_seed(0)
    factories = member_factories(factory)
    lone = [[nn.Parameter(torch.randn(shape, generator=generator)) for shape in SHAPES] for _ in factories]
    stacked = [nn.Parameter(torch.stack([member[i].detach() for member in lone])) for i in range(len(SHAPES))]
    lone_optimizers = [make(groups(member, weight_decay)) for make, member in zip(factories, lone, strict=True)]
    stacked_optimizer = StackedOptimizer(stacked[:1], stacked[1:], factories, [weight_decay] * len(factories))
    for _ in range(STEPS):
        for i in range(len(SHAPES)):
            grad = torch.randn(stacked[i].shape, generator=generator)
            stacked[i].grad = grad.clone()
            for k, member in enumerate(lone):
                member[i].grad = grad[k].clone()
        stacked_optimizer.step()
        for optimizer in lone_optimizers:
            optimizer.step()
    difference = max(float((stacked[i][k] - member[i]).abs().max().detach())
                     for k, member in enumerate(lone) for i in range(len(SHAPES)))
    for k, (make, member) in enumerate(zip(factories, lone, strict=True)):
        saved = stacked_optimizer.member_state_dict(k, make(groups(member, weight_decay)),
                                                    dict(zip(stacked, member, strict=True)))["state"]
        expected = lone_optimizers[k].state_dict()["state"]
        if saved.keys() != expected.keys():
            return float("inf")
        difference = max([difference, *(state_difference(saved[i], expected[i]) for i in expected)])
    return difference


def groups(member: list[nn.Parameter], weight_decay: float) -> list[dict[str, Any]]:
    """A lone run's parameter groups (:func:`~trainlab.models.classifier.split_decay_groups`)."""
    if weight_decay == 0:
        return [{"params": member, "weight_decay": 0.0}]
    return [{"params": member[:1], "weight_decay": weight_decay}, {"params": member[1:], "weight_decay": 0.0}]


def state_difference(saved: dict[str, Any], expected: dict[str, Any]) -> float:
    if saved.keys() != expected.keys():
        return float("inf")
    difference = 0.0
    for name, value in expected.items():
        other = saved[name]
        if isinstance(value, torch.Tensor):
            if not isinstance(other, torch.Tensor) or other.shape != value.shape:
                return float("inf")
            difference = max(difference, float((other.double() - value.double()).abs().max()) if value.numel() else 0.0)
        elif other != value:
            return float("inf")
    return difference
