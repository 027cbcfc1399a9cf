"""A ``trainlab`` entry in every checkpoint: the run that wrote it and the config it trained with.

    checkpoint["trainlab"] = {
        "format": 2,
        "run_dir": "/.../outputs/runs/2026-01-01_12-00-00",   # paths.output_dir of the run
        "overrides": ["optimizer=adam", ...],                   # its Hydra task overrides ([] outside Hydra)
        "config": {"model": {...}, "optimizer": {...}, "scheduler": {...} or None, "init": {...} or None,
                   "seed": 0, "data": {"batch_size": 100, "train_size": None, "val_size": None, "seed": 0},
                   "trainer": {"accumulate_grad_batches": 1, "gradient_clip_val": None,
                               "gradient_clip_algorithm": None, "precision": "32-true"}},
        "data_source": "bundled",                               # the images it trained on: bundled | torchvision
        "processes": 1,                                         # how many processes trained it (DDP: 2, ...)
    }                                                           # resolved

``config`` holds what a resumed run must keep (:func:`recorded_config`): the sections the checkpoint's state
depends on - the network's weights (``model``), the optimizer's state, the schedule's -, how the run started
(``init``, ``seed``: a resume that changed them would leave a config describing a start the run never had), and the
``data`` keys that choose the batches it trains and validates on (a changed batch size or data order mid-run) -
for a data module of one's own, whose keys this cannot tell apart, every key but those that say where the files are
and how they are loaded (:data:`LOADING_KEYS`) -, and the ``trainer`` keys that shape each update
(:data:`RECORDED_TRAINER_KEYS`: gradient accumulation makes the effective batch, clipping and precision the step;
changed on a resume they were taken without a word and recorded for the whole run). Format 1 (before ``init``,
``seed`` and ``data`` were recorded) held the first three only; format 2, all but ``trainer``.

``data_source`` is the data the run trained on, as its datamodule decided it (``data.source=auto`` becomes
``torchvision`` where full MNIST is there and ``bundled`` where it is not): a resume where the same config decides
otherwise would go on with other images (:func:`trainlab.checkpoint_check.check_data_source`). Checkpoints written
before it was recorded have none (``None``).

``processes`` is how many processes trained the run (``trainer.devices × trainer.num_nodes``): each trains on its
share of a global batch of ``data.batch_size × processes``, so a resume with another count would train the rest of
the run on other batches, as another ``data.batch_size`` would. Checkpoints written before it was recorded have none.

Plain values only, so the checkpoint still loads with ``torch.load(weights_only=True)``.
:mod:`trainlab.checkpoint_check` reads it to tell a trainlab checkpoint from any other file and to name what differs
between a checkpoint and the config it is resumed or evaluated with. Checkpoints written before the entry existed
have none; they are still accepted (recognised by their parameters).
"""

from __future__ import annotations

from typing import Any

import lightning as L
from omegaconf import DictConfig, OmegaConf

from trainlab.config_validation import PRECISION_ALIASES
from trainlab.own_targets import MNIST_DATAMODULE

ENTRY = "trainlab"
FORMAT = 3
#: the config a checkpoint records (see the module docstring): its state's sections, the run's start, its data, the
#: trainer keys of its updates
RECORDED_SECTIONS = ("model", "optimizer", "scheduler", "init", "seed", "data", "trainer")
#: the keys of ``trainer`` recorded: those that shape an update (its batch, its clipping, its arithmetic)
RECORDED_TRAINER_KEYS = ("accumulate_grad_batches", "gradient_clip_val", "gradient_clip_algorithm", "precision")
#: the keys of ``data`` recorded: those choosing the batches (size, order) and the training and validation images;
#: the others choose where the files are and how they are loaded (``data_dir``, ``eval_batch_size``, ...)
RECORDED_DATA_KEYS = ("batch_size", "train_size", "val_size", "seed")
#: the keys of a data module of one's own left out of the record: where its files are and how they are loaded
LOADING_KEYS = ("data_dir", "download", "download_timeout_s", "num_workers", "pin_memory", "persistent_workers",
                "eval_batch_size")


def recorded_config(cfg: DictConfig) -> dict[str, Any]:
    """What a checkpoint records of ``cfg``, resolved to plain values; :mod:`trainlab.checkpoint_check` compares it
    with the same view of the config a resume composes."""
    config = {}
    for section in RECORDED_SECTIONS:
        value = cfg.get(section)
        if section == "data" and value is not None:
            own_module = value.get("_target_") == MNIST_DATAMODULE
            value = ({key: value.get(key) for key in RECORDED_DATA_KEYS} if own_module
                     else {key: value.get(key) for key in value if key not in LOADING_KEYS})
        if section == "trainer" and value is not None:
            value = {key: value.get(key) for key in RECORDED_TRAINER_KEYS}
            if value["precision"] is not None:  # 32 and "32-true" train alike
                value["precision"] = PRECISION_ALIASES.get(str(value["precision"]), str(value["precision"]))
        config[section] = OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value
    return config


def provenance(cfg: DictConfig, overrides: list[str], data_source: str | None, processes: int) -> dict[str, Any]:
    """The entry for a run with config ``cfg`` (the training task's, ``paths.output_dir`` resolved) that trains on
    ``data_source`` (its datamodule's resolved source; ``None`` for a datamodule that has none) in ``processes``
    processes."""
    return {"format": FORMAT, "run_dir": str(cfg.paths.output_dir), "overrides": list(overrides),
            "config": recorded_config(cfg), "data_source": data_source, "processes": processes}


class CheckpointProvenance(L.Callback):
    """Writes :func:`provenance` into every checkpoint the Trainer saves (the data source: the fitted datamodule's
    ``resolved_source``)."""

    def __init__(self, cfg: DictConfig, overrides: list[str]) -> None:
        self.cfg, self.overrides = cfg, overrides
        self.entry: dict[str, Any] | None = None

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict) -> None:
        if self.entry is None:  # once: the config and the data do not change during a fit
            source = getattr(trainer.datamodule, "resolved_source", None)
            self.entry = provenance(self.cfg, self.overrides, source, trainer.world_size)
        checkpoint[ENTRY] = self.entry
