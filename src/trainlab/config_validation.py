"""Check a composed training config before anything is built or run.

Two kinds of checks, each failing with a one-line :class:`~trainlab.errors.ConfigError` that names the key, the
value and what is allowed:

* **Known keys.** Top-level keys must be among :data:`TOP_LEVEL_KEYS`; every node with a ``_target_`` may only hold
  arguments of that target's signature (unless it takes ``**kwargs``) - so a misspelt key added with ``+`` or in a
  yaml file is caught here, not as a ``TypeError`` deep in instantiation.
* **Values.** :data:`RULES` gives the type and range of the keys the project knows; a rule applies wherever its key
  exists (e.g. ``optimizer.lr`` only for optimizers that have one); the book's ranges of ``optimizer.momentum``,
  ``rho``, ``alpha``, ``eps`` and ``betas`` only for trainlab's own optimizers (:func:`target_rules`: another class
  checks its own as it is built). ``trainer.precision`` takes Lightning's
  own list (:func:`precision_rule`). :func:`check_override_values` applies the same rules to a multirun's override
  lines, swept values included, before the sweep starts. The arguments of the callback classes the project knows
  (EarlyStopping's ``patience``, the progress bar's ``refresh_rate``, ...) have rules too, wherever a ``callbacks``
  entry builds one (:func:`check_callback_values`).

One check joins keys: the metric a callback or ``scheduler=plateau`` watches (``callbacks.<name>.monitor``,
``model.scheduler_monitor``) must be one the run logs, given ``data.eval_splits`` and the other choices, and its
``mode`` the way that metric is best where its name says it (:func:`check_monitor_directions`). One check
looks at the machine: ``trainer=gpu`` where torch sees no CUDA device (instead of Lightning's "No supported gpu
backend found!" from inside the Trainer's instantiation). One looks at the data: ``data.source=torchvision`` whose
files are missing from ``data.data_dir`` and cannot be downloaded there (``data.download=false``, or a directory
this process cannot write into).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection
from typing import Any

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, ListConfig, OmegaConf

from trainlab.callback_entries import metric_logging_callbacks
from trainlab.config_file_shapes import check_group_shapes, package_header_message
from trainlab.config_keys import INSTANTIATION_KEYS, OPTION_KEYS, is_under, override_key, override_lines
from trainlab.config_switches import boolean
from trainlab.data.data_choices import EVAL_SPLITS, SOURCES
from trainlab.data.torchvision_mnist import obtain_torchvision_files, refuse_unobtainable_files
from trainlab.deleted_values import check_no_value_deleted
from trainlab.distributed.process_world import DDP_STRATEGIES, device_count
from trainlab.errors import ConfigError
from trainlab.group_options import (
    chosen_group_option,
    group_options,
    option_file,
    option_file_giving,
    option_lacks_key_message,
    settable_keys,
)
from trainlab.initializer_probe import check_initializer
from trainlab.located_target import locate, located_target
from trainlab.misplaced_options import INIT_EXAMPLE, check_options_in_their_groups
from trainlab.models.metric_names import epoch_metric_names, natural_direction, validation_metric_names
from trainlab.models.net_choices import ACTIVATIONS, BATCH_NORMS, DROPOUT_KINDS, RUNNING_STATS
from trainlab.optimizer_requirements import (
    check_first_step,
    check_optimizer_key,
    check_optimizer_target_class,
    check_step_without_closure,
)
from trainlab.own_targets import BOOK_OPTIMIZERS, CLASSIFIER, MNIST_DATAMODULE, NETWORK
from trainlab.target_arguments import (
    accepted_keywords,
    allowed_text,
    first_argument,
    fits,
    import_failure,
    plain_annotations,
)
from trainlab.typed_values import typed

TOP_LEVEL_KEYS = {
    "task_name", "seed", "optimized_metric", "test", "objective_on_failure", "ckpt_path", "resume_sweep", "compile",
    "data", "model", "optimizer", "scheduler", "init", "trainer", "logger", "callbacks", "paths", "hydra",
}
# arguments the training task passes itself, next to the config's
INJECTED = {"model": {"optimizer", "init", "scheduler"}, "trainer": {"callbacks", "logger"}}


Check = Callable[[Any], bool]


def integer(minimum: int | None = None, maximum: int | None = None) -> tuple[Check, str]:
    bound = "" if minimum is None else f" >= {minimum}"
    if maximum is not None:
        bound = f" <= {maximum}" if minimum is None else f" from {minimum} to {maximum}"
    return (lambda v: isinstance(v, int) and not isinstance(v, bool) and (minimum is None or v >= minimum)
            and (maximum is None or v <= maximum), f"an integer{bound}")


#: the seeds Lightning's seed_everything (and NumPy's generator, which it seeds) accept
SEED_RANGE = (0, 2**32 - 1)


def number(low: float | None = None, high: float | None = None, low_open: bool = False, high_open: bool = True,
           finite: bool = True):
    """A real number within the bounds; ``finite``: inf and -inf refused too (``optimizer.lr=inf`` passed ``>= 0``
    and turned the first step's weights to NaN). The words say "finite" where no bound already excludes inf."""
    def ok(v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, int | float) or v != v:
            return False
        if finite and not math.isfinite(v):
            return False
        if low is not None and (v <= low if low_open else v < low):
            return False
        return not (high is not None and (v >= high if high_open else v > high))

    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high}")
    kind = "a finite number" if finite and (low is None or high is None) else "a number"
    return ok, kind + (" " + " and ".join(parts) if parts else "")


def one_of(choices) -> tuple[Check, str]:
    return (lambda v: v in choices), "one of " + ", ".join(map(str, choices))


def budget() -> tuple[Check, str]:
    """A training budget, ``trainer.max_epochs`` or ``trainer.max_steps``: a count of at least one, or -1 for none."""
    return (lambda v: isinstance(v, int) and not isinstance(v, bool) and (v == -1 or v >= 1),
            "an integer >= 1, or -1 (no limit)")


def nullable(rule: tuple[Check, str]) -> tuple[Check, str]:
    return (lambda v: v is None or rule[0](v)), rule[1] + " or null"


def list_of(rule: tuple[Check, str]) -> tuple[Check, str]:
    return (lambda v: isinstance(v, list | tuple) and len(v) > 0 and all(rule[0](x) for x in v),
            f"a non-empty list, each item {rule[1]}")


def devices_rule() -> tuple[Check, str]:
    def ok(v: Any) -> bool:
        if isinstance(v, list | tuple):
            return len(v) > 0 and all(integer(0)[0](i) for i in v) and len(set(v)) == len(v)
        if isinstance(v, str) and v.isdigit():
            v = int(v)
        return integer(1)[0](v)

    return ok, ("a number of devices N >= 1 (N > 1 trains with DDP, one process per device: trainer=ddp), or a list "
                "of distinct device indices [i, j, ...] (GPUs only)")


# the values Lightning's Trainer accepts for ``precision`` (lightning.fabric.plugins.precision.precision, 2.6): kept
# here because a config check runs before Hydra writes and must not wait for Lightning's import (~2 s);
# tests/test_reliability_inputs.py compares them with the installed Lightning's own lists
PRECISIONS = ("transformer-engine", "transformer-engine-float16", "16-true", "16-mixed", "bf16-true", "bf16-mixed",
              "32-true", "64-true")
PRECISION_ALIASES = {"64": "64-true", "32": "32-true", "16": "16-mixed", "bf16": "bf16-mixed"}
PRECISION_INTEGERS = (64, 32, 16)


def precision_rule() -> tuple[Check, str]:
    """``trainer.precision``: the values Lightning's Trainer accepts (:data:`PRECISIONS`, their short forms), or null
    (its default, 32-true). Checked here, before Hydra writes the run directory, instead of when the Trainer is
    built."""
    accepted = (*PRECISIONS, *PRECISION_INTEGERS, *PRECISION_ALIASES)
    aliases = ", ".join(f"{alias} = {name}" for alias, name in PRECISION_ALIASES.items())
    return ((lambda v: v is None or (not isinstance(v, bool) and v in accepted)),
            f"one of {', '.join(PRECISIONS)}, their short forms ({aliases}), or null")


def pair_of(rule: tuple[Check, str]) -> tuple[Check, str]:
    return (lambda v: isinstance(v, list | tuple) and len(v) == 2 and all(rule[0](x) for x in v),
            f"a pair [b1, b2], each {rule[1]}")


def checkpoint_file_name() -> tuple[Check, str]:
    """ModelCheckpoint's ``filename``: Lightning joins it to the entry's ``dirpath``, so a ``..`` in it
    (``filename=../../../x``) or an absolute path wrote the checkpoint outside the run directory - in a sweep every
    job's onto the same path, each overwriting the one before."""
    def ok(v: Any) -> bool:
        return isinstance(v, str) and not v.startswith("/") and ".." not in v.split("/")

    return ok, "a file name inside the entry's dirpath (no '..' part, not an absolute path; e.g. epoch_{epoch:03d})"


UNIT = number(0.0, 1.0)
MODES = one_of(("min", "max"))  # a monitor's mode: ReduceLROnPlateau, EarlyStopping, ModelCheckpoint
RULES: dict[str, tuple[Check, str]] = {
    "seed": nullable(integer(*SEED_RANGE)),
    "ckpt_path": nullable((lambda v: isinstance(v, str) and v.strip() != "", "a checkpoint file, last")),
    "test": boolean(),
    "resume_sweep": boolean(),
    "compile.enabled": boolean(),
    "objective_on_failure": nullable(number(finite=False)),  # -inf: the worst of a maximised search
    "data.source": one_of(SOURCES),
    "data.batch_size": integer(1),
    "data.eval_batch_size": integer(1),
    "data.train_size": nullable(integer(1)),
    "data.val_size": nullable(integer(1)),
    "data.seed": integer(*SEED_RANGE),
    "data.eval_splits": list_of(one_of(EVAL_SPLITS)),
    "data.on_device": boolean(),
    "data.download": boolean(),
    # a socket timeout: 0 would make the socket non-blocking (every download fails at once), null would wait on a
    # stalled network for ever instead of falling back (data.source=auto)
    "data.download_timeout_s": number(0, low_open=True),
    "model.weight_decay": number(0.0),
    "model.num_classes": integer(2),
    "model.net.input_size": integer(1),
    "model.net.hidden_sizes": list_of(integer(1)),
    "model.net.activation": one_of(tuple(ACTIVATIONS)),
    "model.net.batch_norm": one_of(BATCH_NORMS),
    "model.net.batch_norm_running_stats": one_of(RUNNING_STATS),
    "model.net.dropout_kind": one_of(DROPOUT_KINDS),
    "model.net.dropout": UNIT,
    "model.net.batch_norm_eps": number(0.0, low_open=True),
    "optimizer.lr": number(0.0),
    "optimizer.weight_decay": number(0.0),
    "model.scheduler_monitor": one_of(tuple(validation_metric_names(EVAL_SPLITS))),
    "scheduler.step_size": integer(1),
    "scheduler.gamma": number(0.0, low_open=True),
    "scheduler.T_max": integer(1),
    "scheduler.eta_min": number(0.0),
    "scheduler.mode": MODES,
    "scheduler.factor": UNIT,
    "scheduler.patience": integer(0),
    "scheduler.threshold": number(0.0),
    "scheduler.min_lr": number(0.0),
    "init.std": number(0.0),
    "trainer.accelerator": one_of(("cpu", "gpu", "cuda", "mps", "tpu", "auto")),
    "trainer.devices": devices_rule(),
    "trainer.num_nodes": integer(1),
    "trainer.strategy": one_of(DDP_STRATEGIES),
    "trainer.precision": precision_rule(),
    # Lightning takes 0 and trains nothing: the run ended "completed", its test at the initial weights
    "trainer.max_epochs": nullable(budget()),
    "trainer.min_epochs": nullable(integer(0)),
    "trainer.max_steps": budget(),
    "trainer.log_every_n_steps": integer(1),
    "trainer.gradient_clip_val": nullable(number(0.0)),
    "trainer.accumulate_grad_batches": integer(1),
    "trainer.check_val_every_n_epoch": nullable(integer(1)),
    # Lightning takes 0 and any number of batches, and fails in fit (ZeroDivisionError; past an epoch's batches, a
    # ValueError), after the run directory is written
    "trainer.val_check_interval": nullable((
        lambda v: (isinstance(v, int) and not isinstance(v, bool) and v >= 1) or (isinstance(v, float) and 0 < v <= 1)
        or isinstance(v, str | DictConfig | dict),
        "an integer >= 1 (batches), a fraction of the epoch in (0, 1], or a time (\"00:00:05:00\", {minutes: 5})")),
    "trainer.enable_progress_bar": nullable(boolean()),
    "trainer.enable_model_summary": nullable(boolean()),
    "trainer.enable_checkpointing": nullable(boolean()),
    "trainer.deterministic": nullable((lambda v: isinstance(v, bool) or v == "warn", "true, false or warn")),
}

#: the ranges of the book's optimizer arguments, for trainlab's own optimizers alone (:func:`target_rules`): another
#: class's ``momentum``, ``rho`` or ``eps`` may mean something else (ASAM's ``rho=2.0`` is a radius) and take other
#: values - torch's own Adam takes ``eps=0`` -, so those are checked by the class itself as it is built
#: (:func:`~trainlab.optimizer_requirements.check_first_step`) and by its parameters' annotations. trainlab's own:
#: its classes (:data:`~trainlab.own_targets.BOOK_OPTIMIZERS`), not its package - a class of one's own in
#: ``src/trainlab/optim/``, where docs/extending.md puts it, was held to the book's ranges (a heavy-ball class's
#: ``momentum=1.0`` refused)
BOOK_OPTIMIZER_RULES: dict[str, tuple[Check, str]] = {
    "optimizer.momentum": UNIT,
    "optimizer.rho": UNIT,
    "optimizer.alpha": UNIT,
    "optimizer.eps": number(0.0, low_open=True),
    "optimizer.betas": pair_of(UNIT),
}


def target_rules(cfg: DictConfig) -> dict[str, tuple[Check, str]]:
    """The rules of keys whose meaning depends on the class a node builds: :data:`BOOK_OPTIMIZER_RULES` where
    ``optimizer._target_`` is one of trainlab's optimizers, none otherwise."""
    target = OmegaConf.select(cfg, "optimizer._target_", default=None)
    return BOOK_OPTIMIZER_RULES if str(target) in BOOK_OPTIMIZERS else {}


#: the arguments of the callback classes whose values are checked, wherever an entry of ``callbacks`` builds one
#: (:func:`callback_rules`): their constructors check few of them - Lightning's EarlyStopping took ``patience="abc"``
#: and failed at the first validation (or never, while the metric kept improving), its Rich progress bar took
#: ``refresh_rate="abc"`` and failed at the first redraw, ``refresh_rate=-1`` and ``patience=-1`` silently.
LIGHTNING_CALLBACK_ARGUMENTS: dict[str, dict[str, tuple[Check, str]]] = {
    "EarlyStopping": {"patience": integer(0), "min_delta": number(0.0), "mode": MODES},
    "ModelCheckpoint": {"save_top_k": integer(-1), "mode": MODES, "filename": nullable(checkpoint_file_name())},
    "RichProgressBar": {"refresh_rate": integer(0)},
    "TQDMProgressBar": {"refresh_rate": integer(0)},
}
OWN_CALLBACK_ARGUMENTS: dict[str, dict[str, tuple[Check, str]]] = {
    "trainlab.callbacks.progress_bar.ProgressBar": LIGHTNING_CALLBACK_ARGUMENTS["RichProgressBar"],
    "trainlab.callbacks.divergence_guard.DivergenceGuard": {"check_every_n_steps": nullable(integer(1))},
    "trainlab.callbacks.activation_histograms.ActivationHistograms": {"every_n_steps": integer(1)},
}


def callback_rules(target: Any) -> dict[str, tuple[Check, str]]:
    """The rules of the arguments of the callback class ``target`` (a ``_target_``): trainlab's own by path,
    Lightning's by class name under any of its import paths (``lightning.pytorch.callbacks.EarlyStopping``,
    ``lightning.pytorch.callbacks.early_stopping.EarlyStopping``, ``pytorch_lightning.callbacks...``); none for a
    class of the user's own."""
    target = str(target or "")
    if target in OWN_CALLBACK_ARGUMENTS:
        return OWN_CALLBACK_ARGUMENTS[target]
    if target.startswith(("lightning.", "pytorch_lightning.")):
        return LIGHTNING_CALLBACK_ARGUMENTS.get(target.rpartition(".")[2], {})
    return {}


def check_callback_values(cfg: DictConfig) -> None:
    """The arguments of each ``callbacks`` entry that builds a class of :func:`callback_rules`, as
    :func:`check_values` checks ``RULES``' keys: ``callbacks.early_stopping.patience=abc is invalid; allowed: an
    integer >= 0``."""
    callbacks = cfg.get("callbacks")
    if not isinstance(callbacks, DictConfig):
        return
    for name, entry in callbacks.items():
        if not isinstance(entry, DictConfig):
            continue
        for argument, rule in callback_rules(entry.get("_target_")).items():
            if argument in entry:
                check_value(f"callbacks.{name}.{argument}", entry.get(argument), rule)


def override_rule(key: str) -> tuple[Check, str] | None:
    """The rule of an override's key: ``RULES``', or for ``callbacks.<entry>.<argument>`` the rule of the argument of
    the class the ``callbacks`` options of the config search path build as ``<entry>`` (one class in all of them)."""
    if key in RULES:
        return RULES[key]
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != "callbacks":
        return None
    targets = {str(config[parts[1]].get("_target_")) for config in group_options("callbacks").values()
               if isinstance(config.get(parts[1]), DictConfig)}
    return callback_rules(targets.pop()).get(parts[2]) if len(targets) == 1 else None


def check_value(key: str, value: Any, rule: tuple[Check, str], cfg: DictConfig | None = None) -> None:
    """Refuse ``key``'s ``value`` (a config node is checked as the plain, resolved container it stands for) where
    ``rule`` does not allow it: ``<key>=<value> is invalid; allowed: <rule's text>``. Given ``cfg``, a value that
    ``key`` takes from another key of it through an interpolation names that key instead
    (:func:`interpolated_value_message`)."""
    ok, allowed = rule
    if isinstance(value, DictConfig | ListConfig):
        value = OmegaConf.to_container(value, resolve=True)
    if ok(value):
        return
    source = interpolated_from(cfg, key) if cfg is not None else None
    if source is not None:  # scheduler.T_max: ${trainer.max_epochs}, which experiment=compare_init sets -1
        raise ConfigError(interpolated_value_message(cfg, key, value, source, allowed))
    raise ConfigError(f"{key}={typed(value)} is invalid; allowed: {allowed}")


def check_values(cfg: DictConfig, keys: set[str] | None = None) -> None:
    """The values of ``RULES``' keys in ``cfg``, and of the keys of :func:`target_rules` where its targets are
    trainlab's (of ``keys`` alone when given)."""
    absent = object()
    for key, rule in {**RULES, **target_rules(cfg)}.items():
        if keys is not None and key not in keys:
            continue
        value = OmegaConf.select(cfg, key, default=absent)
        if value is not absent:
            check_value(key, value, rule, cfg)


#: what a value of a key means where another key's value comes from it (the refused key then names it)
SOURCE_MEANINGS = {("trainer.max_epochs", -1): "no epoch limit: a budget of trainer.max_steps"}
#: what to set a key to, where its own value came from elsewhere
KEY_MEANINGS = {"scheduler.T_max": "the number of epochs to anneal over", "scheduler.step_size": "epochs"}
SIMPLE_INTERPOLATION = re.compile(r"\$\{(?P<key>[A-Za-z_][\w.]*)\}")


def interpolated_from(cfg: DictConfig, key: str) -> str | None:
    """The key whose value ``key`` takes through a plain interpolation (``${trainer.max_epochs}``), followed through
    a chain of them to the last; None where ``key``'s value is its own (or an expression, a resolver's)."""
    source, seen = None, {key}
    while True:
        parent_key, _, name = key.rpartition(".")
        parent = OmegaConf.select(cfg, parent_key) if parent_key else cfg
        node = parent._get_node(name) if isinstance(parent, DictConfig) else None
        raw = node._value() if node is not None else None
        match = SIMPLE_INTERPOLATION.fullmatch(raw) if isinstance(raw, str) else None
        if match is None or match["key"] in seen:
            return source
        key = source = match["key"]
        seen.add(key)


def interpolated_value_message(cfg: DictConfig, key: str, value: Any, source: str, allowed: str) -> str:
    """``scheduler.T_max=-1 is invalid: it comes from trainer.max_epochs=-1 (...)``: the refused value was not set
    on the key itself, so the line names where it came from and that the key can be set on its own."""
    meaning = SOURCE_MEANINGS.get((source, value))
    if meaning is not None:  # the budget that trainer.max_epochs=-1 leaves to trainer.max_steps
        meaning += f"={typed(OmegaConf.select(cfg, 'trainer.max_steps'))}"
    said = f" ({meaning})" if meaning else ""
    wanted = f"N ({KEY_MEANINGS[key]})" if key in KEY_MEANINGS else "<value>"
    return (f"{key}={typed(value)} is invalid: it comes from {source}={typed(value)}{said}, through "
            f"${{{source}}}; allowed: {allowed}, set as {key}={wanted}")


def check_override_values(lines: list[str], swept: bool = True) -> None:
    """The values that the override ``lines`` (a multirun's ``hydra.overrides.task``) give to keys of ``RULES``,
    each value of a sweep (``a,b``, ``range()``) included when ``swept`` - before a multirun makes its sweep
    directory: its basic or joblib launcher checks a job's config only once Hydra has made the job's directory,
    ``.hydra/`` and log included, so ``-m trainer.precision=17`` left a sweep directory behind. A value that is an
    interpolation is left to the job, which resolves it; ``interval()`` to the sweeper that samples it."""
    from hydra.core.override_parser.types import ValueType

    from trainlab.sweep.basic_sweep import sweep_parser

    enumerable = (ValueType.CHOICE_SWEEP, ValueType.SIMPLE_CHOICE_SWEEP, ValueType.RANGE_SWEEP)
    parser = sweep_parser()  # a glob() over the optimizer's options is expanded (swept_optimizers)
    overrides = parser.parse_overrides(lines)
    book_optimizers = all(str(target) in BOOK_OPTIMIZERS for target in swept_optimizers(overrides))
    for override in overrides:
        key = override.key_or_group
        rule = override_rule(key) or (BOOK_OPTIMIZER_RULES.get(key) if book_optimizers else None)
        if rule is None or override.is_delete() or override.package is not None:
            continue
        if not override.is_sweep_override():
            values = [override.value()]
        elif swept and override.value_type in enumerable:
            values = [parser.parse_override(f"{key}={text}").value() for text in override.sweep_string_iterator()]
        else:
            continue
        ok, allowed = rule
        for value in values:
            if not (isinstance(value, str) and "${" in value) and not ok(value):
                raise ConfigError(f"{key}={typed(value)} is invalid; allowed: {allowed}")


def swept_optimizers(overrides: list[Any]) -> list[Any]:
    """The ``optimizer._target_`` of each job of a multirun whose parsed ``overrides`` are given: the classes of its
    ``optimizer`` choices (``optimizer=sgd,momentum``), or of the one the config chooses (Hydra's
    ``runtime.choices``), or a ``_target_`` the command line sets; ``[None]`` where one cannot be told (an option
    of no known file, no Hydra config) - :data:`BOOK_OPTIMIZER_RULES` then wait for each job's own config."""
    targets = [override.value() for override in overrides if override.key_or_group == "optimizer._target_"
               and not override.is_sweep_override() and not override.is_delete()]
    if targets:
        return targets
    chosen = [override for override in overrides if override.key_or_group == "optimizer" and override.package is None]
    if any(override.is_sweep_override() and not override.is_discrete_sweep() for override in chosen):
        return [None]  # interval(): refused as a sweep over a config group (trainlab.sweep.group_sweeps)
    if chosen:  # a glob() is expanded where the overrides were parsed with the config loader (sweep_parser)
        choices = [text for override in chosen for text in (
            override.sweep_string_iterator() if override.is_sweep_override() else [override.value()])]
    elif HydraConfig.initialized():
        choices = [OmegaConf.select(HydraConfig.get(), "runtime.choices.optimizer", default=None)]
    else:
        return [None]
    options = group_options("optimizer")
    return [options[str(choice)].get("_target_") if str(choice) in options else None for choice in choices]


def target_parameters(target: str, key: str, node: Any = None) -> frozenset[str] | None:
    """The keyword arguments ``target`` accepts, or None when it takes ``**kwargs`` (anything goes). ``node``: the
    config node that names it, whose option's yaml the refusal names where the misspelt name is written there."""
    try:
        return accepted_keywords(target)
    except Exception as error:  # noqa: BLE001 - reported as a config error with the cause
        raise ConfigError(f"{key}._target_={target!r}{set_in(node, key, '_target_')} cannot be imported: "
                          f"{import_failure(target, error)}") from error


def set_in(node: Any, key: str, name: str) -> str:
    """`` (set in <file>)`` where the yaml of the option of group ``key`` that the config was composed with gives
    ``node``'s ``name`` its value, the file to correct (a misspelt ``_target_``); else empty: the command line or
    another config set it, or ``key`` is no group of options (``model.net``)."""
    file = option_file_giving(node, key, name) if isinstance(node, DictConfig) and "." not in key else None
    return f" (set in {file})" if file else ""


def unknown_key_message(full_key: str, node: DictConfig, allowed: frozenset[str], keys: str = "key") -> str:
    """``key: unknown key for <target>; allowed: ...`` - without the argument the caller of a ``_partial_`` target
    passes itself (an initializer's ``module``, an optimizer's ``params``, a schedule's ``optimizer``)."""
    if node.get("_partial_"):
        allowed = allowed - {first_argument(node._target_)}
    takes = f"allowed: {', '.join(sorted(allowed))}" if allowed else "it takes no keys"
    return f"{full_key}: unknown {keys} for {node._target_}; {takes}"


def check_keys(node: Any, key: str) -> None:
    """Recursively: keys of a ``_target_`` node must be arguments of the target."""
    if isinstance(node, ListConfig):
        for index, item in enumerate(node):
            check_keys(item, f"{key}[{index}]")
        return
    if not isinstance(node, DictConfig):
        return
    if "_target_" in node:
        allowed = target_parameters(node._target_, key, node)
        if allowed is not None:
            allowed = allowed | INJECTED.get(key, set())  # a new set: the looked-up one is shared
            unknown = [str(name) for name in node if name not in allowed and name not in INSTANTIATION_KEYS]
            if len(unknown) > 1:  # all at once: a class swapped in by _target_ keeps the keys of the one it replaced
                dropped = " ".join(f"~{key}.{name}" for name in unknown)
                named = f"{key}.{{{', '.join(unknown)}}}"
                raise ConfigError(f"{unknown_key_message(named, node, allowed, keys='keys')}; drop them with "
                                  f"{dropped}, or give it a yaml of its own")
            for name in unknown:
                raise ConfigError(option_lacks_key_message(f"{key}.{name}", node)
                                  or unknown_key_message(f"{key}.{name}", node, allowed))
        check_first_parameter_is_left_free(node, key)
        check_argument_types(node, key)
        check_required_keys(node, key)
    for name in node:
        if name != "_target_":
            check_keys(node.get(name), f"{key}.{name}")


def check_first_parameter_is_left_free(node: DictConfig, key: str) -> None:
    """A group trainlab calls (:data:`FACTORY_GROUPS`) with its own first argument - the network to an initializer,
    the parameters to an optimizer, the optimizer to a schedule - has a ``_target_`` whose first parameter takes it:
    not one the config sets (``def my_init(scale: float = 1.0)`` with ``scale: 2.0`` was ``init.scale=2.0 is
    invalid; ... got multiple values for argument 'scale'``, blaming the value; an optimizer ``__init__(self, lr,
    params)`` was told to add ``params: <value>`` to its yaml), nor one annotated with a plain type (without
    ``scale`` in the yaml, the network was bound to ``scale`` and the run trained on, initialised by nothing)."""
    from trainlab.config_instantiation import CALLER_PASSES

    if key not in FACTORY_GROUPS or not node.get("_partial_") or "_args_" in node:
        return
    try:
        first = first_argument(str(node._target_))
    except Exception:  # noqa: BLE001 - no signature to read (a builtin): the constructor says what it takes
        return
    annotated = plain_annotations(str(node._target_)).get(first) if first is not None else None
    if first is None or (first not in node and annotated is None):
        return
    passed = CALLER_PASSES[key]
    how = f"which the config sets ({key}.{first})" if first in node else f"annotated {annotated[1]}"
    name = str(node._target_).rpartition(".")[2]
    signature = (f"__init__(self, {FIRST_PARAMETER[key]}, {first}, ...)" if isinstance(locate(str(node._target_)), type)
                 else f"def {name}({FIRST_PARAMETER[key]}, {first}, ...)")
    raise ConfigError(f"{key}._target_={node._target_}: trainlab calls it with {passed} as its first argument, and "
                      f"its first parameter is {first}, {how}; allowed: a first parameter that takes {passed} "
                      f"({signature}), the config's keys after it")


#: the first parameter of each of :data:`FACTORY_GROUPS`' targets, as trainlab's own name it
FIRST_PARAMETER = {"optimizer": "params", "init": "module", "scheduler": "optimizer"}


def check_required_keys(node: DictConfig, key: str) -> None:
    """A group trainlab calls (:data:`FACTORY_GROUPS`: an optimizer, an initializer, a schedule) sets each argument
    its ``_target_`` cannot be built without, but the first, which trainlab passes: ``optimizer.beta1:
    mylab.lion3.Lion3 requires it and optimizer=lion3 does not set it; allowed: add beta1: <value> to
    <the option's yaml>, or +optimizer.beta1=<value>``. Its constructor's ``TypeError`` (``missing 1 required
    positional argument: 'beta1'``) was reported as a step that failed, with no key named."""
    if key not in FACTORY_GROUPS or "_args_" in node:  # positional values: which ones they fill is Hydra's call
        return
    from trainlab.target_arguments import required_keywords

    required = required_keywords(str(node._target_))  # imported already by the check of the keys
    first = first_argument(str(node._target_))  # trainlab's (a missing _partial_ is told where it is built)
    missing = [name for name in required if name != first and name not in node]
    if not missing:
        return
    name = missing[0]
    options = group_options(key)
    option = chosen_group_option(node, key)  # the option chosen, where its yaml names this class: the file to set it in
    option = option if option in options and options[option].get("_target_") == node._target_ else None
    if option is None:
        raise ConfigError(f"{key}.{name}: {node._target_} requires it and the config does not set it; allowed: "
                          f"+{key}.{name}=<value>")
    raise ConfigError(f"{key}.{name}: {node._target_} requires it and {key}={option} does not set it; allowed: add "
                      f"{name}: <value> to {option_file(key, option)}, or +{key}.{name}=<value>")


def check_argument_types(node: DictConfig, key: str) -> None:
    """The values of a ``_target_`` node whose parameters are annotated with a plain type
    (:func:`~trainlab.target_arguments.plain_annotations`) are of that type: ``init.scale='abc' is invalid; allowed:
    a float (my_init.my_init's scale: float)``. Before, the target raised deep inside, blamed on the whole node.
    A list or a mapping is none of those types (``optimizer.beta=[0.9]`` raised ``'<=' not supported between
    instances of 'float' and 'ListConfig'`` inside the class). Left alone: nodes with a ``_target_`` (built into
    an object of their own, checked on their own), missing (``???``) values, and interpolations that do not resolve
    here (their own checks name them)."""
    annotations = plain_annotations(str(node._target_))
    for name in node:
        if name in INSTANTIATION_KEYS or name not in annotations or OmegaConf.is_missing(node, name):
            continue
        try:
            value = node[name]
        except Exception:  # noqa: BLE001 - an interpolation resolved only where it is used (${hydra:...}, ...)
            continue
        allowed, annotation = annotations[name]
        if (isinstance(value, DictConfig) and "_target_" in value) or fits(value, allowed):
            continue
        if isinstance(value, DictConfig | ListConfig):
            try:
                value = OmegaConf.to_container(value, resolve=True)
            except Exception:  # noqa: BLE001 - an interpolation inside resolved only where it is used
                continue
        raise ConfigError(f"{key}.{name}={typed(value)} is invalid; allowed: {allowed_text(allowed)} "
                          f"({node._target_}'s {name}: {annotation})")


def check_entries_name_a_class(cfg: DictConfig) -> None:
    """Each entry of ``callbacks`` and ``logger`` is null or a node with a ``_target_``: one the config lacks, made by
    setting its key (``+callbacks.early_stopping.patience=5`` with ``callbacks=default``), ended the run in a
    traceback once Hydra had written its directory. The option of the group that builds it is named."""
    for kind in ("callbacks", "logger"):
        node = cfg.get(kind)
        if not isinstance(node, DictConfig):
            continue
        for name, entry in node.items():
            if entry is None or (isinstance(entry, DictConfig) and "_target_" in entry):
                continue
            takers = [option for option, config in group_options(kind).items() if name in settable_keys(config)]
            built = ", ".join(str(key) for key, value in node.items() if key != name and value is not None)
            option = f"{kind}={takers[0]}, whose config builds it, or " if takers else ""
            raise ConfigError(f"{kind}.{name}: not one of this config's {kind} ({built or 'none'}), and nothing "
                              f"names the class to build it from; allowed: {option}a whole entry with its "
                              f"_target_ ('+{kind}.{name}={{_target_: <class>, ...}}')")


#: the groups trainlab builds from a node: partial factories (it passes their first argument) or whole objects
FACTORY_GROUPS = ("optimizer", "init", "scheduler")
WHOLE_OBJECTS = ("data", "model", "model.net")


def check_groups_name_a_class(cfg: DictConfig) -> None:
    """Each group trainlab builds names its class, and is a ``_partial_`` exactly when trainlab calls it: an
    optimizer without ``_target_`` reached the model as a DictConfig ("'DictConfig' object is not callable", blamed
    on the model), ``_partial_: true`` on the model ended in a traceback (``Expected a parent``), and on the
    network was blamed on the initializer."""
    for key in (*FACTORY_GROUPS, "data", "model"):
        node = cfg.get(key)
        if isinstance(node, DictConfig) and "_target_" not in node:
            raise ConfigError(no_target_message(node, key))
    for key in WHOLE_OBJECTS:
        node = OmegaConf.select(cfg, key, default=None)
        if isinstance(node, DictConfig) and node.get("_partial_"):
            builder = "the classifier builds it from its keys" if key == "model.net" else "trainlab builds it whole"
            raise ConfigError(f"{key}._partial_=true: {builder}, so it is no partial to call later; allowed: "
                              f"_partial_ removed from {key} (only {', '.join(FACTORY_GROUPS)} are partials)")


def no_target_message(node: DictConfig, key: str) -> str:
    """The refusal of group ``key``'s node without a ``_target_``. Where the chosen option's yaml is what lacks it,
    the line names the file, and a key there that is ``_target_`` misspelt (``target:``, which Hydra reads as an
    argument): it said only "a _target_ in its config". The options offered are those that name a class - the
    faulty one among them was offered as a way out of itself."""
    import difflib

    named = sorted(name for name, option in group_options(key).items() if "_target_" in option)
    options = ", ".join(named) or f"an option of conf/{key}/"
    file = option_file_giving(node, key, "_target_")  # both leave it out: the option's own yaml is to blame
    if file is None:
        return (f"{key}: no _target_ names the class to build; allowed: {key}=<option> ({options}), or a _target_ "
                f"in its config")
    chosen = f"{key}={chosen_group_option(node, key)}"
    misspelt = difflib.get_close_matches("_target_", [str(name) for name in node if name not in INSTANTIATION_KEYS],
                                         n=1, cutoff=0.7)
    if misspelt:
        return (f"{chosen}: {file} has {misspelt[0]}: where Hydra reads _target_: (the class to build); allowed: "
                f"_target_: in place of {misspelt[0]}: in that file, or {key}=<option> ({options})")
    return (f"{chosen}: {file} names no _target_ (the class to build); allowed: a _target_: line in that file, or "
            f"{key}=<option> ({options})")


def check_init_target(cfg: DictConfig, classifier: bool) -> None:
    """``init._target_`` names an initializer, which the classifier calls with the whole network (``init(net)``):
    one of ``torch.nn.init``'s functions, which initialise one tensor, was ``init is invalid;
    torch.nn.init.kaiming_normal_ raised AttributeError: 'MLP' object has no attribute 'shape'`` - it did not say what
    an initializer is (an optimizer class there: :mod:`trainlab.misplaced_options`). A model of one's own may call
    ``init`` as it likes. A target that does not import is left to the check of the keys."""
    target, located = located_target(cfg, "init")
    if located is None:
        return
    if classifier and getattr(located, "__module__", None) == "torch.nn.init":
        options = ", ".join(sorted(name for name, option in group_options("init").items()
                                   if option.get("_target_") != target))
        raise ConfigError(f"init._target_={target} initialises one tensor, and an initializer receives the whole "
                          "network (the classifier calls init(net)); allowed: a function of the network that applies "
                          f"it to each layer's weight ({INIT_EXAMPLE}), or init=<option> ({options})")


def trains_on_the_cpu(accelerator: str | None, machine: bool = True) -> bool:
    """Whether ``trainer.accelerator`` trains on the CPU: ``cpu``, and ``auto`` / null where torch sees no CUDA
    device on this machine (``machine``: this machine is where it trains; elsewhere only ``cpu`` counts)."""
    if accelerator == "cpu":
        return True
    if accelerator not in ("auto", None) or not machine:
        return False
    import torch

    return not torch.cuda.is_available()


def check_precision_fits_the_cpu(accelerator: str | None, precision: Any) -> None:
    """``trainer.precision=16-mixed`` where training runs on the CPU: Lightning trains it as bf16-mixed (with a
    warning), while the run's config, hparams.yaml and HPARAMS column said 16-mixed."""
    if precision not in ("16-mixed", "16", 16) or not trains_on_the_cpu(accelerator):
        return
    raise ConfigError(f"trainer.precision={precision}: on a CPU Lightning trains 16-mixed as bf16-mixed, while the "
                      "run's config and HPARAMS would record 16-mixed; allowed: trainer.precision=bf16-mixed - what "
                      "it trains with - or 32-true")


def check_devices_fit_the_accelerator(cfg: DictConfig, machine: bool = True) -> None:
    """``trainer.devices=[0, 1]`` (device indices) where training runs on the CPU: Lightning's CPUAccelerator takes a
    number of processes only, and said so ("devices selected with CPUAccelerator should be an int > 0") after the
    DDP processes had started. ``trainer.accelerator=auto`` counts as the CPU where torch sees no CUDA device
    (``machine``: this machine is where it trains)."""
    devices = OmegaConf.select(cfg, "trainer.devices")
    accelerator = OmegaConf.select(cfg, "trainer.accelerator")
    if not OmegaConf.is_list(devices) or not trains_on_the_cpu(accelerator, machine):
        return
    given = OmegaConf.to_object(devices)
    processes = "one process" if len(given) == 1 else f"{len(given)} DDP processes"
    raise ConfigError(f"trainer.devices={given} is invalid with trainer.accelerator={accelerator or 'null'}, which "
                      f"trains on the CPU here: a list of device indices is for GPUs; allowed: a number of processes "
                      f"N >= 1 (trainer.devices={len(given)}: {processes} on the CPU), or "
                      f"trainer.accelerator=gpu with the list")


def accelerator_source(cfg: DictConfig, accelerator: str) -> tuple[str, str]:
    """Where ``trainer.accelerator`` came from, as a refusal names it, and the way to the CPU: from the chosen
    trainer option's own yaml (``trainer=gpu``: `` (trainer=gpu)``, ``trainer=cpu``), or set elsewhere - the command
    line, an experiment config - over it, where ``trainer=cpu`` would not help (``trainer.accelerator=cpu``)."""
    hydra_node = cfg.get("hydra") or (HydraConfig.get() if HydraConfig.initialized() else None)
    choice = OmegaConf.select(hydra_node, "runtime.choices.trainer", default=None) if hydra_node else None
    lines = override_lines(OmegaConf.select(hydra_node, "overrides.task", default=None)) if hydra_node else []
    options = group_options("trainer")
    set_elsewhere = any(override_key(line) == "trainer.accelerator" for line in lines) or (
        choice in options and options[choice].get("accelerator") != accelerator)
    if set_elsewhere:
        return "", "trainer.accelerator=cpu"
    return (f" (trainer={choice})" if choice else ""), "trainer=cpu"


def machine_accelerators() -> str:
    """The accelerators this machine has, as ``trainer.accelerator`` names them: ``cpu``, ``gpu`` (with the count of
    CUDA devices torch sees), ``mps`` (Apple silicon); ``tpu`` where torch_xla is installed."""
    import importlib.util

    import torch

    present = ["cpu"]
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        present.append(f"gpu ({count} CUDA device{'s' if count != 1 else ''})")
    if torch.backends.mps.is_available():
        present.append("mps")
    if importlib.util.find_spec("torch_xla") is not None:
        present.append("tpu (torch_xla installed)")
    return ", ".join(present)


#: what ``trainer.accelerator`` tpu and mps need, and how torch tells: Lightning's own refusals said ``pip install -U
#: 'torch_xla>=1.13'`` (tpu; on a machine without a TPU, where installing it does not help) and named
#: MPSAccelerator, from inside the Trainer's instantiation
OTHER_ACCELERATORS = {"tpu": "a TPU (through torch_xla, which is not installed here)",
                      "mps": "Apple silicon's GPU (torch.backends.mps.is_available() is False here)"}


def other_accelerator_missing(accelerator: str) -> bool:
    """Whether ``tpu`` / ``mps`` (:data:`OTHER_ACCELERATORS`) is missing here; a machine with torch_xla installed is
    left to Lightning, which knows whether it reaches a TPU."""
    import torch

    if accelerator == "mps":
        return not torch.backends.mps.is_available()
    import importlib.util

    return importlib.util.find_spec("torch_xla") is None


def check_accelerator_present(cfg: DictConfig) -> None:
    """``trainer.accelerator`` gpu/cuda needs a CUDA device that torch can use, tpu and mps their own
    (:data:`OTHER_ACCELERATORS`: refused naming the accelerators this machine has, :func:`machine_accelerators`),
    each refused where this machine lacks it; 16-bit mixed precision is bf16 on a CPU
    (:func:`check_precision_fits_the_cpu`)."""
    accelerator = OmegaConf.select(cfg, "trainer.accelerator")
    check_precision_fits_the_cpu(accelerator, OmegaConf.select(cfg, "trainer.precision"))
    if accelerator in OTHER_ACCELERATORS and other_accelerator_missing(accelerator):
        source, way_out = accelerator_source(cfg, accelerator)
        raise ConfigError(
            f"trainer.accelerator={accelerator!r}{source} needs {OTHER_ACCELERATORS[accelerator]}; this machine has: "
            f"{machine_accelerators()}; train on the CPU with {way_out}, or let Lightning choose with "
            "trainer.accelerator=auto")
    if accelerator not in ("gpu", "cuda"):
        return
    import torch  # here, not at the top: the other checks answer before torch is imported (~1-3 s)

    if not torch.cuda.is_available():
        source, way_out = accelerator_source(cfg, accelerator)
        raise ConfigError(
            f"trainer.accelerator={accelerator!r}{source} needs a CUDA GPU, and torch.cuda.is_available() is "
            f"False here (torch {torch.__version__}, built for CUDA {torch.version.cuda or 'none'}); train on the "
            f"CPU with {way_out}, or let Lightning choose with trainer.accelerator=auto"
        )
    devices, present = OmegaConf.select(cfg, "trainer.devices", default=1), torch.cuda.device_count()
    indices = list(devices) if OmegaConf.is_list(devices) else list(range(device_count(devices)))
    if indices and present and max(indices) >= present:
        raise ConfigError(f"trainer.devices={OmegaConf.to_object(devices) if OmegaConf.is_list(devices) else devices} "
                          f"asks for more GPUs than the {present} present; allowed: at most {present} devices, "
                          f"indices 0..{present - 1}")


def check_data_available(cfg: DictConfig) -> None:
    """``data.source=torchvision`` needs full MNIST in ``data.data_dir``: files that are missing and cannot be
    downloaded (:func:`~trainlab.data.torchvision_mnist.refuse_unobtainable_files`) are refused here, before anything
    is written, not once the run has started. ``auto`` and ``bundled`` always have data (the bundled sample); a
    download that fails on the network is only found by trying it (:func:`fetch_missing_data`, which follows this
    check). The project's MNIST module only."""
    source = OmegaConf.select(cfg, "data.source")
    if OmegaConf.select(cfg, "data._target_") != MNIST_DATAMODULE or source != "torchvision":
        return
    data_dir, download = OmegaConf.select(cfg, "data.data_dir"), OmegaConf.select(cfg, "data.download", default=True)
    refuse_unobtainable_files(data_dir, download)


def fetch_missing_data(cfg: DictConfig) -> None:
    """``data.source=torchvision`` whose files are missing from ``data.data_dir`` and may be downloaded there: the
    download, now - before Hydra makes the run or sweep directory (:mod:`trainlab.preflight`), and in the task
    before it claims its directory - not once the run has written its event files, ``hparams.yaml`` and
    ``status.json``. A failed download is a :class:`~trainlab.errors.DataError` (exit status 2) that leaves
    ``data.data_dir`` as it was. Files on disk cost a few ``stat`` calls; other sources and other data modules
    nothing (``auto`` downloads when the task resolves it, and falls back to the bundled sample). The steps are the
    data module's own (:func:`~trainlab.data.torchvision_mnist.obtain_torchvision_files`)."""
    source = OmegaConf.select(cfg, "data.source")
    if OmegaConf.select(cfg, "data._target_") != MNIST_DATAMODULE or source != "torchvision":
        return
    data_dir, download = OmegaConf.select(cfg, "data.data_dir"), OmegaConf.select(cfg, "data.download", default=True)
    obtain_torchvision_files(data_dir, download, OmegaConf.select(cfg, "data.download_timeout_s", default=10))


#: what the project's MNIST module feeds a model: flattened 28 x 28 images of the 10 digits
MNIST_SIZES = {"model.net.input_size": (784, "an MNIST image's 28 x 28 pixels"),
               "model.num_classes": (10, "MNIST's 10 digits"), "model.net.num_classes": (10, "MNIST's 10 digits")}


def check_model_fits_data(cfg: DictConfig) -> None:
    """The project's classifier is given a network to build (``model.net._target_``: without it the classifier
    received the config node itself and failed inside the initializer, ``Missing key modules``). On the project's
    MNIST module it takes 784 inputs and has 10 classes: another size is refused here, not found by the first matrix
    product (``mat1 and mat2 shapes cannot be multiplied``) or the loss (``Target 8 is out of bounds``) once the run
    has started."""
    net = OmegaConf.select(cfg, "model.net", default=None)
    if (OmegaConf.select(cfg, "model._target_") == CLASSIFIER and isinstance(net, DictConfig)
            and "_target_" not in net):
        raise ConfigError("model.net: no _target_ names the network's class; allowed: model.net._target_=<an "
                          "nn.Module class>, e.g. trainlab.models.mlp.MLP (the book's MLP) in the model's yaml")
    if (OmegaConf.select(cfg, "data._target_") != MNIST_DATAMODULE
            or OmegaConf.select(cfg, "model._target_") != CLASSIFIER):
        return
    own_network = OmegaConf.select(cfg, "model.net._target_", default=None) != NETWORK
    for key, (size, what) in MNIST_SIZES.items():
        if own_network and key.startswith("model.net."):  # its own arguments (an LSTM's input_size is a row's 28)
            continue
        value = OmegaConf.select(cfg, key, default=None)
        if value is not None and value != size:
            raise ConfigError(f"{key}={typed(value)} does not fit the MNIST data ({what}); allowed: {size}")


def check_running_stats_fit_the_batch_norm(cfg: DictConfig) -> None:
    """The book's running statistics are kept by the project's own BatchNorm alone: ``nn.BatchNorm1d``
    (``model.net.batch_norm=torch``) keeps torch's, and would have trained with other statistics than asked."""
    net = OmegaConf.select(cfg, "model.net", default=None)
    if not isinstance(net, DictConfig) or net.get("_target_") != NETWORK:
        return
    running_stats = net.get("batch_norm_running_stats", "torch")
    if net.get("batch_norm") == "torch" and running_stats != "torch":
        raise ConfigError(f"model.net.batch_norm_running_stats={running_stats} is kept by the project's own "
                          "BatchNorm, and model.net.batch_norm=torch (nn.BatchNorm1d) keeps torch's running "
                          "statistics; allowed: model.net.batch_norm=custom, or "
                          "model.net.batch_norm_running_stats=torch")


#: the keys that decide which metrics a run logs and which ones its callbacks and schedule watch
MONITOR_INPUTS = ("data.eval_splits", "scheduler", "model.scheduler_monitor", "callbacks")


def check_monitors(cfg: DictConfig, searched: Collection[str] = ()) -> None:
    """Metric names that callbacks and ``scheduler=plateau`` watch are metrics the run logs.

    Checked for the project's :class:`~trainlab.models.classifier.MLPClassifier` only (a module of your own logs
    metrics this cannot know), and without callbacks that may log metrics of their own
    (:func:`metric_logging_callbacks`). A plateau schedule steps right after the validation, so it must watch a
    validation metric of a split in ``data.eval_splits``. ``searched``: keys a search gives each trial (``cfg``
    holds their configured values) - a searched ``model.weight_decay`` counts as > 0, and a search of what decides
    the logged or watched names (the splits, the schedule, a monitor) leaves the check to each trial.
    """
    if OmegaConf.select(cfg, "model._target_") != CLASSIFIER:
        return
    if any(is_under(key, MONITOR_INPUTS) for key in searched):
        return
    splits = list(OmegaConf.select(cfg, "data.eval_splits") or ["val"])
    scheduler = OmegaConf.select(cfg, "scheduler._target_") or ""
    monitor = OmegaConf.select(cfg, "model.scheduler_monitor")
    validated = validation_metric_names(splits)
    if scheduler.endswith("ReduceLROnPlateau") and monitor is not None and monitor not in validated:
        raise ConfigError(
            f"model.scheduler_monitor={typed(monitor)} is not computed with data.eval_splits={splits} "
            f"(scheduler=plateau needs it after every validation); allowed: one of {', '.join(validated)}"
        )
    decay = 1.0 if "model.weight_decay" in searched else OmegaConf.select(cfg, "model.weight_decay") or 0.0
    logged = epoch_metric_names(splits, decay, bool(scheduler))
    for name, entry in (cfg.get("callbacks") or {}).items():
        watched = entry.get("monitor") if isinstance(entry, DictConfig) else None
        if watched is not None and watched not in logged and not metric_logging_callbacks(cfg):
            raise ConfigError(f"callbacks.{name}.monitor={typed(watched)} is not a metric this run logs; "
                              f"allowed: one of {', '.join(logged)}")


#: what a ``mode`` counts as better
MODE_KEEPS = {"max": "a higher", "min": "a lower"}
MODE_OF = {"maximize": "max", "minimize": "min"}
#: the callback classes (by class name) whose ``mode`` defaults to min when their config leaves it out
MODE_DEFAULTS_TO_MIN = ("EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau")


def direction_error(mode_key: str, mode: Any, monitor_key: str, metric: str, default: str = "") -> ConfigError | None:
    """The error for ``mode`` against the way ``metric`` is best (:func:`natural_direction`: a loss is minimised, an
    accuracy maximised; None for a name of unknown direction, or a mode that fits)."""
    wanted = MODE_OF.get(natural_direction(metric) or "")
    if wanted is None or mode not in MODE_KEEPS or mode == wanted:
        return None
    what = "a loss (lower is better)" if wanted == "min" else "an accuracy (higher is better)"
    # the same split's other metric (val/loss <-> val/acc, eval/train_loss <-> eval/train_acc)
    mine, other = ("loss", "acc") if wanted == "min" else ("acc", "loss")
    swapped = metric[:-len(mine)] + other if metric.endswith(mine) else None
    aim = "maximise" if wanted == "min" else "minimise"
    if swapped in validation_metric_names(list(EVAL_SPLITS)):
        way_out = f"{monitor_key}={swapped} to {aim} with {mode_key}={mode}"
    else:
        way_out = f"a metric to {aim} as {monitor_key}"
    return ConfigError(f"{mode_key}={mode}{default} counts {MODE_KEEPS[mode]} {metric} as better, and {metric} is "
                       f"{what}; allowed: {mode_key}={wanted}, or {way_out}")


def check_monitor_directions(cfg: DictConfig, searched: Collection[str] = ()) -> None:
    """The ``mode`` of a callback that watches a metric (``callbacks.<name>.monitor``: early stopping, the best
    checkpoints) and of ``scheduler=plateau`` (``model.scheduler_monitor``) is the way that metric is best, where its
    name says it (a loss is minimised, an accuracy maximised; another name is the user's call): ``mode=max`` on
    ``val/loss`` stopped a run whose loss kept falling after ``patience`` epochs, kept its worst epoch as the best
    checkpoint, and a plateau schedule on ``val/acc`` with its default ``mode: min`` cut the learning rate while the
    accuracy rose - all without a word. A mode the config leaves out is the class's default, min. ``searched``: a
    search of the monitors or modes leaves the check to each trial."""
    if any(is_under(key, MONITOR_INPUTS) for key in searched):
        return
    watching = [(entry, f"callbacks.{name}.mode", f"callbacks.{name}.monitor", entry.monitor)
                for name, entry in (cfg.get("callbacks") or {}).items()
                if isinstance(entry, DictConfig) and isinstance(entry.get("monitor"), str)]
    monitor = OmegaConf.select(cfg, "model.scheduler_monitor", default=None)
    if str(OmegaConf.select(cfg, "scheduler._target_") or "").endswith("ReduceLROnPlateau") and isinstance(monitor,
                                                                                                          str):
        watching.append((cfg.scheduler, "scheduler.mode", "model.scheduler_monitor", monitor))
    for node, mode_key, monitor_key, metric in watching:
        target = str(node.get("_target_") or "").rpartition(".")[2]
        if "mode" not in node and target not in MODE_DEFAULTS_TO_MIN:
            continue
        mode, default = (node.get("mode"), "") if "mode" in node else ("min", f" ({target}'s default)")
        error = direction_error(mode_key, mode, monitor_key, metric, default)
        if error is not None:
            raise error


def reported_metric_names(cfg: DictConfig, searched: Collection[str] = ()) -> list[str]:
    """The final metrics a run of the project's classifier reports (what ``optimized_metric`` can name): an
    epoch's metrics, the test's with ``test: true``, and ``status/diverged``. The weight-penalty metrics count when
    ``model.weight_decay`` is searched or > 0."""
    splits = list(OmegaConf.select(cfg, "data.eval_splits") or ["val"])
    decays = "model.weight_decay" in searched or (OmegaConf.select(cfg, "model.weight_decay") or 0.0) > 0
    names = epoch_metric_names(splits, 1.0 if decays else 0.0, bool(OmegaConf.select(cfg, "scheduler._target_")))
    return names + (["test/loss", "test/acc"] if cfg.get("test") else []) + ["status/diverged"]


def check_optimized_metric(cfg: DictConfig, searched: Collection[str] = (), jobs: str = "the trials report",
                           may_be_null: bool = True) -> None:
    """A search's (or a multirun job's) ``optimized_metric`` is a metric its trials (``jobs``) report - checked
    before any trial trains, where a misspelt name, or ``val/acc`` with ``data.eval_splits`` that has no ``val``,
    was found once the first job had trained (the project's classifier only, and a name no callback of the config
    may log: :func:`metric_logging_callbacks`). ``jobs``: who reports the metrics, with
    the verb ("the sweep's jobs report", "this run reports"). ``may_be_null=False`` for a search,
    which needs the value each trial returns: the way out is then a reported metric alone."""
    name = cfg.get("optimized_metric")
    if name is None or OmegaConf.select(cfg, "model._target_") != CLASSIFIER:
        return
    reported = reported_metric_names(cfg, searched)
    if name not in reported and not metric_logging_callbacks(cfg):  # else a callback may log it
        from trainlab.hydra_errors import did_you_mean

        null = ", or optimized_metric=null" if may_be_null else ""
        offered = [metric for metric in reported if not metric.startswith("status/")]  # bookkeeping: not offered
        # a misspelt name, not one another config reports (val/acc without val among data.eval_splits)
        every = epoch_metric_names(list(EVAL_SPLITS), 1.0, has_scheduler=True) + ["test/loss", "test/acc"]
        close = "" if name in every else did_you_mean(str(name), offered)
        raise ConfigError(f"optimized_metric={typed(name)} is not a metric {jobs}; allowed: one of "
                          f"{', '.join(offered)}{null}{close}")


def check_interpolations_name_keys(node: Any, path: str = "") -> None:
    """Refuse an interpolation that cannot resolve: it names a key the config does not have (``init.std=${.nowhere}``)
    or its resolver fails (``${oc.env:UNSET}``). The check of its value raised OmegaConf's error from inside the
    preflight, which Hydra turned into a warning - the run directory was made, and the run ended with the traceback
    (exit status 1). Hydra's own (``${hydra:...}``) and one that points at a value still missing (``???``) are left
    to resolve where they are used."""
    from omegaconf.errors import InterpolationResolutionError, InterpolationToMissingValueError

    keys = list(node.keys()) if isinstance(node, DictConfig) else range(len(node))  # not resolved: by key
    for key in keys:
        name = f"{path}.{key}" if path and isinstance(node, DictConfig) else (f"{path}[{key}]" if path else str(key))
        if path == "" and key == "hydra":
            continue
        child = node._get_node(key)
        if child is None:
            continue
        if not child._is_interpolation():
            if isinstance(child, (DictConfig, ListConfig)) and not child._is_none() and not child._is_missing():
                check_interpolations_name_keys(child, name)
            continue
        if "${hydra:" in str(child._value()):
            continue
        try:
            child._dereference_node()
        except InterpolationToMissingValueError:
            continue
        except InterpolationResolutionError as error:
            raise ConfigError(f"{name}={child._value()}: {str(error).splitlines()[0]}; allowed: an interpolation "
                              "that resolves (of a key the config has: ${model.weight_decay}, ${.lr}; of an "
                              "environment variable that is set), or a value") from None
        except Exception:  # noqa: BLE001, S112 - another resolution error: left to where the value is used
            continue


def validate_config(cfg: DictConfig, machine: bool = True, searched: Collection[str] = (),
                    keys: bool = True) -> None:
    """Raise :class:`ConfigError` for the first problem found (see the module docstring). ``machine=False`` leaves
    out the checks of this machine (its GPU, the data in ``data.data_dir``): for a config whose jobs may train
    elsewhere. ``searched``: the keys a search gives each trial (:func:`check_monitors`). ``keys=False`` leaves out
    each group's keys against its target's arguments (:func:`check_keys`), the one check that imports the targets'
    modules (torch, Lightning: seconds) - for a process that trains nothing itself."""
    unknown = sorted(set(cfg) - TOP_LEVEL_KEYS)
    if unknown:
        # a config file's header that put its keys there (# @package _globl_): that file and its header
        header_line = package_header_message(unknown[0], sorted(TOP_LEVEL_KEYS))
        if header_line is not None:
            raise ConfigError(header_line)
        # an experiment config without `# @package _global_` puts its keys under `experiment`
        header = ("; an experiment config needs '# @package _global_' as its first line" if unknown[0] == "experiment"
                  else "")
        raise ConfigError(f"{unknown[0]}: unknown top-level key; allowed: {', '.join(sorted(TOP_LEVEL_KEYS))}{header}")
    check_group_shapes(cfg)  # optimizer: [1, 2] - before the checks that read the group's keys
    check_interpolations_name_keys(cfg)
    check_values(cfg)
    check_callback_values(cfg)
    check_devices_fit_the_accelerator(cfg, machine)
    check_groups_name_a_class(cfg)
    check_entries_name_a_class(cfg)
    check_model_fits_data(cfg)
    check_running_stats_fit_the_batch_norm(cfg)
    if machine:
        check_accelerator_present(cfg)
    check_monitors(cfg, searched)
    check_monitor_directions(cfg, searched)
    if OmegaConf.select(cfg, "model._target_") == CLASSIFIER:  # its parameter groups carry model.weight_decay
        check_optimizer_key(cfg)
    if keys:  # an optimizer's yaml in conf/scheduler/ or conf/init/, a schedule's in conf/optimizer/
        check_options_in_their_groups(cfg)
    if keys and OmegaConf.select(cfg, "model._target_") == CLASSIFIER:  # no optimizer: its arguments are not asked
        check_optimizer_target_class(cfg)
    if keys:
        check_init_target(cfg, classifier=OmegaConf.select(cfg, "model._target_") == CLASSIFIER)
    for group in OPTION_KEYS:
        if keys and cfg.get(group) is not None:
            check_keys(cfg[group], group)
    if keys:  # '~optimizer.lr': the class's default, which no record of the run holds
        check_no_value_deleted(cfg)
    if keys and OmegaConf.select(cfg, "model._target_") == CLASSIFIER:
        check_step_without_closure(cfg)
        check_first_step(cfg)
        check_initializer(cfg)  # as the classifier calls it: found before any job of a sweep trains
    if machine:
        check_data_available(cfg)
