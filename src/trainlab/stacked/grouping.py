"""Which jobs of a sweep can train as one stacked model, and why a job runs alone.

Two jobs *stack* when their composed configs are equal once the **stackable keys** are taken out:

* ``seed`` (each member is built with its own seed), ``init`` (the initializer and its arguments),
* ``optimizer`` (the class and every argument: each member keeps its own; members with the same class step
  together with per-member hyper-parameters, see :mod:`~trainlab.stacked.stacked_optimizer`),
* ``model.weight_decay`` (λ per member) and ``model.net.dropout`` (a drop probability per member),
* ``objective_on_failure``.

Everything else - architecture (hidden sizes, activation, BatchNorm kind), data (source, sizes, batch size,
data seed), budgets (epochs, steps), validation schedule, precision, device, loggers and callbacks - is the
*group key*: a difference starts a new group. A group larger than ``max_members`` is cut into stacks of at most
that many.

A job **runs alone** (exactly as the basic launcher runs it) when its config uses something the stack does not
do; :func:`why_alone` names the key. The stack supports the default callbacks (``last.ckpt`` every epoch, the
divergence guard, the interrupt handler, the random-state checkpointing, the progress bar) and any logger.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf

from trainlab.distributed.process_world import device_count

STACKABLE_KEYS = ("seed", "init", "optimizer", "model.weight_decay", "model.net.dropout", "objective_on_failure")
MODEL = "trainlab.models.classifier.MLPClassifier"
NETWORK = "trainlab.models.mlp.MLP"
DATA = "trainlab.data.mnist_datamodule.MNISTDataModule"


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


def _checkpoint_role(entry: DictConfig) -> str | None:
    """``inert`` (saves nothing), ``last`` (last.ckpt every N epochs), or None (keeps best epochs: not stackable)."""
    if entry.get("save_top_k", 1) == 0 and not entry.get("save_last"):
        return "inert"
    if (entry.get("monitor") is None and entry.get("filename") == "last" and entry.get("save_top_k", 1) in (1, -1)
            and not entry.get("every_n_train_steps") and entry.get("train_time_interval") is None
            and not entry.get("save_last")):
        return "last"
    return None


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
            role = _checkpoint_role(entry)
            if role is None:
                return None, (f"callbacks.{name} keeps the best epochs by a metric (save_top_k="
                              f"{entry.get('save_top_k')}, monitor={entry.get('monitor')})")
            if role == "last" and with_paths:
                plan["last_checkpoint"] = (Path(entry.dirpath) / "last.ckpt", int(entry.get("every_n_epochs") or 1))
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
    checks = [
        (cfg.model.get("_target_") != MODEL, f"model._target_={cfg.model.get('_target_')} is not {MODEL}"),
        (cfg.model.get("net", {}).get("_target_") != NETWORK, f"model.net._target_ is not {NETWORK}"),
        (cfg.data.get("_target_") != DATA, f"data._target_={cfg.data.get('_target_')} is not {DATA}"),
        (cfg.get("ckpt_path") is not None, f"ckpt_path={cfg.get('ckpt_path')} resumes one run"),
        (cfg.get("scheduler") is not None, "scheduler: learning-rate schedules are not stacked"),
        (bool(cfg.get("compile", {}).get("enabled")), "compile.enabled=true"),
        (trainer.get("gradient_clip_val") is not None, "trainer.gradient_clip_val clips each run's own gradients"),
        (trainer.get("accumulate_grad_batches", 1) != 1, "trainer.accumulate_grad_batches"),
        (bool(trainer.get("fast_dev_run")), "trainer.fast_dev_run"),
        (not one_device(trainer.get("devices", 1)), f"trainer.devices={trainer.get('devices')}"),
        (trainer.get("strategy", "auto") not in ("auto", None), f"trainer.strategy={trainer.get('strategy')}"),
    ]
    for failed, reason in checks:
        if failed:
            return reason
    return callback_plan(cfg, with_paths=False)[1]


def group_key(cfg: DictConfig) -> str:
    """The config with the stackable keys taken out (unresolved: per-job paths are interpolations)."""
    container = OmegaConf.to_container(cfg, resolve=False)
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
    """Members with one optimizer class sit next to each other in a stack (they step as one block)."""
    optimizer = cfg.get("optimizer") or {}
    return (str(optimizer.get("_target_")), bool(optimizer.get("foreach", True)), bool(optimizer.get("compile")))


def plan_stacks(cfgs: list[DictConfig], max_members: int) -> tuple[list[list[int]], dict[int, str]]:
    """Cut jobs into stacks: lists of job indices (in order of first appearance; one-job lists run alone), and
    for each job that must run alone the reason."""
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
            key = group_key(cfg)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(index)
    stacks = []
    for key in order:
        members = sorted(groups[key], key=lambda index: optimizer_order(cfgs[index]))
        stacks += [members[start:start + max_members] for start in range(0, len(members), max_members)]
    return stacks, alone
