"""Build objects from config nodes, and report what their constructors reject as one-line config errors.

:func:`~trainlab.config_validation.validate_config` checks the values trainlab knows the rules of. Everything else
is checked by the library that receives the value - Lightning's ``Trainer`` checks ``trainer.limit_train_batches``,
torch's optimizers their arguments - and those checks raise from inside ``hydra.utils.instantiate`` (which wraps
them in a multi-line ``InstantiationException``) or from the call of a ``_partial_`` factory. :func:`instantiate_key`
and :func:`build_optimizers` turn such an exception into a :class:`~trainlab.errors.ConfigError` whose message is
one line: the config key (down to the argument when the library's message names it), its value, the target, and
the library's own message - which is where the allowed values come from, e.g.::

    trainer.limit_train_batches=-3 is invalid; lightning.pytorch.trainer.Trainer raised MisconfigurationException:
    You have passed invalid value -3 for limit_train_batches, it has to be in [0.0, 1.0] or an int.

The original exception stays chained (``HYDRA_FULL_ERROR=1`` shows the traceback). A
:class:`~trainlab.errors.UserError` raised by a constructor is already a one-line message and passes unchanged.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import hydra
from hydra.errors import InstantiationException
from omegaconf import DictConfig, OmegaConf

from trainlab.errors import ConfigError, UserError
from trainlab.schedule_length import check_schedule_covers_the_run
from trainlab.typed_values import typed

FULL_KEY = re.compile(r"^full_key: (\S+)$", re.MULTILINE)
IN_PLACE_ON_A_LEAF = "a leaf Variable that requires grad is being used in an in-place operation"


def one_line(text: str) -> str:
    return " ".join(line.strip() for line in str(text).splitlines() if line.strip())


def library_message(error: BaseException) -> str:
    """The message the library wrote: ``str(error)``, except that a ``KeyError`` prints its message's repr."""
    if isinstance(error, KeyError) and len(error.args) == 1 and isinstance(error.args[0], str):
        return error.args[0]
    return str(error)


def argument_named_in(message: str, node: Any) -> str | None:
    """The one argument of ``node`` whose name the library's message mentions (``limit_train_batches`` in "invalid
    value -3 for limit_train_batches"), else the one whose string value it quotes (``max_time`` in "`Timer(duration=
    'abc')` is not a valid duration"), or None when none or several are."""
    if not isinstance(node, DictConfig):
        return None
    named = [str(name) for name in node if not str(name).startswith("_")
             and re.search(rf"\b{re.escape(str(name)).replace('_', '[_ ]')}\b", message, re.IGNORECASE)]
    if named:
        return named[0] if len(named) == 1 else None
    values = OmegaConf.to_container(node, resolve=False)
    quoted = [str(name) for name, value in values.items() if not str(name).startswith("_") and isinstance(value, str)
              and value and (f"'{value}'" in message or f'"{value}"' in message)]
    return quoted[0] if len(quoted) == 1 else None


def config_error(error: BaseException, node: Any, key: str) -> UserError:
    """The one-line error for ``error``, raised while building (or calling the factory of) ``node``, the config at
    ``key``.

    Hydra names the innermost node whose target failed (``full_key: model.net`` while building ``model``); that
    node's key is reported, and its argument when the library's message names exactly one.
    """
    cause = error.__cause__ if isinstance(error, InstantiationException) and error.__cause__ else error
    if isinstance(cause, UserError):
        return cause
    found = FULL_KEY.search(str(error)) if isinstance(error, InstantiationException) else None
    if found and found.group(1).startswith(f"{key}.") and isinstance(node, DictConfig):
        inner = OmegaConf.select(node, found.group(1)[len(key) + 1:], default=None)
        if isinstance(inner, DictConfig):
            node, key = inner, found.group(1)
    target = node.get("_target_", "?") if isinstance(node, DictConfig) else "?"
    message = one_line(library_message(cause))
    argument = argument_named_in(message, node)
    if argument is not None:
        value = node.get(argument)
        if OmegaConf.is_config(value):
            value = OmegaConf.to_container(value, resolve=True)
        where = f"{key}.{argument}={typed(value)} is invalid"
    else:
        where = f"{key} is invalid"
    return ConfigError(f"{where}; {target} raised {type(cause).__name__}: {message}{partial_advice(cause, node, key)}")


#: the config keys whose objects trainlab calls with one argument of its own: they are built with ``_partial_: true``
CALLER_PASSES = {"optimizer": "the parameters", "init": "the network", "scheduler": "the optimizer"}


def partial_advice(cause: BaseException, node: Any, key: str) -> str:
    """For a node of :data:`CALLER_PASSES` built whole, whose target misses the argument its caller passes (an
    optimizer's ``params``, an initializer's ``module``, a schedule's ``optimizer``): the ``_partial_: true`` that
    leaves it to the caller."""
    if (key not in CALLER_PASSES or not isinstance(cause, TypeError) or not isinstance(node, DictConfig)
            or node.get("_partial_")):
        return ""
    from trainlab.target_arguments import first_argument

    try:
        first = first_argument(str(node.get("_target_")))
    except Exception:  # noqa: BLE001 - no signature to read: no advice
        return ""
    if first is None or f"missing 1 required positional argument: '{first}'" not in str(cause):
        return ""
    from trainlab.group_options import option_file_giving

    where = option_file_giving(node, key, "_partial_") or "its config"  # the option's yaml that leaves it out
    return f"; trainlab passes {first} itself ({CALLER_PASSES[key]}): add _partial_: true to {where}"


#: the factories whose arguments reach a checkpoint as the objects they are given (an optimizer's ``param_groups``,
#: a schedule's state), and Lightning's ``Trainer``, which reads a mapping as a dict (``trainer.max_time={minutes:
#: 5}``: ``timedelta(**value)`` - a DictConfig was refused, "Missing key total_seconds"): built with plain lists and
#: dicts, not OmegaConf's (see :func:`instantiate_key`)
PLAIN_ARGUMENTS = ("optimizer", "scheduler", "init", "trainer")


def plain_arguments(key: str, node: Any) -> dict[str, str]:
    """``{"_convert_": "all"}`` for the node of a :data:`PLAIN_ARGUMENTS` key that does not set ``_convert_``
    itself, else ``{}``: what :func:`instantiate_key` passes, and so every check that builds the same factory
    before the run (the optimizer's first step, the stacking probe) - it got an OmegaConf ``ListConfig`` where the
    run's optimizer gets a list."""
    return {"_convert_": "all"} if key in PLAIN_ARGUMENTS and isinstance(node, DictConfig) and "_convert_" not in node \
        else {}


def instantiate_key(cfg: DictConfig, key: str, label: str | None = None,
                    factories: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
    """``hydra.utils.instantiate(cfg.<key>, **kwargs)``; an exception is a one-line ConfigError naming ``label``
    (default ``key``: the key's full name when ``cfg`` is the root) - or, when it was raised inside one of
    ``factories`` (config key -> a ``_partial_`` object among ``kwargs`` that the constructor calls, as the model
    calls its ``init``), naming that factory's key.

    The :data:`PLAIN_ARGUMENTS` factories get their list and mapping arguments as Python lists and dicts
    (``_convert_: all``, where the node does not set ``_convert_`` itself): an optimizer of one's own that keeps
    ``betas: [0.9, 0.99]`` as given kept an OmegaConf ``ListConfig`` in its ``param_groups``, which its
    checkpoints then held pickled - refused by every resume and ``trainlab evaluate`` (checkpoints are read as
    tensors and plain values only, :mod:`trainlab.checkpoint_read`)."""
    node = OmegaConf.select(cfg, key)
    kwargs = {**plain_arguments(key, node), **kwargs}
    try:
        return hydra.utils.instantiate(node, **kwargs)
    except Exception as error:  # noqa: BLE001 - every constructor's refusal is reported, chained, as a config error
        raised = error.__cause__ if isinstance(error, InstantiationException) and error.__cause__ else error
        inner = raising_factory(raised.__traceback__, {k: f for k, f in (factories or {}).items() if f is not None})
        if inner is not None:
            raise factory_error(error, cfg, inner) from error
        raise config_error(error, node, label or key) from error


def factory_error(error: BaseException, cfg: DictConfig, key: str) -> UserError:
    """The one-line error for ``error``, raised inside the factory of the config key ``key`` (an initializer the
    model called, say): :func:`config_error` of that key's node, and for a write into a parameter under autograd -
    a student's first initializer, written without ``torch.no_grad()`` - the decorator that fixes it."""
    raised = error.__cause__ if isinstance(error, InstantiationException) and error.__cause__ else error
    reported = config_error(error, OmegaConf.select(cfg, key), key)
    if IN_PLACE_ON_A_LEAF in str(raised):
        reported = ConfigError(f"{str(reported).rstrip('.')}; write the parameters in place under "
                               "torch.no_grad() (decorate the function with @torch.no_grad())")
    return reported


def raising_factory(traceback: TracebackType | None, factories: Mapping[str, Any]) -> str | None:
    """The key of the outermost factory in ``traceback``: the frame of a factory's own call, of the function a
    factory calls, or of the constructor of the class a factory builds (``factory.func``)."""
    while traceback is not None:
        receiver = traceback.tb_frame.f_locals.get("self")
        for key, factory in factories.items():
            built = getattr(factory, "func", None)
            builds_receiver = isinstance(built, type) and isinstance(receiver, built)
            if receiver is not None and (receiver is factory or builds_receiver):
                return key
            # a function, e.g. an initializer - its own code, not a decorator's wrapper (@torch.no_grad()'s is shared
            # by every decorated function)
            if callable(built) and traceback.tb_frame.f_code is getattr(inspect.unwrap(built), "__code__", None):
                return key
        traceback = traceback.tb_next
    return None


def build_optimizers(model: Any, cfg: DictConfig, factories: Mapping[str, Any]) -> Any:
    """Call ``model.configure_optimizers()`` once, before anything is written, and return what it returned.

    The optimizer and the learning-rate schedule are ``_partial_`` factories: their constructors first run inside
    ``trainer.fit``, where an argument they reject would end the run as failed after its logs were started.
    ``factories`` maps the config keys to the factories the model was given (``{"optimizer": ..., "scheduler":
    ...}``); an exception is a ConfigError naming the key of the factory that raised (``model`` if none did).
    """
    try:
        built = model.configure_optimizers()
    except Exception as error:  # noqa: BLE001 - reported, chained, as a config error of the key that raised
        key = raising_factory(error.__traceback__, {k: f for k, f in factories.items() if f is not None}) or "model"
        raise config_error(error, OmegaConf.select(cfg, key), key) from error
    check_schedule_covers_the_run(built, cfg)  # a fixed-length schedule stepped past its end raised mid-training
    return built
