"""Whether an optimizer of one's own steps a stack's members exactly as their lone runs: tried on two layers.

A stack hands its optimizer every member's tensor at once - one (K, ...) tensor, or a slice of it
(:mod:`~trainlab.stacked.stacked_optimizer`) - with per-member hyper-parameters as (K, 1, ...) tensors for a
:class:`~trainlab.optim.book_optimizer.BookOptimizer`. An update that treats each element on its own (SGD, Adam,
...) is then the lone runs' updates side by side. One that does not - a norm or mean over the tensor (normalised
SGD, LARS/LAMB), factored statistics (Adafactor), a line search (L-BFGS) - would mix the members, and a rule that
uses a hyper-parameter as a Python number (``add_(v, alpha=-lr)``, ``math.sqrt(lr)``) fails on a per-member
tensor. Neither shows until training, the first as numbers that quietly differ from the lone runs'.

So before a job joins a stack, :func:`stacking_problem` builds its optimizer for two members (the second with every
numeric argument and the weight decay halved, where the class takes per-member values) over a weight and a bias -
of a tiny layer, then of one of the book's first layer's size (:data:`SHAPES`) -
takes three steps with random gradients both ways - stacked, and as two lone optimizers - and compares the
parameters and each member's optimizer state
(:meth:`~trainlab.stacked.stacked_optimizer.StackedOptimizer.member_state_dict`, what its checkpoint holds). A
difference or an error makes the job run alone, with the reason in the log. The project's own
optimizers and torch's element-wise ones are tested stacked in the test suite and not tried again. An
``optimizer._target_`` that is a function returning an optimizer, not a class, runs alone untried: a stack builds
one optimizer per class (:func:`built_by_a_function`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from trainlab.models.classifier import split_decay_groups
from trainlab.optim import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSProp
from trainlab.optim.book_optimizer import BookOptimizer
from trainlab.stacked.stacked_optimizer import EXECUTION_KEYS, OptimizerFactory, StackedOptimizer, optimizer_class

#: optimizer classes the test suite checks stacked against their lone runs (tests/test_stacked_numerics.py): the
#: project's six and torch's three, by class - one a user adds to ``trainlab/optim/`` (docs/extending.md) is tried
#: like any other
TESTED_STACKED = frozenset({SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam,
                            torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW})
STEPS = 3
#: one member's layer in each try: a Linear layer's in and out features (a weight and a bias) - a tiny one, and one of
#: the book's first layer's size: an optimizer may switch its update on a tensor's size (factored statistics or
#: 8-bit states above a size), which the tiny layer alone never showed (a stack trained such members apart from
#: their lone runs, without a word)
SHAPES = ((4, 3), (784, 100))




def stacking_problem(factory: OptimizerFactory, weight_decay: float) -> str | None:
    """Why this optimizer (a job's Hydra partial) cannot step stacked members as their lone runs; None when it can."""
    cls = optimizer_class(factory)
    if not isinstance(cls, type):
        return built_by_a_function(cls)
    if cls in TESTED_STACKED:
        return None
    keywords = dict(getattr(factory, "keywords", {}) or {})
    arguments = tuple(sorted((name, repr(value)) for name, value in keywords.items()))
    key = (f"{cls.__module__}.{cls.__qualname__}", arguments, weight_decay)
    if key not in _PROBED:  # remembered per class and arguments (a numeric one may switch a path on: a clip norm)
        _PROBED[key] = problem_of(key[0], factory, weight_decay)
    return _PROBED[key]


_PROBED: dict[tuple, str | None] = {}


def built_by_a_function(target: object) -> str:
    """Why an ``optimizer._target_`` that is a function returning an optimizer (a lone run accepts it, see
    :func:`~trainlab.optimizer_requirements.check_optimizer_class`) runs alone: a stack builds one optimizer per block
    of members of one class, and needs the class to tell which members step together and which of their arguments
    may differ."""
    name = f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', repr(target))}"
    return (f"optimizer._target_={name} is a function that returns an optimizer, not an optimizer class: a stack "
            "groups its members' optimizers by class; to stack it, set _target_ to the optimizer class and its "
            "arguments as the yaml's keys")


def problem_of(name: str, factory: OptimizerFactory, weight_decay: float) -> str | None:
    try:
        difference = largest([stacked_minus_lone(factory, weight_decay, shape) for shape in SHAPES])
    except Exception as error:  # noqa: BLE001 - the reason the job runs alone
        return (f"optimizer {name} fails on stacked members ({type(error).__name__}: {error}); where its rule uses "
                f"a hyper-parameter as a Python number, write it as arithmetic to stack it - lr * grad, lr ** 0.5, "
                f"not alpha=lr or math.sqrt(lr) (docs/extending.md)")
    if difference > 1e-5:
        try:
            paths = foreach_minus_rule(factory, weight_decay)
        except Exception:  # noqa: BLE001 - a class that takes no foreach= or compile=: the paths are not compared
            paths = 0.0
        if paths > 1e-5:  # the lone run's foreach path against the rule a stack steps with, on one lone layer
            return (f"optimizer {name} does not update stacked members as their lone runs: its update_foreach and "
                    f"its rule disagree on a lone parameter (they differ by {paths:.2g} after {STEPS} steps), and a "
                    "stack steps with the rule, a lone run with update_foreach (foreach=true); make update_foreach "
                    "compute what rule does (docs/extending.md)")
        return (f"optimizer {name} does not update stacked members as their lone runs (they differ by "
                f"{difference:.2g} after {STEPS} steps: an update that mixes a tensor's elements - a norm, a mean, "
                "factored statistics - would mix the members)")
    return None


def foreach_minus_rule(factory: OptimizerFactory, weight_decay: float) -> float:
    """For a :class:`BookOptimizer` with an ``update_foreach`` of its own, which its lone runs step with
    (``foreach`` true): the largest difference between that path and ``foreach=False`` (``rule``, tensor by tensor:
    what a stack steps with) on one lone layer after :data:`STEPS` steps with the same random gradients - the
    parameters and the state. 0.0 where there are not two paths to compare. A stack that differs from the lone
    runs for this reason was said to mix a tensor's elements, sending the author to look for a norm that is not
    there."""
    cls = optimizer_class(factory)
    keywords = dict(getattr(factory, "keywords", {}) or {})
    if (not issubclass(cls, BookOptimizer) or cls.update_foreach is BookOptimizer.update_foreach
            or keywords.get("foreach") is False):
        return 0.0
    generator = torch.Generator().manual_seed(0)
    with torch.random.fork_rng(devices=[]):
        layers = [nn.Linear(*SHAPES[0]) for _ in range(2)]
    with torch.no_grad():
        for parameter in layers[0].parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
        layers[1].load_state_dict(layers[0].state_dict())
    optimizers = [functools.partial(factory.func, *factory.args, **{**keywords, "foreach": foreach,
                                                                    "compile": False})(
        split_decay_groups(layer, weight_decay)) for layer, foreach in zip(layers, (True, False), strict=True)]
    for _ in range(STEPS):
        for parameters in zip(layers[0].parameters(), layers[1].parameters(), strict=True):
            grad = torch.randn(parameters[0].shape, generator=generator)
            for parameter in parameters:
                parameter.grad = grad.clone()
        for optimizer in optimizers:
            optimizer.step()
    difference = largest(float((a - b).abs().max().detach())
                         for a, b in zip(layers[0].parameters(), layers[1].parameters(), strict=True))
    states = [optimizer.state_dict()["state"] for optimizer in optimizers]
    if states[0].keys() != states[1].keys():
        return float("inf")
    return largest([difference, *(state_difference(states[0][i], states[1][i]) for i in states[1])])


def largest(differences: Iterable[float]) -> float:
    """The largest of ``differences``, infinite where one is NaN (Python's ``max`` kept or dropped a NaN by its
    place in the list: a NaN state beside finite ones passed for equal)."""
    values = list(differences)
    return float("inf") if any(math.isnan(value) for value in values) else max(values, default=0.0)


def halved(value: Any) -> Any:
    """A member's other value of a hyper-parameter: half of every real number (a rate, a decay, an ε, each of
    Adam's betas stay in their ranges), anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float | tuple | list):
        return value
    if isinstance(value, tuple | list):
        return type(value)(halved(item) for item in value)
    return value / 2 if isinstance(value, float) or value != 0 else value


def member_factories(factory: OptimizerFactory) -> list[OptimizerFactory]:
    """Two members: the same optimizer, the second with every numeric argument halved where the class takes
    per-member values (a project optimizer: :class:`BookOptimizer`, whose stacks hand its rule each such value as
    a per-member tensor); others stack only members with equal arguments."""
    keywords = dict(getattr(factory, "keywords", {}) or {})
    if not issubclass(optimizer_class(factory), BookOptimizer):
        return [factory, factory]
    if keywords.get("compile"):
        keywords["compile"] = False  # the same rule, without seconds of compiling for a check
    other = {name: value if name in EXECUTION_KEYS else halved(value) for name, value in keywords.items()}
    return [functools.partial(factory.func, *factory.args, **keywords),
            functools.partial(factory.func, *factory.args, **other)]


def stacked_minus_lone(factory: OptimizerFactory, weight_decay: float, shape: tuple[int, int] = SHAPES[0]) -> float:
    """The largest difference between the stacked and the lone members' parameters and optimizer state after
    :data:`STEPS` steps with random gradients, each member a Linear layer of ``shape`` (in, out features)."""
    generator = torch.Generator().manual_seed(0)
    factories = member_factories(factory)
    per_member = issubclass(optimizer_class(factory), BookOptimizer)
    decays = [weight_decay, weight_decay / 2 if per_member else weight_decay]  # λ per member, as a search gives
    with torch.random.fork_rng(devices=[]):  # a Linear draws its initial weights: not from a seeded run's stream
        layers = [nn.Linear(*shape) for _ in factories]
    with torch.no_grad():
        for layer in layers:
            for parameter in layer.parameters():
                parameter.copy_(torch.randn(parameter.shape, generator=generator))
    lone = [[layer.weight, layer.bias] for layer in layers]
    stacked = [nn.Parameter(torch.stack([member[i].detach() for member in lone])) for i in range(2)]
    lone_optimizers = [make(split_decay_groups(layer, decay))  # a lone run's groups, as the classifier makes them
                       for make, layer, decay in zip(factories, layers, decays, strict=True)]
    stacked_optimizer = StackedOptimizer(stacked[:1], stacked[1:], factories, decays)
    for _ in range(STEPS):
        for i in range(len(stacked)):
            grad = torch.randn(stacked[i].shape, generator=generator)
            stacked[i].grad = grad.clone()
            for k, member in enumerate(lone):
                member[i].grad = grad[k].clone()
        stacked_optimizer.step()
        for optimizer in lone_optimizers:
            optimizer.step()
    difference = largest(float((stacked[i][k] - member[i]).abs().max().detach())
                         for k, member in enumerate(lone) for i in range(len(stacked)))
    for k, (make, member) in enumerate(zip(factories, lone, strict=True)):
        saved = stacked_optimizer.member_state_dict(k, make(split_decay_groups(layers[k], decays[k])),
                                                    dict(zip(stacked, member, strict=True)))["state"]
        expected = lone_optimizers[k].state_dict()["state"]
        if saved.keys() != expected.keys():
            return float("inf")
        difference = largest([difference, *(state_difference(saved[i], expected[i]) for i in expected)])
    return difference


def state_difference(saved: dict[str, Any], expected: dict[str, Any]) -> float:
    if saved.keys() != expected.keys():
        return float("inf")
    difference = 0.0
    for name, value in expected.items():
        other = saved[name]
        if isinstance(value, torch.Tensor):
            if not isinstance(other, torch.Tensor) or other.shape != value.shape:
                return float("inf")
            difference = largest([difference, float((other.double() - value.double()).abs().max())
                                  if value.numel() else 0.0])
        elif other != value:
            return float("inf")
    return difference
