"""What the classifier's training step needs of an optimizer (``optimizer._target_`` any ``torch.optim.Optimizer``).

**A step without a closure.** The classifier runs forward, backward and ``optimizer.step()`` itself. An optimizer
whose ``step`` requires a closure that evaluates the loss again (``torch.optim.LBFGS``'s line search) failed at the
first step with ``float() argument must be ... not 'NoneType'``; :func:`check_step_without_closure` refuses it.
So is a ``step(self)`` that takes no ``closure`` at all: Lightning calls ``optimizer.step(closure=...)``, and
such a class failed at the first step of a run (``got an unexpected keyword argument 'closure'``, a traceback)
while a stacked sweep, which calls ``step()`` itself, trained it - and its members then failed when resumed alone.

**The book's weight decay reaches the optimizer, and the optimizer applies it.** The classifier turns
``model.weight_decay`` (λ) into its parameter groups: ``weight_decay = λ`` for the Linear weights, ``0`` for biases
and BatchNorm's γ/β (:func:`~trainlab.models.classifier.split_decay_groups`). A group's value overrides the
optimizer's own argument, so:

* ``optimizer.weight_decay`` (``+optimizer.weight_decay=0.5``, or a key of an optimizer's yaml) was silently
  replaced by λ - and recorded in ``hparams.yaml`` as if applied. :func:`check_optimizer_key` refuses a non-zero one
  and names ``model.weight_decay``.
* an optimizer of one's own that never reads ``group["weight_decay"]`` trained without decay while the run logged
  ``train/weight_penalty`` as if it had. :func:`check_first_step` builds the optimizer on one weight with λ and a
  zero gradient and takes two steps: with a zero gradient, only the decay term (``λ·w`` in the gradient, or a
  decoupled ``w ← w - lr·λ·w``) can move the weight, so a weight that stays put means the decay is ignored.
"""

from __future__ import annotations

import functools

from omegaconf import DictConfig, OmegaConf

from trainlab.errors import ConfigError
from trainlab.located_target import located_target


def check_step_without_closure(cfg: DictConfig) -> None:
    """Refuse an optimizer class whose ``step`` has a ``closure`` argument without a default, or none at all (no
    ``**kwargs`` either) for Lightning's ``step(closure=...)`` (imports the class)."""
    import inspect

    from trainlab.located_target import locate  # not Hydra's get_class: it logs an ERROR line for a factory function

    target = OmegaConf.select(cfg, "optimizer._target_", default=None)
    try:
        cls = locate(str(target))
        parameters = inspect.signature(cls.step).parameters if isinstance(cls, type) else {}
    except Exception:  # noqa: BLE001 - an unknown class or step is reported where the run builds it
        return
    closure = parameters.get("closure")
    takes_any_keyword = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    if parameters and closure is None and not takes_any_keyword:
        raise ConfigError(f"optimizer._target_={target}: its step() takes no closure argument, and Lightning calls "
                          "optimizer.step(closure=...) (the classifier's training step leaves the closure unused); "
                          "allowed: def step(self, closure=None), torch.optim.Optimizer's signature")
    if closure is not None and closure.default is inspect.Parameter.empty:
        raise ConfigError(f"optimizer._target_={target}: its step needs a closure that evaluates the loss again (a "
                          "line search), which the classifier's training step - one forward, one backward, one "
                          "step - does not pass; allowed: an optimizer whose step(closure=None) updates from the "
                          "gradients alone (trainlab's, torch.optim's SGD, Adam, ...)")


#: the optimizer key that the classifier's parameter groups set, replacing the user's, and the key to set instead
REPLACED_KEY, REPLACED_BY = "optimizer.weight_decay", "model.weight_decay"


def replaced_key_message(full_key: str, value: object = "<value>") -> str | None:
    """The refusal of ``optimizer.weight_decay=value``, naming ``model.weight_decay`` (None for another key): one
    message for both ways of setting it - :func:`check_optimizer_key` (``+optimizer.weight_decay=0.1``, an
    optimizer's yaml) and :func:`~trainlab.group_options.option_lacks_key_message`
    (``optimizer.weight_decay=0.1``, which Hydra refuses as a key the yaml leaves out: adding it with ``+`` would be
    refused in turn, so the way out is this one)."""
    if full_key != REPLACED_KEY:
        return None
    return (f"{REPLACED_KEY}={value} would not be applied: the classifier gives the optimizer {REPLACED_BY} as its "
            "parameter groups' weight_decay (on Linear weights, not on biases), which replaces the optimizer's own; "
            f"allowed: {REPLACED_BY}={value} with {REPLACED_KEY} unset or 0")


def refused_weight_decay(value: object) -> bool:
    """Whether ``optimizer.weight_decay=value`` is refused: a non-zero number, which λ would replace. A 0 changes
    nothing, and null or a string is no number (the optimizer's own checks say): the one rule of both
    :func:`check_optimizer_key` and :func:`~trainlab.group_options.option_lacks_key_message`."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value != 0


def override_values(override: str) -> list[object] | None:
    """The values ``key=value`` gives its key, typed as Hydra types them (``0`` -> 0, ``null`` -> None, ``abc`` ->
    'abc'); each value of a sweep (``0,0.1``, ``range(...)``). None when it is no override of one or more values:
    one that does not parse, or an interval."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        parsed = OverridesParser.create().parse_override(override)
        if not parsed.is_sweep_override():
            return [parsed.value()]
        return list(parsed.sweep_iterator()) if parsed.is_discrete_sweep() else None
    except (HydraException, ValueError, TypeError):
        return None


def check_optimizer_key(cfg: DictConfig) -> None:
    """Refuse a non-zero ``optimizer.weight_decay`` (:func:`refused_weight_decay`): the parameter groups' λ
    (``model.weight_decay``) replaces it."""
    value = OmegaConf.select(cfg, REPLACED_KEY, default=None)
    if refused_weight_decay(value):
        message = replaced_key_message(REPLACED_KEY, value)
        file = option_file_setting(cfg, "weight_decay")
        if file is not None:  # a key of the option's yaml, which the command line may never have named
            message = message.replace(f" with {REPLACED_KEY} unset or 0", f" with weight_decay removed from {file}")
        raise ConfigError(message)


def option_file_setting(cfg: DictConfig, name: str) -> str | None:
    """The yaml of the chosen ``optimizer`` option where it sets ``name`` to a refused weight decay
    (:func:`refused_weight_decay`) or to an interpolation (``${model.weight_decay}``); None where it does not, or
    the option is not known."""
    from trainlab.group_options import chosen_group_option, group_options, option_file

    options = group_options("optimizer")
    option = chosen_group_option(cfg.optimizer, "optimizer")
    if option not in options:
        return None
    written = OmegaConf.to_container(options[option], resolve=False).get(name)  # as the yaml has it, unresolved
    if not (refused_weight_decay(written) or (isinstance(written, str) and "${" in written)):
        return None
    return option_file("optimizer", str(option))


#: errors of an optimizer's own code (a rule's signature, a method not written): refused before the run. Others - a
#: class that needs a GPU tensor, say - may be this CPU probe's, not the run's, and are left to the run.
CODING_ERRORS = (TypeError, NotImplementedError, AttributeError, NameError, KeyError)
PROBE_STEPS = 2  # an optimizer that warms its step size up from 0 moves nothing in its first step


def raised_by_torch(error: BaseException) -> bool:
    """Whether ``error`` was raised inside torch itself (its dispatcher: no kernel for this device or dtype), not by
    the optimizer's own code."""
    import os
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and f"{os.sep}torch{os.sep}" in frames[-1].filename


#: what the run's training loop steps: Lightning takes nothing else from ``configure_optimizers``
OPTIMIZER_BASE = "torch.optim.Optimizer"
OPTIMIZER_ALLOWED = (f"allowed: a subclass of {OPTIMIZER_BASE} (trainlab.optim.book_optimizer.BookOptimizer for an "
                     "update rule of the book's form)")


def check_optimizer_class(target: object, built: object) -> None:
    """Refuse an ``optimizer._target_`` that is not a :class:`torch.optim.Optimizer`: ``built`` is the class it
    names, or what its factory returned. Lightning refused it as the run's training began (a
    ``MisconfigurationException`` traceback, exit status 1, the run's files written), though its ``step`` worked."""
    import torch

    if isinstance(built, type):
        if issubclass(built, torch.optim.Optimizer):
            return
        raise ConfigError(f"optimizer._target_={target} is not a {OPTIMIZER_BASE} subclass; {OPTIMIZER_ALLOWED}")
    if not isinstance(built, torch.optim.Optimizer):
        raise ConfigError(f"optimizer._target_={target} returned a {type(built).__module__}.{type(built).__qualname__}"
                          f", not a {OPTIMIZER_BASE}; {OPTIMIZER_ALLOWED}")


def check_optimizer_target_class(cfg: DictConfig) -> None:
    """Refuse an ``optimizer._target_`` naming a class that is no :class:`torch.optim.Optimizer`
    (:func:`check_optimizer_class`) before its keys are checked against that class's arguments: ``_target_:
    torch.nn.Linear`` was told first ``optimizer.out_features: torch.nn.Linear requires it ... add out_features``, and
    only once that was added that it is no optimizer. A target that does not import is left to the check of the keys,
    which names the import error; a factory function is checked on what it returns (:func:`check_first_step`)."""
    target, located = located_target(cfg, "optimizer")
    if isinstance(located, type):
        check_optimizer_class(target, located)


def check_first_step(cfg: DictConfig) -> None:
    """Build the optimizer over a weight and a bias as the classifier groups them and take two steps (imports the
    optimizer's module and torch). An error of the optimizer's own code in that step is refused now, not at the
    run's first step as a traceback with the run's files written; with λ > 0, so is a weight with a zero gradient
    that the step leaves where it was: the decay is not applied (see the module docstring). So are a class that is
    no ``torch.optim.Optimizer`` (:func:`check_optimizer_class`) and an argument value its constructor refuses
    (``ValueError``: torch's Adam given ``eps=-1``, a range trainlab does not know for a class not its own), in the
    words the run's own build of it uses; another exception as it is built (a device this CPU probe lacks) is left
    to the run."""
    if not isinstance(cfg.get("optimizer"), DictConfig):
        return
    import torch
    from hydra.utils import instantiate

    from trainlab.config_instantiation import plain_arguments

    target, located = located_target(cfg, "optimizer")
    if located is None:
        return
    if isinstance(located, type):
        check_optimizer_class(target, located)
    weight_decay = OmegaConf.select(cfg, "model.weight_decay", default=0)
    weight_decay = weight_decay if isinstance(weight_decay, int | float) and not isinstance(weight_decay, bool) else 0
    try:
        factory = instantiate(cfg.optimizer, **plain_arguments("optimizer", cfg.optimizer))  # as the run builds it
    except Exception:  # noqa: BLE001 - reported as the run builds it
        return
    keywords = getattr(factory, "keywords", None)
    if weight_decay > 0 and isinstance(keywords, dict) and isinstance(keywords.get("lr"), int | float) \
            and keywords["lr"] > 0:  # a step of 1e-20 moves a weight of 1 by less than float32 can tell
        factory = functools.partial(factory.func, *factory.args, **{**keywords, "lr": 1.0})
    from trainlab.models.classifier import split_decay_groups

    # the run's groups (their keys too: "name"), of one float32 Linear layer; λ = 1 and lr = 1 for the probe whatever
    # the run's: only whether the step applies the groups' decay at all is asked
    with torch.random.fork_rng(devices=[]):  # a Linear draws its initial weights: not from a seeded run's stream
        layer = torch.nn.Linear(4, 3)
    with torch.no_grad():
        layer.weight.fill_(1.0)
        layer.bias.fill_(1.0)
    weight = layer.weight
    weight.grad, layer.bias.grad = torch.zeros_like(weight), torch.full_like(layer.bias, 0.5)
    try:
        optimizer = factory(split_decay_groups(layer, 1.0 if weight_decay > 0 else 0.0))
    except (ValueError, *CODING_ERRORS) as error:  # an argument its constructor refuses (torch's Adam: eps=-1)
        if not isinstance(error, ValueError) and raised_by_torch(error):  # a kernel this CPU probe lacks
            return
        from trainlab.config_instantiation import config_error

        raise config_error(error, cfg.optimizer, "optimizer") from error
    except Exception:  # noqa: BLE001 - possibly this CPU probe's alone (a device the run has): left to the run
        return
    check_optimizer_class(target, optimizer)
    try:
        for _ in range(PROBE_STEPS):
            optimizer.step()
    except CODING_ERRORS as error:
        if raised_by_torch(error):  # a kernel missing for this CPU probe (a CUDA-only optimizer): the run's to say
            return
        raise ConfigError(f"optimizer {target} fails its first step (tried on a weight and a bias before the run): "
                          f"{type(error).__name__}: {error}; allowed: an optimizer whose step works "
                          "(HYDRA_FULL_ERROR=1 shows where it raised)") from error
    except Exception:  # noqa: BLE001 - possibly this CPU probe's alone: left to the run
        return
    learning_rate = cfg.optimizer.get("lr")
    if weight_decay > 0 and learning_rate != 0 and torch.equal(weight.detach(), torch.ones_like(weight)):
        raise ConfigError(f"model.weight_decay={weight_decay}: optimizer {target} does not apply the weight decay of "
                          "its parameter groups (a weight with a zero gradient stays where it was after two steps), so "
                          "the run would train without it while logging train/weight_penalty; allowed: "
                          "model.weight_decay=0 with this optimizer, or one whose step applies "
                          "group['weight_decay'] (trainlab's optimizers, torch.optim's that take weight_decay)")
