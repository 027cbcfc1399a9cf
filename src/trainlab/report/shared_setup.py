"""What every job of a sweep ran with, read from the jobs' recorded configs: the stated setup of a figure's title and
of summary.md's ``Shared by all jobs:`` line.

The titles of B and D were written out ("B: optimizers on MNIST (5-layer net, He init)") and were wrong for a sweep
that overrode the setup (``init=xavier 'model.net.hidden_sizes=[50]'``). Here each job's setting is read from its
``.hydra/config.yaml`` (and its config group options from ``.hydra/hydra.yaml``) and stated only where every job
recorded the same: a swept setting, or one a job did not record, is left out rather than guessed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trainlab.errors import RecordedFileError
from trainlab.recorded_yaml import read_recorded_mapping
from trainlab.report.sweep_runs import JobRun, job_choices

#: the settings in the order summary.md states them; a title states those of :data:`TITLE_SETTINGS`
SETTINGS = ("data", "net", "hidden", "init", "optimizer", "lr", "weight_decay", "batch", "budget")
TITLE_SETTINGS = ("net", "init", "optimizer")

# how a config group option or an activation is written (any other as it is)
DATA_NAMES = {"mnist": "MNIST"}
INIT_NAMES = {"he": "He", "xavier": "Xavier", "glorot": "Glorot", "normal": "normal", "zeros": "zeros",
              "default": "PyTorch default"}
OPTIMIZER_NAMES = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
                   "adam": "Adam", "rmsprop": "RMSprop", "torch_sgd": "torch SGD", "torch_adam": "torch Adam",
                   "torch_adamw": "torch AdamW"}
ACTIVATION_NAMES = {"relu": "ReLU", "sigmoid": "sigmoid", "tanh": "tanh"}


def lookup(config: dict[str, Any], key: str) -> Any:
    """The value of the dotted ``key`` in ``config`` (None where it is missing)."""
    value: Any = config
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def recorded_config(job_dir: Path) -> dict[str, Any]:
    """The job's ``.hydra/config.yaml`` ({} without one, or where it cannot be read: its settings are unknown)."""
    path = job_dir / ".hydra" / "config.yaml"
    try:
        return read_recorded_mapping(path) if path.is_file() else {}
    except RecordedFileError:
        return {}


def job_settings(job: JobRun) -> dict[str, str]:
    """The job's settings of :data:`SETTINGS` as a reader is told them (``net``: ``5-layer ReLU net``, ``init``:
    ``He init``, ``budget``: ``2000 iterations``); a setting it did not record is missing."""
    config = recorded_config(job.path)
    try:
        choices = job_choices(job.path)
    except RecordedFileError:  # a damaged .hydra/hydra.yaml: its options are unknown
        choices = {}
    settings: dict[str, str] = {}
    if choices.get("data"):
        size = lookup(config, "data.train_size")
        name = DATA_NAMES.get(choices["data"], choices["data"])
        settings["data"] = f"{name} ({size} training images)" if isinstance(size, int) else name
    hidden = lookup(config, "model.net.hidden_sizes")
    if isinstance(hidden, list):
        activation = lookup(config, "model.net.activation")
        batch_norm = lookup(config, "model.net.batch_norm")
        extras = [f"BatchNorm ({batch_norm})"] if batch_norm not in (None, "none") else []
        extras += [f"dropout {lookup(config, 'model.net.dropout')}"] if lookup(config, "model.net.dropout") else []
        settings["net"] = " ".join(filter(None, [f"{len(hidden) + 1}-layer",
                                                 ACTIVATION_NAMES.get(activation, activation), "net"]))
        settings["net"] += f" with {', '.join(extras)}" if extras else ""
        settings["hidden"] = "hidden layers " + "-".join(map(str, hidden))
    if choices.get("init"):
        std = lookup(config, "init.std")
        name = INIT_NAMES.get(choices["init"], choices["init"])
        settings["init"] = f"{name} init" + (f" (std {std})" if choices["init"] == "normal" and std is not None else "")
    if choices.get("optimizer"):
        settings["optimizer"] = OPTIMIZER_NAMES.get(choices["optimizer"], choices["optimizer"])
    for setting, key, name in (("lr", "optimizer.lr", "lr"), ("weight_decay", "model.weight_decay", "weight decay"),
                               ("batch", "data.batch_size", "batch")):
        value = lookup(config, key)
        if value is not None and not (setting == "weight_decay" and value == 0):
            settings[setting] = f"{name} {value}"
    steps, epochs = lookup(config, "trainer.max_steps"), lookup(config, "trainer.max_epochs")
    budget = [f"{steps} iterations"] if isinstance(steps, int) and steps > 0 else []
    budget += [f"{epochs} epochs"] if isinstance(epochs, int) and epochs > 0 else []
    if budget:
        settings["budget"] = " or ".join(budget) + (" (whichever comes first)" if len(budget) > 1 else "")
    return settings


def shared_settings(jobs: list[JobRun]) -> dict[str, str]:
    """The settings every job recorded the same, in the order of :data:`SETTINGS` (a swept one, or one a job did
    not record, is not there)."""
    each = [job_settings(job) for job in jobs]
    return {setting: each[0][setting] for setting in SETTINGS
            if each and setting in each[0] and all(other.get(setting) == each[0][setting] for other in each)}


def setup_title(what: str, settings: dict[str, str]) -> str:
    """A B/D title: ``what`` (``B: optimizers``), the data and the shared settings of :data:`TITLE_SETTINGS` -
    ``B: optimizers on MNIST (5-layer ReLU net, He init)`` - each only where ``settings`` has it."""
    title = what + (f" on {settings['data']}" if "data" in settings else "")
    stated = [settings[setting] for setting in TITLE_SETTINGS if setting in settings]
    return title + (f" ({', '.join(stated)})" if stated else "")


def setup_line(settings: dict[str, str]) -> str | None:
    """summary.md's ``Shared by all jobs: MNIST, 5-layer ReLU net, ... 2000 iterations.`` (None: nothing shared is
    known)."""
    return f"Shared by all jobs: {', '.join(settings.values())}." if settings else None
