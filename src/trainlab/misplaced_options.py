"""An optimizer or a learning-rate schedule chosen in another group than its own (its yaml put in the wrong folder
of ``conf/``, or a ``_target_`` set on the wrong key), told where it belongs.

The three groups trainlab calls with an object of its own (``optimizer`` with the parameters, ``scheduler`` with the
optimizer, ``init`` with the network) each build one kind of thing. A class of another group's kind there failed as
it was called: an optimizer's yaml in ``conf/scheduler/`` was ``scheduler is invalid; ...SignMomentum raised
TypeError: 'SGD' object is not iterable``, and in ``conf/init/`` ``... optimizer can only optimize Tensors``; a
schedule's yaml in ``conf/optimizer/`` was told it is no optimizer without a word of where it goes, and an
initializer's yaml there ``optimizer is invalid; trainlab.init.my_init.my_init raised AttributeError: 'list' object
has no attribute 'modules'`` (it was handed the parameter groups).
:func:`check_options_in_their_groups` refuses each in one line that says what the class is and, for an option's
yaml, the folder to move it to and the choice that then selects it.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from omegaconf import DictConfig

from trainlab.errors import ConfigError
from trainlab.group_options import chosen_group_option, group_options, option_file
from trainlab.located_target import located_target

#: where an initializer of one's own is shown: the function of the network and its yaml
INIT_EXAMPLE = "docs/extending.md's example, like conf/init/he.yaml with trainlab/init/he.py"
#: what each group builds, and what it takes instead of a class of another group's kind
GROUP_BUILDS = {
    "optimizer": ("an optimizer", "as optimizer a torch.optim.Optimizer subclass (conf/optimizer/)"),
    "scheduler": ("a learning-rate schedule", "as scheduler a torch.optim.lr_scheduler class (conf/scheduler/)"),
    "init": ("an initializer", f"as init a function that takes the network and writes its weights in place "
                               f"({INIT_EXAMPLE})"),
}
#: how a refusal names a class of each kind
KIND_NAMES = {"optimizer": "an optimizer (a torch.optim.Optimizer subclass)",
              "scheduler": "a learning-rate schedule (a torch.optim.lr_scheduler class)",
              "init": "an initializer (a function that takes the network)"}
#: the package of trainlab's initializers, where docs/extending.md puts one's own too
INIT_PACKAGE = "trainlab.init."


def class_kind(located: object) -> str | None:
    """``optimizer`` for a :class:`torch.optim.Optimizer` subclass, ``scheduler`` for a learning-rate schedule
    class, ``init`` for an initializer (:func:`is_initializer`), else None (a factory function, any other class: its
    own group's checks say what is wrong with it)."""
    if is_initializer(located):
        return "init"
    if not isinstance(located, type):
        return None
    import torch

    if issubclass(located, torch.optim.Optimizer):
        return "optimizer"
    if issubclass(located, torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau):
        return "scheduler"
    return None


def is_initializer(located: object) -> bool:
    """Whether ``located`` is a function that initialises a network: one of ``trainlab.init``'s modules (trainlab's
    initializers, and one's own where docs/extending.md puts it), one an option of ``conf/init/`` builds, or one whose
    first parameter is annotated as an ``nn.Module`` (``def my_init(module: nn.Module, ...)``). A function of the
    parameters that returns an optimizer is none of these."""
    if isinstance(located, type) or not callable(located):
        return False
    function = inspect.unwrap(located)  # @torch.no_grad()'s wrapper keeps the function's name and module
    module, name = getattr(function, "__module__", "") or "", getattr(function, "__qualname__", "")
    if f"{module}.".startswith(INIT_PACKAGE) or f"{module}.{name}" in {
            str(option.get("_target_")) for option in group_options("init").values()}:
        return True
    try:
        first = next(iter(inspect.signature(function).parameters.values()), None)
    except (TypeError, ValueError):
        return False
    annotation = first.annotation if first is not None else inspect.Parameter.empty
    if isinstance(annotation, str):  # from __future__ import annotations: the annotation as written
        return annotation.rsplit(".", 1)[-1] == "Module"
    from torch import nn

    return isinstance(annotation, type) and issubclass(annotation, nn.Module)


def check_options_in_their_groups(cfg: DictConfig) -> None:
    """Refuse an ``optimizer``, ``scheduler`` or ``init`` whose ``_target_`` is a class of another of these groups'
    kind (see the module docstring). A target that does not import is left to the check of the keys."""
    for group in GROUP_BUILDS:
        target, located = located_target(cfg, group)
        kind = class_kind(located)
        if kind is None or kind == group:
            continue
        raise ConfigError(f"{group}._target_={target} is {KIND_NAMES[kind]}, not {GROUP_BUILDS[group][0]}; allowed: "
                          f"{where_it_goes(cfg, group, kind, str(target))}, and {GROUP_BUILDS[group][1]}")


def where_it_goes(cfg: DictConfig, group: str, kind: str, target: str) -> str:
    """The move of the option's yaml into ``conf/<kind>/`` and the choice that selects it there, where the chosen
    option's yaml names ``target``; else (a ``_target_`` set on the command line) the option of ``kind`` that builds
    ``target`` (``scheduler=step`` for ``StepLR``), the key to set it on where ``kind`` has an option chosen, or a
    yaml of its own (``scheduler._target_=...`` with ``scheduler=null`` sets no key)."""
    option = chosen_group_option(cfg[group], group)
    options = group_options(group)
    if option in options and options[option].get("_target_") == target:  # the yaml names it, not an override
        file = Path(option_file(group, str(option)))
        return f"move {file} to {file.parent.parent / kind / file.name} and choose it with {kind}={option}"
    building = sorted(name for name, config in group_options(kind).items() if config.get("_target_") == target)
    if building:
        return " or ".join(f"{kind}={name}" for name in building) + f" (the option{'s' if len(building) > 1 else ''} " \
            f"that build{'' if len(building) > 1 else 's'} it)"
    if isinstance(cfg.get(kind), DictConfig):
        return f"{kind}._target_={target} (a yaml of conf/{kind}/)"
    return f"a yaml of conf/{kind}/ with _target_: {target}, chosen with {kind}=<its name>"
