"""Can a run resume from this checkpoint file, or ``trainlab evaluate`` load it? If not, one line saying why.

:func:`check_checkpoint` goes through three questions, in order, and raises a
:class:`~trainlab.errors.CheckpointError` at the first ``no``:

1. **Is it a checkpoint?** A PyTorch archive that ``torch.load(weights_only=True)`` reads (tensors and plain values
   only: nothing in the file is executed) holding a Lightning checkpoint (``state_dict``,
   ``pytorch-lightning_version``). An empty, truncated or damaged file, another kind of file, a bare ``state_dict``
   or a pickled object are named as such (:func:`~trainlab.checkpoint_read.read_checkpoint`, torch alone).
2. **Did trainlab write it?** Its ``trainlab`` entry (:mod:`trainlab.callbacks.checkpoint_provenance`) says so; a
   checkpoint written before that entry existed must at least hold parameters of the composed model.
3. **Does it fit the composed config?**

   * The recorded config, where the checkpoint has one: for a resume, everything it records
     (:func:`~trainlab.callbacks.checkpoint_provenance.recorded_config`). ``model``, ``optimizer`` and
     ``scheduler``: a resumed run continues with the checkpoint's weights and optimizer and schedule state, their
     hyper-parameters (``lr``, ...) included, so a value changed in the config would be silently ignored or would
     not fit. ``init`` and ``seed``: they made the run's start, which a resume does not repeat - changed, the run's
     config would describe a start it never had. ``data.batch_size`` / ``train_size`` / ``val_size`` / ``seed``:
     the batches it trains and validates on - changed, the rest of the run would train on others than its start.
     ``optimizer.foreach`` / ``optimizer.compile`` only choose how the update is computed and stay the config's.
     ``data.source``: the images the checkpoint's run trained on (its recorded ``data_source``) - a config that
     names the other source is refused here; ``data.source=auto`` is decided by the datamodule when the run
     starts, and :func:`check_data_source` refuses it then if it chose otherwise.
     For ``trainlab evaluate``, ``model.net``: the network that computes the outputs.
   * The weights: the same parameter and buffer names and shapes as the composed model's.
   * For a resume, the optimizer and schedule state: as many optimizers and schedules, and parameter groups of
     the same sizes, as the composed model configures (``model.weight_decay > 0`` makes two groups), and for a
     ``BookOptimizer`` the state names its class starts each parameter with (:func:`check_state_names`).

   A mismatch names what differs - ``model.net.hidden_sizes [50] in the checkpoint, [100, 100, 100, 100] in the
   config`` - and the ways out: for config values, the command's overrides with the checkpoint's values in their
   place (:mod:`trainlab.resume_overrides`: its budget, ``trainer.max_epochs``, ..., kept), else the overrides the
   checkpoint was trained with; or ``trainlab evaluate`` on the run that wrote it, where it is now (the run around
   the file: a moved run is named by its new directory).

This check comes before :func:`check_something_to_train` (a resume whose checkpoint has used up the config's
budget, or holds a diverged run's NaN weights): a checkpoint that does not fit cannot be resumed whatever the
budget, and where both are wrong, the fit's refusal names
the budget its suggested overrides need too (:func:`used_budget`). Both name the run that wrote the checkpoint to
evaluate it (:func:`evaluate_command`), never the directory a refused resume would have started in.

The composed model is built here from ``cfg`` (no initializer; the random generators it uses are seeded afterwards
by the training task), so the check can run before anything else is built or written.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from trainlab.callbacks.checkpoint_provenance import ENTRY, recorded_config
from trainlab.checkpoint_read import read_checkpoint, subject, takes
from trainlab.config_instantiation import instantiate_key
from trainlab.errors import CheckpointError
from trainlab.models.net_compat import net_in_effect
from trainlab.own_targets import OWN_TARGETS, foreign_targets
from trainlab.printed_trainlab import trainlab_command
from trainlab.resume_overrides import fitting_overrides

PURPOSES = ("resume", "evaluate")
#: recorded keys that may differ: they choose how the optimizer computes its update, not what it computes
EXECUTION_PATH_KEYS = ("optimizer.foreach", "optimizer.compile")
ABSENT = object()
SHOWN = 4  # differences listed in a message; the rest are counted
def composed_model(cfg: DictConfig, factories: bool = True) -> torch.nn.Module:
    """The LightningModule ``cfg`` describes, with its optimizer and schedule factories (``factories=False``: none -
    an evaluation takes no step, and their classes, a module of the user's own, need not import) but no
    initializer."""
    scheduler = instantiate_key(cfg, "scheduler") if factories and cfg.get("scheduler") else None
    optimizer = instantiate_key(cfg, "optimizer") if factories else None
    return instantiate_key(cfg, "model", optimizer=optimizer, init=None, scheduler=scheduler)


def shown(value: Any) -> str:
    """A config value as the messages show it: lists and numbers as Python prints them, a node by its target."""
    if value is ABSENT:
        return "absent"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return str(value.get("_target_", value))
    return str(value)


def config_differences(recorded: Any, composed: Any, key: str) -> list[tuple[str, Any, Any]]:
    """``(key, recorded value, composed value)`` for each leaf that differs; a node of another ``_target_`` is one
    difference (its other keys do not matter then)."""
    if isinstance(recorded, dict) and isinstance(composed, dict):
        if recorded.get("_target_") != composed.get("_target_"):
            return [(f"{key}._target_", recorded.get("_target_", ABSENT), composed.get("_target_", ABSENT))]
        differences = []
        for name in sorted(set(recorded) | set(composed), key=str):
            differences += config_differences(recorded.get(name, ABSENT), composed.get(name, ABSENT), f"{key}.{name}")
        return differences
    if isinstance(recorded, dict) or isinstance(composed, dict):  # a section present on one side only
        return [(key, recorded, composed)]
    return [] if recorded == composed else [(key, recorded, composed)]


def model_in_effect(key: str, value: Any) -> Any:
    """``value`` of config section ``key`` with its network as it acts (:mod:`trainlab.models.net_compat`)."""
    if key == "model.net":
        return net_in_effect(value)
    if key == "model" and isinstance(value, dict) and "net" in value:
        return {**value, "net": net_in_effect(value["net"])}
    return value


def recorded_differences(entry: dict[str, Any], cfg: DictConfig, purpose: str) -> list[tuple[str, Any, Any]]:
    """What the checkpoint's recorded config and ``cfg`` disagree on (see the module docstring)."""
    recorded = entry.get("config") or {}
    if purpose == "evaluate":
        sections = {"model.net": ((recorded.get("model") or {}).get("net", ABSENT), OmegaConf.select(cfg, "model.net"))}
    else:  # the same view of the config as the checkpoint's (a format-1 checkpoint lacks init, seed and data)
        composed = recorded_config(cfg)
        sections = {section: (recorded.get(section, ABSENT), composed.get(section, ABSENT)) for section in recorded}
    differences = []
    for key, (then, now) in sections.items():
        if then is ABSENT:
            continue
        now = OmegaConf.to_container(now, resolve=True) if OmegaConf.is_config(now) else now
        if key == "data" and isinstance(then, dict) and isinstance(now, dict) and "_target_" not in then:
            now = {name: now.get(name) for name in then}  # recorded (None where absent) before all keys were
        differences += config_differences(model_in_effect(key, then), model_in_effect(key, now), key)
    if purpose == "resume":
        differences += source_differences(entry.get("data_source"), OmegaConf.select(cfg, "data.source"))
        differences += process_differences(entry.get("processes"), cfg)
    return [d for d in differences if d[0] not in EXECUTION_PATH_KEYS]


def process_differences(trained_by: Any, cfg: DictConfig) -> list[tuple[str, Any, Any]]:
    """``[("trainer.devices", trained_by, configured)]`` where the config trains with another number of processes
    than the checkpoint's run: each process trains on its share of a global batch of ``data.batch_size × processes``
    (a resume from 1 process to 2 doubled the global batch without a word). A checkpoint that recorded none (written
    before the count was) is not compared; with several nodes the key named is the product."""
    from trainlab.distributed.process_world import world_size

    if not isinstance(trained_by, int) or OmegaConf.select(cfg, "trainer") is None:
        return []
    configured = world_size(cfg.trainer)
    if configured == trained_by:
        return []
    nodes = OmegaConf.select(cfg, "trainer.num_nodes", default=1) or 1
    key = "trainer.devices" if nodes == 1 else "trainer.devices × trainer.num_nodes"
    return [(key, trained_by, configured)]


def source_differences(trained_on: Any, configured: Any) -> list[tuple[str, Any, Any]]:
    """``[("data.source", trained_on, configured)]`` where the config names another source than the checkpoint's
    run trained on; ``auto`` (decided when the run starts: :func:`check_data_source`) and a checkpoint that recorded
    none are not compared."""
    if trained_on is None or configured in (None, "auto") or configured == trained_on:
        return []
    return [("data.source", trained_on, configured)]


def check_data_source(entry: dict[str, Any] | None, resolved: str | None, cfg: DictConfig, path: str | os.PathLike,
                      name: str, overrides: Sequence[str] = ()) -> None:
    """Raise :class:`CheckpointError` if the run resumed from ``path`` (its ``trainlab`` ``entry``, as
    :func:`check_checkpoint` returned it) would train on other images than it started on: ``data.source=auto``
    decided ``resolved`` here (full MNIST found in ``data.data_dir``, or not) where the checkpoint's run trained on
    the other source."""
    trained_on = (entry or {}).get("data_source")
    if trained_on is None or resolved is None or resolved == trained_on:
        return
    path = Path(path)
    configured, data_dir = OmegaConf.select(cfg, "data.source"), OmegaConf.select(cfg, "data.data_dir")
    fix = way_out(entry, [("data.source", trained_on, configured)], path, "resume", overrides, of_config=True)
    raise CheckpointError(f"{subject(name, path)} was trained on data.source={trained_on}, and "
                          f"data.source={configured} chose {resolved} here (data_dir {data_dir}): the run would go on "
                          f"with other images; {fix}")


def weight_differences(saved: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> list[tuple]:
    """``(name, shape in the checkpoint, shape in the model)`` for every tensor that is missing or shaped
    otherwise, in the model's order, then the checkpoint's extra ones."""
    def shape(tensors: dict[str, torch.Tensor], name: str) -> Any:
        return list(tensors[name].shape) if name in tensors else ABSENT

    names = list(expected) + [name for name in saved if name not in expected]
    return [(name, shape(saved, name), shape(expected, name)) for name in names
            if shape(saved, name) != shape(expected, name)]


def listed(differences: list[tuple], composed: str) -> str:
    parts = [f"{key} {shown(then)} in the checkpoint, {shown(now)} in the {composed}"
             for key, then, now in differences[:SHOWN]]
    more = len(differences) - SHOWN
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def writing_run_dir(entry: dict[str, Any] | None, path: Path, refused_run: Path | None) -> Path | None:
    """The directory of the run that wrote the checkpoint in ``path``, where it is now: the run around the file
    (``<run>/checkpoints/<file>``, the directory being resumed for ``ckpt_path=last``), else the ``run_dir`` the
    checkpoint recorded - each only while it holds the ``.hydra/config.yaml`` that ``trainlab evaluate`` rebuilds the
    run from, and is not ``refused_run`` (the run ``trainlab evaluate`` was given, whose network does not fit). The
    recorded one alone named a directory that no longer existed once the run had been moved (``mv a b``, then a
    resume in ``b``); None where neither holds a run."""
    around = path.absolute().parent.parent if path.parent.name == "checkpoints" else None
    recorded = (entry or {}).get("run_dir")
    refused = refused_run.resolve() if refused_run is not None else None
    for run_dir in (around, Path(recorded) if recorded else None):
        if (run_dir is not None and (run_dir / ".hydra" / "config.yaml").is_file()
                and run_dir.resolve() != refused):
            return run_dir
    return None


def evaluate_command(entry: dict[str, Any] | None, path: Path, refused_run: Path | None = None) -> str | None:
    """``trainlab evaluate <the run that wrote it> --ckpt <path>``, shell-quoted: the run where it is now
    (:func:`writing_run_dir`), not the run being started, which has no config to evaluate with yet; None where no
    such run holds its config, or a section of it has a class that is not trainlab's own."""
    run_dir = writing_run_dir(entry, path, refused_run)
    sections = (entry or {}).get("config") or {}  # a section recorded without _target_ is trainlab's own
    evaluable = not foreign_targets({key: (sections.get(key) or {}).get("_target_", own)
                                     for key, own in OWN_TARGETS.items()})
    return trainlab_command("evaluate", run_dir, "--ckpt", path) if run_dir and evaluable else None


def way_out(entry: dict[str, Any] | None, differences: list[tuple], path: Path, purpose: str,
            overrides: Sequence[str], of_config: bool, refused_run: Path | None = None,
            budget: UsedBudget | None = None) -> str:
    """The fix, or evaluate it with the run that wrote it (:func:`evaluate_command`). Config values that differ
    (``of_config``): this command's ``overrides`` with the checkpoint's values in their place
    (:func:`~trainlab.resume_overrides.fitting_overrides`), its budget kept; other differences (tensors, parameter
    groups): the overrides the checkpoint was trained with. Where that budget is used up (``budget``), the resume
    also needs the budget :func:`check_something_to_train` asks for - said here, or the pasted fix was refused in
    turn."""
    evaluate = evaluate_command(entry, path, refused_run)
    if purpose == "evaluate":
        return (f"evaluate it with the run that wrote it: {evaluate}" if evaluate
                else "evaluate a checkpoint of this run, or this checkpoint with the run that wrote it")
    recorded = [o for o in (entry or {}).get("overrides", []) if not o.startswith("ckpt_path=")]
    fitted = fitting_overrides(overrides, recorded, differences, (entry or {}).get("config")) if of_config else None
    own = [o for o in overrides if not o.startswith("ckpt_path=")]
    if fitted is not None and fitted != own:
        fix = f"resume it with the overrides that fit it ({' '.join(map(shlex.quote, fitted)) or 'none but ckpt_path'})"
    elif recorded:
        fix = f"resume it with the overrides it was trained with ({' '.join(map(shlex.quote, recorded))})"
    else:
        fix = "resume it with the overrides it was trained with"
    if budget is not None:
        fix += f" and {budget.wanted} (the checkpoint, {budget.where}, is {budget.place} this config's budget)"
    return fix + (f", or evaluate it: {evaluate}" if evaluate else "")


def configured_optimizers(model: Any) -> tuple[list[torch.optim.Optimizer], int]:
    """The optimizers the composed model configures, and how many learning-rate schedules."""
    configured = model.configure_optimizers()
    if isinstance(configured, dict):
        return [configured["optimizer"]], 1 if configured.get("lr_scheduler") is not None else 0
    return ([configured] if isinstance(configured, torch.optim.Optimizer) else list(configured or [])), 0


def optimizer_differences(checkpoint: dict[str, Any], optimizers: list[torch.optim.Optimizer],
                          schedules: int) -> list[tuple]:
    """Optimizer and schedule state the composed model (:func:`configured_optimizers`) could not take: how many of
    each, and the parameter group sizes."""
    saved = checkpoint.get("optimizer_states", [])
    differences = []
    if len(saved) != len(optimizers):
        differences.append(("optimizers", len(saved), len(optimizers)))
    for index, (state, optimizer) in enumerate(zip(saved, optimizers, strict=False)):
        then = [len(group["params"]) for group in state["param_groups"]]
        now = [len(group["params"]) for group in optimizer.param_groups]
        if then != now:
            differences.append((f"optimizer {index} parameter group sizes", then, now))
    if len(checkpoint.get("lr_schedulers", [])) != schedules:
        differences.append(("learning-rate schedules", len(checkpoint.get("lr_schedulers", [])), schedules))
    return differences


def check_state_names(checkpoint: dict[str, Any], optimizers: list[torch.optim.Optimizer], who: str, path: Path,
                      entry: dict[str, Any] | None) -> None:
    """Refuse (:class:`CheckpointError`) a resume whose checkpoint holds, for a parameter of a
    :class:`~trainlab.optim.book_optimizer.BookOptimizer`, other state than the class now starts each parameter
    with (``init_state``: its ``state_tensors`` and bookkeeping such as Adam's ``step``). The names are the class's
    code, not the config's, so no override fits: a class whose ``state_tensors = ("velocity",)`` became
    ``("buf",)`` resumed, failed at its first step with ``KeyError: 'buf'`` (a traceback, exit status 1) and
    rewrote the completed run's ``status.json`` as failed, its metrics gone. A name the checkpoint holds beyond the
    class's is kept and unused, as torch's optimizers keep theirs: not refused."""
    from trainlab.optim.book_optimizer import BookOptimizer

    for index, (state, optimizer) in enumerate(zip(checkpoint.get("optimizer_states", []), optimizers,
                                                   strict=False)):
        params = [param for group in optimizer.param_groups for param in group["params"]]
        if not isinstance(optimizer, BookOptimizer) or not params:
            continue
        wanted = list(optimizer.init_state(params[0]))
        held = [names for names in (list(entry_state) for entry_state in state.get("state", {}).values()) if names]
        missing = sorted({name for name in wanted for names in held if name not in names})
        if not missing:
            continue
        cls = type(optimizer)
        kept = sorted({name for names in held for name in names})
        evaluate = evaluate_command(entry, path)
        raise CheckpointError(
            f"{who} does not fit this run: its optimizer {index} state holds {', '.join(kept)} for each parameter, "
            f"and {cls.__module__}.{cls.__qualname__} now keeps {', '.join(wanted)} ({', '.join(missing)} missing: "
            "its state_tensors changed since the checkpoint was written); nothing was written. allowed: the class's "
            "state names as they were, or a run trained anew without ckpt_path"
            + (f", or evaluate it: {evaluate}" if evaluate else ""))


def check_checkpoint(path: str | os.PathLike, cfg: DictConfig, purpose: str = "resume",
                     name: str | None = None, overrides: Sequence[str] = (),
                     run_dir: Path | None = None) -> dict[str, Any] | None:
    """Raise :class:`CheckpointError` unless ``path`` is a trainlab checkpoint that fits ``cfg`` (module docstring);
    return its ``trainlab`` entry (``None`` for a checkpoint written before it existed).

    ``purpose``: ``resume`` (``ckpt_path``) or ``evaluate`` (``trainlab evaluate --ckpt``). ``name`` is how the
    user named the file, e.g. ``ckpt_path=last`` (default: ``ckpt_path=<path>``); messages start with it.
    ``overrides``: the command's task overrides, which a refusal's fix keeps where they fit. ``run_dir``: the
    directory of the resuming run; where given, a refused resume also names the budget the fix needs where this
    config's is used up (:func:`used_budget`) - this check comes before :func:`check_something_to_train`, since a
    checkpoint that does not fit cannot be resumed whatever the budget.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"purpose={purpose!r}; allowed: {', '.join(PURPOSES)}")
    path = Path(path)
    name = name or f"ckpt_path={path}"
    who = subject(name, path)
    checkpoint = read_checkpoint(path, name)
    model = composed_model(cfg, factories=purpose == "resume")
    expected = model.state_dict()
    entry = checkpoint.get(ENTRY)
    if not isinstance(entry, dict) and not set(checkpoint["state_dict"]) & set(expected):
        held = ", ".join(list(checkpoint["state_dict"])[:SHOWN]) or "no tensors"
        raise CheckpointError(f"{who} is a Lightning checkpoint that trainlab did not write: it has no '{ENTRY}' entry "
                              f"and none of this model's parameters (it holds {held}); {takes(name)}")
    composed = "run's config" if purpose == "evaluate" else "config"
    differences = recorded_differences(entry, cfg, purpose) if isinstance(entry, dict) else []
    of_config = bool(differences)
    if not differences:
        composed = "model"
        differences = weight_differences(checkpoint["state_dict"], expected)
    if not differences and purpose == "resume":
        if "optimizer_states" not in checkpoint:
            raise CheckpointError(f"{who} holds the model's weights only (saved with save_weights_only), not the "
                                  "optimizer state a resume needs; evaluate it with "
                                  f"{trainlab_command('evaluate')}, or train anew")
        composed = "config"
        optimizers, schedules = configured_optimizers(model)
        differences = optimizer_differences(checkpoint, optimizers, schedules)
        if not differences:
            check_state_names(checkpoint, optimizers, who, path, entry if isinstance(entry, dict) else None)
    if differences:
        where = "the run's network" if purpose == "evaluate" else "this run"
        evaluated = OmegaConf.select(cfg, "paths.output_dir") if purpose == "evaluate" else None
        budget = used_budget(checkpoint, cfg, run_dir) if purpose == "resume" and run_dir is not None else None
        fix = way_out(entry if isinstance(entry, dict) else None, differences, path, purpose, overrides, of_config,
                      refused_run=Path(evaluated) if evaluated else None, budget=budget)
        raise CheckpointError(f"{who} does not fit {where}: {listed(differences, composed)}; {fix}")
    return entry if isinstance(entry, dict) else None


def fit_budget_reached(checkpoint: dict[str, Any], cfg: DictConfig, past: bool = False) -> tuple[bool, str]:
    """Whether a resume from ``checkpoint`` would train nothing under ``cfg`` (its step or its trained epochs
    reach ``trainer.max_steps`` / ``trainer.max_epochs``, as Lightning's fit loop decides; with ``past``, go beyond
    them), and where it stands."""
    from trainlab.checkpoint_epochs import trained_epochs

    step = checkpoint.get("global_step")
    # whole epochs, and whether batches of the next were trained (an interrupt mid-epoch, a max_steps stop): past
    # max_epochs=2 at epoch 2 and 13 batches, where Lightning stopped at once and the run was recorded completed
    epochs, batches = trained_epochs(checkpoint)
    max_steps = OmegaConf.select(cfg, "trainer.max_steps", default=-1)
    max_epochs = OmegaConf.select(cfg, "trainer.max_epochs", default=None)
    margin = 1 if past else 0
    by_steps = isinstance(step, int) and max_steps not in (None, -1) and step >= max_steps + margin
    by_epochs = isinstance(epochs, int) and max_epochs not in (None, -1) and (
        epochs + int(batches > 0) >= max_epochs + 1 if past else epochs >= max_epochs)
    return by_steps or by_epochs, f"step {step}, epoch {epochs}" + (
        f" and {batches} batch{'es' if batches > 1 else ''} of the next" if batches else "")


@dataclass(frozen=True)
class UsedBudget:
    """A config's budget that a checkpoint has used up (:func:`used_budget`)."""

    completed: bool  #: the resuming run's directory holds a run that completed
    where: str  #: ``step 6, epoch 3``: where the checkpoint stands
    budget: str  #: ``trainer.max_epochs=2, trainer.max_steps=-1``: this config's
    beyond: bool = True  #: past the budget, not only at its end

    @property
    def place(self) -> str:
        """Where the checkpoint is: a completed run's, at its budget's end or past it, has nothing left; another's,
        only past."""
        return "past" if self.beyond else "at the end of"

    @property
    def wanted(self) -> str:
        """The budget a resume from it needs."""
        return ("a larger trainer.max_epochs or trainer.max_steps" if self.completed
                else "the budget the run was started with or a larger one")


def used_budget(checkpoint: dict[str, Any], cfg: DictConfig, run_dir: Path) -> UsedBudget | None:
    """``cfg``'s budget where a resume in ``run_dir`` from ``checkpoint`` would train nothing, else None. A run that
    completed, resumed at the end of its budget (its own resume command pasted again), trained nothing, tested
    again and replaced its ``status.json``; an interrupted or killed run at its budget's end still has its test to
    run, past it Lightning refused with a traceback (exit 1) and its status.json became 'failed'."""
    from trainlab.run_status import read_status

    status = read_status(run_dir)
    completed = bool(status) and status.get("status") == "completed"
    reached, where = fit_budget_reached(checkpoint, cfg, past=not completed)
    if not reached:
        return None
    budget = (f"trainer.max_epochs={OmegaConf.select(cfg, 'trainer.max_epochs', default=None)}, "
              f"trainer.max_steps={OmegaConf.select(cfg, 'trainer.max_steps', default=-1)}")
    return UsedBudget(completed, where, budget, beyond=fit_budget_reached(checkpoint, cfg, past=True)[0])


def non_finite_weight(checkpoint: dict[str, Any]) -> str | None:
    """The first network weight (``net.*`` of the module's state) holding NaN or Inf, or None: the weights of a run
    that diverged (its ``last.ckpt`` saves the step whose loss turned NaN/Inf)."""
    for key, tensor in checkpoint.get("state_dict", {}).items():
        if (str(key).startswith("net.") and isinstance(tensor, torch.Tensor) and tensor.is_floating_point()
                and not torch.isfinite(tensor).all()):
            return str(key)
    return None


def check_something_to_train(path: str | os.PathLike, cfg: DictConfig, run_dir: Path, name: str) -> None:
    """Refuse a resume in ``run_dir`` from a checkpoint there is nothing to train from, before anything is written:
    one whose network weights hold NaN/Inf (a diverged run's: the resume trained on NaN weights, logged NaN losses
    and ended ``diverged`` again, naming the first session's step) or that has used up ``cfg``'s budget
    (:func:`used_budget`; a larger budget resumes it). The other way out, evaluating it, names the run that wrote the
    checkpoint (:func:`evaluate_command`), not ``run_dir``: a resume into a new directory has no run there to
    evaluate."""
    path = Path(path)
    checkpoint = read_checkpoint(path, name)
    entry = checkpoint.get(ENTRY)
    evaluate = evaluate_command(entry if isinstance(entry, dict) else None, path)
    if (weight := non_finite_weight(checkpoint)) is not None:
        _, where = fit_budget_reached(checkpoint, cfg)
        raise CheckpointError(
            f"{name}: the checkpoint ({where}) holds NaN/Inf weights ({weight}): the run that saved it diverged, and "
            "training on from them trains nothing; nothing was written. allowed: a new run, without ckpt_path, in a "
            "new hydra.run.dir and with settings that keep the loss finite (a smaller optimizer.lr, another init or "
            "seed)"
            + (f", or {evaluate} to test it" if evaluate else ""))
    used = used_budget(checkpoint, cfg, run_dir)
    if used is None:
        return
    if not used.completed:
        raise CheckpointError(
            f"{name}: the checkpoint ({used.where}) is past this config's budget ({used.budget}): there is nothing "
            f"left to train from it, and Lightning refuses such a resume; nothing was written. allowed: {used.wanted}"
            + (f", or {evaluate} to test it" if evaluate else ""))
    raise CheckpointError(
        f"{name}: the run in {run_dir} completed, and the checkpoint ({used.where}) is {used.place} this config's "
        f"budget ({used.budget}): resuming it would train nothing and replace its status.json; nothing was written. "
        f"allowed: {used.wanted} to train on from it" + (f", or {evaluate} to test it again" if evaluate else ""))


def check_resume(path: str | os.PathLike, cfg: DictConfig, run_dir: Path, name: str, overrides: Sequence[str] = (),
                 check_source: bool = True) -> None:
    """Everything a resume from ``path`` in ``run_dir`` is refused for before it writes anything, in the order the
    training task asks it: the fit (:func:`check_checkpoint`), then something left to train
    (:func:`check_something_to_train`), then - with ``check_source`` - the images ``data.source=auto`` chooses here
    (:func:`check_data_source`; the data module's arguments only, no data loaded). The single run's preflight asks
    it, and the checks made before a sweep's jobs start ask it of each job that resumes
    (:mod:`trainlab.sweep.job_checkpoints`): one job refused there had stopped the sweep after Hydra had rewritten
    the sweep's records and the jobs before it had run."""
    entry = check_checkpoint(path, cfg, name=name, overrides=overrides, run_dir=run_dir)
    check_something_to_train(path, cfg, run_dir, name=name)
    if check_source and entry is not None and entry.get("data_source") is not None:
        datamodule = instantiate_key(cfg, "data")
        source = datamodule.resolve_source() if hasattr(datamodule, "resolve_source") else None
        check_data_source(entry, source, cfg, path, name, overrides)
