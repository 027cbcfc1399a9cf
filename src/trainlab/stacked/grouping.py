"""Which jobs of a sweep can train as one stacked model, and why a job runs alone.

Two jobs *stack* when their composed configs are equal once the **stackable keys** are taken out:

* ``seed`` (each member is built with its own seed), ``init`` (the initializer and its arguments),
* ``optimizer`` (the class and every argument: each member keeps its own; members with the same class step
  together with per-member hyper-parameters, see :mod:`~trainlab.stacked.stacked_optimizer`),
* ``model.weight_decay`` (λ per member) and ``model.net.dropout`` (a drop probability per member),
* ``objective_on_failure``.

Everything else - architecture (hidden sizes, activation, BatchNorm kind), data (source, sizes, batch size, data
seed), budgets (epochs, steps; a wall-clock ``trainer.max_time`` runs alone), validation schedule, precision,
device, loggers and callbacks - is the *group key*: a difference starts a new group. A group larger than
``max_members`` is cut into stacks of at most that many. The settings the members share count with the values they
resolve to in each job (``data.seed: ${seed}`` differs between ``seed=1`` and ``seed=2``); those each member builds
for itself (``paths``, ``logger``, checkpoint folders) are compared as written, as their per-job ``${hydra:...}``
paths cannot resolve before the jobs run. A shared setting that takes a value from the job's Hydra context
(``${hydra:job.num}``, directly or through other keys) runs alone.

A job **runs alone** (exactly as the basic launcher runs it) when its config uses something the stack does not
do; :func:`why_alone` names the key. The stack supports the default callbacks (``last.ckpt`` every epoch, the
divergence guard, the interrupt handler, the random-state checkpointing, the progress bar) and any logger. It saves
``last.ckpt`` at the end of a training epoch, as the default callback does; a ``ModelCheckpoint`` that Lightning
would save after validation instead, or also when an exception stops the run, runs alone. So does fp16 mixed
precision: one ``GradScaler`` for the whole stack would let one member's overflow skip every member's step, and
``trainer.max_time``: a lone run has its wall-clock budget to itself, a stack's members would share one.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.utils import get_class
from omegaconf import DictConfig, ListConfig, OmegaConf, grammar_parser
from omegaconf.grammar.gen.OmegaConfGrammarParser import OmegaConfGrammarParser

from trainlab.config_keys import flatten
from trainlab.distributed.process_world import device_count
from trainlab.errors import ConfigError
from trainlab.own_targets import CLASSIFIER, MNIST_DATAMODULE, NETWORK

STACKABLE_KEYS = ("seed", "init", "optimizer", "model.weight_decay", "model.net.dropout", "objective_on_failure")
# Lightning's precisions that scale the loss with a GradScaler (fp16 AMP; "16" and 16 are its old names). A stack has
# one scaler for all members: one member's inf/NaN gradient skips every member's step and shrinks everyone's scale.
GRAD_SCALER_PRECISIONS = ("16-mixed", "16")
AFTER_VALIDATION = "Lightning saves it after validation, the stack at the end of the training epoch"


@dataclass(frozen=True)
class CallbackPlan:
    """What the members' callbacks ask of a stack (equal for all members of a group)."""

    last_checkpoint: tuple[Path, int] | None = None  # checkpoints/last.ckpt and its every_n_epochs
    shutdown_checkpoint: Path | None = None  # where an interrupt saves (the interrupt handler is configured)
    divergence_check_every: int | None = None  # the divergence guard's interval (None: no guard)
    random_state: bool = False  # random generators' state in the checkpoints
    progress_bar: DictConfig | None = None  # the progress bar's config


@functools.cache
def _is(target: str, class_path: str) -> bool:
    """Whether ``target`` names the class ``class_path`` (or a subclass of it).

    Remembered: locating a class by its dotted path tries imports along the way (~10 ms), and grouping asks it for
    every callback of every job of a sweep - as long as the training itself for a stack of small members."""
    try:
        return issubclass(get_class(target), get_class(class_path))
    except Exception:  # noqa: BLE001 - an unknown target is simply not that class; instantiation reports it
        return False


def _triggers(entry: DictConfig) -> tuple[int, int, Any]:
    """``(every_n_train_steps, every_n_epochs, train_time_interval)`` as Lightning's ModelCheckpoint sets them: no
    trigger at all means every epoch; once any is given, an unset count is 0 (never)."""
    steps, epochs = entry.get("every_n_train_steps"), entry.get("every_n_epochs")
    interval = entry.get("train_time_interval")
    if steps is None and epochs is None and interval is None:
        return 0, 1, None
    return steps or 0, epochs or 0, interval


def checkpoint_role(name: str, entry: DictConfig) -> tuple[str | None, str | None]:
    """``("inert", None)`` (saves nothing), ``("last", None)`` (last.ckpt every N epochs), or ``(None, why the job
    runs alone)``, the reason naming the key of ``callbacks.<name>`` that makes the callback save what the stack
    does not (its own ``save_last``, a step or time trigger, the best epochs by a metric, other file names)."""
    steps, epochs, interval = _triggers(entry)
    save_last, top_k, monitor = entry.get("save_last"), entry.get("save_top_k", 1), entry.get("monitor")
    if not save_last and (top_k == 0 or (steps, epochs, interval) == (0, 0, None)):
        return "inert", None  # (every_n_epochs=0 and no other trigger: Lightning never saves, at epoch ends or else)
    if save_last:
        shown = str(save_last).lower() if isinstance(save_last, bool) else save_last
        return None, (f"callbacks.{name}.save_last={shown}: Lightning's own last.ckpt is not stacked (the stack "
                      "keeps last.ckpt as callbacks.last_checkpoint does: filename last, save_top_k 1, no monitor)")
    if interval is not None:
        return None, (f"callbacks.{name}.train_time_interval={interval}: a checkpoint by wall-clock time; the stack "
                      "saves at the end of a training epoch")
    if steps:
        return None, (f"callbacks.{name}.every_n_train_steps={steps}: a checkpoint within the epoch; the stack saves "
                      "at the end of a training epoch")
    if monitor is not None or top_k not in (1, -1):
        return None, f"callbacks.{name} keeps the best epochs by a metric (save_top_k={top_k}, monitor={monitor})"
    if entry.get("filename") != "last":
        return None, (f"callbacks.{name}.filename={entry.get('filename')}: the stack saves only "
                      "checkpoints/last.ckpt")
    return "last", None


def _saved_after_validation(name: str, entry: DictConfig, trainer: DictConfig) -> str | None:
    """Why Lightning would save this ``last`` checkpoint after validation rather than at the end of the training
    epoch, where the stack saves it (ModelCheckpoint._should_save_on_train_epoch_end), or None."""
    setting = entry.get("save_on_train_epoch_end")
    if setting is not None:
        return None if setting else f"callbacks.{name}.save_on_train_epoch_end=false: {AFTER_VALIDATION}"
    check_val, interval = trainer.get("check_val_every_n_epoch", 1), trainer.get("val_check_interval")
    time_based = interval is not None and (isinstance(interval, bool) or not isinstance(interval, (int, float)))
    if time_based:
        cause = f"trainer.val_check_interval={interval}"
    elif check_val != 1:
        cause = f"trainer.check_val_every_n_epoch={'null' if check_val is None else check_val}"
    elif trainer.get("limit_val_batches") == 0:
        return None  # no validation: Lightning saves at the end of the training epoch
    elif interval is not None and interval != 1.0:
        cause = f"trainer.val_check_interval={interval}"
    else:
        return None
    return f"callbacks.{name}.save_on_train_epoch_end=null with {cause}: {AFTER_VALIDATION}"


def callback_plan(cfg: DictConfig, with_paths: bool = True) -> tuple[CallbackPlan | None, str | None]:
    """The members' callbacks as a :class:`CallbackPlan`, or (None, why the job must run alone).

    ``with_paths=False`` leaves the checkpoint files out (their directories resolve only in the job's own context).
    """
    plan: dict[str, Any] = {}
    for name, entry in (cfg.get("callbacks") or {}).items():
        if entry is None:
            continue
        target = entry.get("_target_", "")
        if _is(target, "lightning.pytorch.callbacks.ModelCheckpoint"):
            if entry.get("save_on_exception"):
                return None, (f"callbacks.{name}.save_on_exception=true: the stack saves no checkpoint when an "
                              "exception stops it")
            role, reason = checkpoint_role(name, entry)
            if role is None:
                return None, reason
            if role == "last":
                after_validation = _saved_after_validation(name, entry, cfg.trainer)
                if after_validation is not None:
                    return None, after_validation
                if with_paths:
                    plan["last_checkpoint"] = (Path(entry.dirpath) / "last.ckpt", _triggers(entry)[1])
        elif _is(target, "trainlab.callbacks.divergence_guard.DivergenceGuard"):
            plan["divergence_check_every"] = entry.get("check_every_n_steps") or max(
                1, int(cfg.trainer.get("log_every_n_steps", 50)))
        elif _is(target, "trainlab.callbacks.graceful_shutdown.GracefulShutdown"):
            if with_paths:
                plan["shutdown_checkpoint"] = Path(entry.dirpath) / "last.ckpt"
        elif _is(target, "trainlab.callbacks.rng_state.RNGStateInCheckpoint"):
            plan["random_state"] = True
        elif _is(target, "lightning.pytorch.callbacks.ProgressBar"):
            if cfg.trainer.get("enable_progress_bar", True):
                plan["progress_bar"] = entry
        else:
            return None, f"callbacks.{name} ({target}) is not stackable"
    return CallbackPlan(**plan), None


# Lightning's own words when a Trainer gets ``enable_checkpointing=False`` and a checkpoint callback
# (lightning.pytorch.trainer.connectors.callback_connector._configure_checkpoint_callbacks)
CHECKPOINTING_OFF_WITH_CALLBACK = ("Trainer was configured with `enable_checkpointing=False` but found "
                                   "`ModelCheckpoint` in callbacks list.")


def check_checkpointing_switch(cfg: DictConfig) -> None:
    """Refuse ``trainer.enable_checkpointing=false`` beside a checkpoint callback (the default ``model_checkpoint``
    and ``last_checkpoint``) in the words a lone run's Trainer refuses it with (``trainer.enable_checkpointing=false
    is invalid; lightning.pytorch.trainer.Trainer raised MisconfigurationException: ...``). The stack's Trainer keeps
    checkpointing on for its own :class:`~trainlab.stacked.member_outputs.MemberOutputs`, so it would not refuse
    it: the members trained and wrote ``last.ckpt`` where their lone runs stop with exit status 2. Without a
    checkpoint callback (``callbacks=none``) the switch is fine: the members write no checkpoint, as alone."""
    if cfg.trainer.get("enable_checkpointing") is not False:
        return
    entries = (cfg.get("callbacks") or {}).values()
    if any(entry is not None and _is(entry.get("_target_", ""), "lightning.pytorch.callbacks.Checkpoint")
           for entry in entries):
        from lightning.fabric.utilities.exceptions import MisconfigurationException

        from trainlab.config_instantiation import config_error

        raise config_error(MisconfigurationException(CHECKPOINTING_OFF_WITH_CALLBACK), cfg.trainer, "trainer")


def one_device(devices: Any) -> bool:
    """``1`` or ``[i]``: the stack trains on one device (a value that is no count at all runs alone, and the
    training task's config check names it)."""
    try:
        return device_count(devices) == 1
    except (TypeError, ValueError):
        return False


def why_alone(cfg: DictConfig) -> str | None:
    """Why this job cannot share a stacked model (naming the key), or None when it can."""
    trainer = cfg.trainer
    hydra_context = from_hydra_context(cfg)
    checks = [
        (cfg.model.get("_target_") != CLASSIFIER, f"model._target_={cfg.model.get('_target_')} is not {CLASSIFIER}"),
        (cfg.model.get("net", {}).get("_target_") != NETWORK, f"model.net._target_ is not {NETWORK}"),
        (cfg.data.get("_target_") != MNIST_DATAMODULE,
         f"data._target_={cfg.data.get('_target_')} is not {MNIST_DATAMODULE}"),
        (cfg.get("ckpt_path") is not None, f"ckpt_path={cfg.get('ckpt_path')} resumes one run"),
        (cfg.get("scheduler") is not None, "scheduler: learning-rate schedules are not stacked"),
        (bool(cfg.get("compile", {}).get("enabled")), "compile.enabled=true"),
        (trainer.get("gradient_clip_val") not in (None, 0),  # 0 clips nothing (Lightning's rule), as null
         "trainer.gradient_clip_val clips each run's own gradients"),
        (trainer.get("accumulate_grad_batches", 1) != 1, "trainer.accumulate_grad_batches"),
        (trainer.get("max_time") is not None, f"trainer.max_time={trainer.get('max_time')}: a wall-clock budget is "
         "each lone run's own; a stack's members would share one (and stop at other steps)"),
        (bool(trainer.get("fast_dev_run")), "trainer.fast_dev_run"),
        (not one_device(trainer.get("devices", 1)), f"trainer.devices={trainer.get('devices')}"),
        ((trainer.get("num_nodes") or 1) != 1, f"trainer.num_nodes={trainer.get('num_nodes')}: a stack trains in one "
         "process"),
        (trainer.get("strategy", "auto") not in ("auto", None), f"trainer.strategy={trainer.get('strategy')}"),
        (hydra_context is not None, hydra_context),
        (str(trainer.get("precision")) in GRAD_SCALER_PRECISIONS,
         f"trainer.precision={trainer.get('precision')}: fp16 AMP scales the loss with one GradScaler for the whole "
         "stack; one member's inf/NaN gradient would skip every member's step and shrink the scale for all "
         "(bf16-mixed needs no scaler)"),
    ]
    for failed, reason in checks:
        if failed:
            return reason
    return callback_plan(cfg, with_paths=False)[1] or optimizer_problem(cfg)


def optimizer_problem(cfg: DictConfig) -> str | None:
    """Why the job's optimizer cannot step stacked members as their lone runs (tried on tiny tensors:
    :mod:`~trainlab.stacked.optimizer_probe`), or None. An optimizer that cannot even be built is the job's to
    report, as a lone run reports it."""
    from hydra.utils import instantiate

    from trainlab.config_instantiation import plain_arguments
    from trainlab.stacked.optimizer_probe import stacking_problem

    try:
        factory = instantiate(cfg.optimizer, **plain_arguments("optimizer", cfg.optimizer))  # as the run builds it
    except Exception:  # noqa: BLE001 - the job reports it when it builds the optimizer
        return None
    return stacking_problem(factory, float(cfg.model.get("weight_decay") or 0.0))


# Settings each member builds for itself (its directories, loggers, checkpoint folders): compared as written. Every
# other setting is the members' shared one (the stack trains with the first member's data, trainer, callbacks).
PER_MEMBER_KEYS = ("paths", "logger", "task_name")
PER_MEMBER_LEAVES = ("dirpath", "save_dir", "default_root_dir")
_UNSET = object()


@dataclass(frozen=True)
class Interpolation:
    """What an interpolated value uses: whether it calls Hydra's resolver (a value of the job's own Hydra context,
    ``${hydra:job.num}``), and the keys it interpolates as written inside ``${...}`` (``"paths.x"``, ``"..seed"``; a
    key built from another, ``${r.${s}}``, is left out)."""

    calls_hydra: bool
    keys: tuple[str, ...]


@functools.lru_cache(maxsize=4096)
def interpolation(value: str) -> Interpolation | None:
    """``value``'s :class:`Interpolation` (of keys, ``${seed}``, ``${ model.net }``; through resolvers,
    ``${oc.select:seed,0}``), or None for plain text and invalid interpolations (compared as written). Remembered:
    a sweep's jobs hold the same few strings."""
    if "${" not in value:
        return None
    try:
        pending = [grammar_parser.parse(value)]
    except Exception:  # noqa: BLE001 - not a valid interpolation: compared as written
        return None
    calls_hydra, found, keys = False, False, []
    while pending:
        node = pending.pop()
        if isinstance(node, OmegaConfGrammarParser.InterpolationResolverContext):
            found = True
            calls_hydra = calls_hydra or node.resolverName().getText().strip() == "hydra"
        elif isinstance(node, OmegaConfGrammarParser.InterpolationNodeContext):
            found = True
            key = node.getText()[2:-1].strip()
            if "${" not in key:
                keys.append(key)
        pending.extend(node.getChildren() if hasattr(node, "getChildren") else ())
    return Interpolation(calls_hydra, tuple(keys)) if found else None


def shared_interpolations(container: dict) -> list[tuple[tuple[Any, ...], str]]:
    """The interpolated values of the settings the members share, as (path, value), in ``container`` (a job's
    config as ``to_container(resolve=False)``)."""
    found = []
    pending: list[tuple[tuple[Any, ...], Any]] = [((key,), value) for key, value in container.items()
                                                  if key not in ("hydra", *PER_MEMBER_KEYS)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, dict):
            pending += [((*path, key), item) for key, item in value.items() if key not in PER_MEMBER_LEAVES]
        elif isinstance(value, list):
            pending += [((*path, index), item) for index, item in enumerate(value)]
        elif isinstance(value, str) and interpolation(value) is not None:
            found.append((path, value))
    return found


def _value_at(container: dict, reference: str, node: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any] | None:
    """The (path, raw value) that ``reference`` names for a value of the node at ``node`` (``.b``: same node,
    ``..a``: one node up), or None when there is none."""
    dots = len(reference) - len(reference.lstrip("."))
    path: tuple[Any, ...] = (*(node[:len(node) - (dots - 1)] if dots else ()), *reference[dots:].split("."))
    value: Any = container
    for index, key in enumerate(path):
        if isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value, path = value[int(key)], (*path[:index], int(key), *path[index + 1:])
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return None
    return path, value


def reaches_hydra_context(container: dict, path: tuple[Any, ...], value: str, depth: int = 0) -> bool:
    """Whether ``value`` (at ``path``) calls Hydra's resolver, itself or through the keys it interpolates."""
    used = interpolation(value)
    if used is None or depth > 16:  # (a cycle: OmegaConf reports it when the job resolves its config)
        return False
    if used.calls_hydra:
        return True
    for reference in used.keys:
        found = _value_at(container, reference, path[:-1])
        if found is not None and isinstance(found[1], str) and reaches_hydra_context(container, *found, depth + 1):
            return True
    return False


def from_hydra_context(cfg: DictConfig) -> str | None:
    """A shared setting that takes a value from the job's Hydra context (``data.seed: ${hydra:job.num}``, directly
    or through other keys), which differs between jobs and cannot be resolved before they run: why such a job runs
    alone, or None."""
    container = OmegaConf.to_container(cfg, resolve=False)
    for path, value in shared_interpolations(container):
        if reaches_hydra_context(container, path, value):
            return (f"{'.'.join(map(str, path))}={value} is a value of the job's own Hydra context, in a setting the "
                    "members of a stack share")
    return None


def group_key(cfg: DictConfig) -> str:
    """The config with the stackable keys taken out: the settings the members share as they resolve in this job
    (``data.seed: ${seed}`` differs between seeds), the per-member ones (paths, loggers, checkpoint folders) as
    written. A value that cannot be resolved here stays as written."""
    container = OmegaConf.to_container(cfg, resolve=False)
    for path, _ in shared_interpolations(container):
        try:
            resolved = OmegaConf.select(cfg, ".".join(map(str, path)), default=_UNSET,
                                        throw_on_resolution_failure=True)
            if isinstance(resolved, DictConfig | ListConfig):
                resolved = OmegaConf.to_container(resolved, resolve=True)
        except Exception:  # noqa: BLE001 - compared as written (the job's own run reports a real error)
            continue
        if resolved is not _UNSET:
            parent = container
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = resolved
    container.pop("hydra", None)
    for dotted in STACKABLE_KEYS:
        *parents, leaf = dotted.split(".")
        node = container
        for parent in parents:
            node = node.get(parent) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(leaf, None)
    return json.dumps(container, sort_keys=True, default=str)


def optimizer_order(cfg: DictConfig) -> tuple:
    """Members with one optimizer class and the same settings that are not numbers (its execution path, a flag or a
    mode name of a class of one's own) sit next to each other in a stack: they step as one block
    (:func:`~trainlab.stacked.stacked_optimizer.block_key`). Settings are compared as written."""
    from trainlab.stacked.stacked_optimizer import per_member_value

    optimizer = cfg.get("optimizer") or {}
    written = OmegaConf.to_container(optimizer, resolve=False) if isinstance(optimizer, DictConfig) else {}
    settings = tuple(sorted((str(key), repr(value)) for key, value in written.items()
                            if key not in ("_target_", "foreach", "compile") and not per_member_value(value)))
    return (str(optimizer.get("_target_")), bool(optimizer.get("foreach", True)), bool(optimizer.get("compile")),
            settings)


def plan_stacks(cfgs: list[DictConfig], max_members: int,
                apart_by: list[str] | None = None) -> tuple[list[list[int]], dict[int, str]]:
    """Cut jobs into stacks: lists of job indices (one-job lists run alone), and for each job that must run alone
    the reason. Jobs whose ``apart_by`` entries differ never share a stack (the launcher's: each job's
    ``hydra.job.env_set``, which is not in ``cfgs``). A group's members are ordered by optimizer (a block of one
    class steps as one) before ``max_members`` cuts it, and each stack keeps that order; the stacks run in the order
    of their first jobs, as the sweep numbers them (job 0's stack first)."""
    if max_members < 1:
        raise ValueError(f"max_members={max_members} must be >= 1")
    alone: dict[int, str] = {}
    groups: dict[str, list[int]] = {}
    order: list[str] = []
    for index, cfg in enumerate(cfgs):
        reason = why_alone(cfg)
        if reason is not None:
            alone[index] = reason
            key = f"alone-{index}"
        else:
            key = group_key(cfg) if apart_by is None else f"{group_key(cfg)}|{apart_by[index]}"
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(index)
    stacks = []
    for key in order:
        members = sorted(groups[key], key=lambda index: optimizer_order(cfgs[index]))
        stacks += [members[start:start + max_members] for start in range(0, len(members), max_members)]
    return sorted(stacks, key=min), alone


#: how a job that cannot be stacked trains after all, said by the strict refusal
STRICT_ALLOWED = ("allowed: hydra.launcher.strict=false (such a job trains alone, in the stack's process), or a "
                  "config without what keeps it from stacking")


def plan_batch(cfgs: list[DictConfig], max_members: int, apart_by: list[str], strict: bool,
               job_numbers: list[int]) -> tuple[list[list[int]], dict[int, str]]:
    """The stacked launcher's plan of a batch of jobs: :func:`plan_stacks`' stacks, and why each job that runs
    alone does (:func:`plan_stacks`' reason, else :func:`no_partner_reasons`'). With ``strict`` (``hydra.launcher
    .strict=true``) a job that cannot be stacked is a config error naming it by ``job_numbers`` and the reason."""
    stacks, alone = plan_stacks(cfgs, max_members, apart_by=apart_by)
    if strict and alone:
        place, reason = next(iter(alone.items()))
        raise ConfigError(f"hydra.launcher.strict=true: job #{job_numbers[place]} cannot be stacked: {reason}; "
                          f"{STRICT_ALLOWED}")
    return stacks, {**no_partner_reasons(cfgs, stacks, alone, max_members, apart_by=apart_by), **alone}


def no_partner_reasons(cfgs: list[DictConfig], stacks: list[list[int]], alone: dict[int, str], max_members: int,
                       apart_by: list[str] | None = None) -> dict[int, str]:
    """Why each stackable job that :func:`plan_stacks` left in a stack of its own runs alone: ``max_members`` cut
    its group and it is the rest, its ``hydra.job.env_set`` keeps it apart, or the keys in which it differs from
    the closest other stackable job (``data.seed=1``, where the others' is 2)."""
    singles = [stack[0] for stack in stacks if len(stack) == 1 and stack[0] not in alone]
    if not singles:
        return {}
    keys = {index: group_key(cfg) for index, cfg in enumerate(cfgs) if index not in alone}
    settings = {index: dict(flatten(json.loads(key))) for index, key in keys.items()}

    def shown(values: dict[str, Any], key: str) -> str:
        return repr(values[key]) if key in values else "(absent)"

    reasons = {}
    for index in singles:
        same = [other for other in keys if other != index and keys[other] == keys[index]]
        together = [other for other in same if apart_by is None or apart_by[other] == apart_by[index]]
        if together:
            reasons[index] = (f"the other {len(together)} job{'s' if len(together) > 1 else ''} of its group filled "
                              f"stacks of hydra.launcher.max_members={max_members}")
            continue
        if same:
            reasons[index] = "its hydra.job.env_set differs from those of the jobs it would stack with"
            continue
        mine = settings[index]
        closest = closest_settings(mine, {other: settings[other] for other in keys if other != index})
        if closest is None:
            reasons[index] = "it is the only job of the batch that can be stacked"
            continue
        differing, other = closest
        listed = ", ".join(f"{key}={shown(mine, key)} (the closest other job: {shown(settings[other], key)})"
                           for key in differing[:SHOWN_KEYS])
        reasons[index] = f"no other job shares its {listed}{more_keys(differing)}"
    return reasons


#: the differing keys a log line names; the rest are counted (``and 2 more keys``)
SHOWN_KEYS = 3


def more_keys(differing: list[str]) -> str:
    """`` and N more keys`` for the keys past the :data:`SHOWN_KEYS` a line names, else ``""``."""
    return f" and {len(differing) - SHOWN_KEYS} more keys" if len(differing) > SHOWN_KEYS else ""


def closest_settings(mine: dict[str, Any], others: dict[int, dict[str, Any]]) -> tuple[list[str], int] | None:
    """The keys (sorted) in which the flattened group settings ``mine`` differ from the closest of ``others`` - the
    first of those that differ in the fewest keys - and which one that is; None where none differs."""
    found = [(sorted(key for key in mine.keys() | theirs.keys() if mine.get(key, _UNSET) != theirs.get(key, _UNSET)),
              other) for other, theirs in others.items()]
    found = [(differing, other) for differing, other in found if differing]
    return min(found, key=lambda item: len(item[0])) if found else None


def stack_notes(cfgs: list[DictConfig], stacks: list[list[int]], max_members: int, apart_by: list[str],
                job_numbers: list[int]) -> dict[int, str]:
    """For each stack of several members that runs after another such stack (by position in ``stacks``), why its
    members formed a stack of their own, said on its log line: ``hydra.launcher.max_members`` cut their group, their
    ``hydra.job.env_set`` differs, or the keys members share in which they differ from the closest earlier stack
    (``apart from #0,1 by model.net.hidden_sizes``) - at most three keys named. ``job_numbers``: each job's number in
    the sweep, by index of ``cfgs``."""
    keys = {position: group_key(cfgs[stack[0]]) for position, stack in enumerate(stacks) if len(stack) > 1}
    settings = {position: dict(flatten(json.loads(key))) for position, key in keys.items()}
    notes = {}
    for position in keys:
        earlier = [other for other in keys if other < position]
        if not earlier:
            continue
        if any(keys[other] == keys[position] for other in earlier):
            same_environment = any(keys[other] == keys[position] and apart_by[stacks[other][0]]
                                   == apart_by[stacks[position][0]] for other in earlier)
            notes[position] = (f"its group outgrew hydra.launcher.max_members={max_members}" if same_environment
                               else "its hydra.job.env_set differs from the earlier stack's of its group")
            continue
        differing, closest = closest_settings(settings[position], {other: settings[other] for other in earlier})
        named = ", ".join(differing[:SHOWN_KEYS]) + more_keys(differing)
        jobs = ",".join(str(number) for number in sorted(job_numbers[index] for index in stacks[closest]))
        notes[position] = f"apart from #{jobs} by {named}"
    return notes
