"""The training task: compose -> instantiate -> fit -> test -> return the optimised metric.

``train.py`` at the repository root wraps :func:`train` in ``@hydra.main``; tests and sweepers call the same
function. Everything is built from the config with ``hydra.utils.instantiate``:

* ``data``      -> a LightningDataModule
* ``model``     -> the LightningModule, given ``optimizer`` (a partial called with parameter groups) and ``init``
  (a callable that initialises the network in place)
* ``callbacks`` / ``logger`` -> dicts of Lightning callbacks / loggers (any entry may be null)
* ``trainer``   -> ``lightning.Trainer``
"""

from __future__ import annotations

import logging
from typing import Any

import hydra
import lightning as L
from lightning.pytorch.loggers import Logger, TensorBoardLogger
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


def instantiate_dict(cfg: DictConfig | None, kind: str) -> list[Any]:
    """Instantiate every entry of a ``callbacks`` / ``logger`` dict that has a ``_target_`` (null entries skip)."""
    if not cfg:
        return []
    if not isinstance(cfg, DictConfig):
        raise TypeError(f"{kind} config must be a dict of {{name: {{_target_: ...}}}}, got {type(cfg).__name__}")
    objects = []
    for name, entry in cfg.items():
        if entry is None:
            continue
        if not (isinstance(entry, DictConfig) and "_target_" in entry):
            raise ValueError(f"{kind}.{name} has no _target_: every {kind} entry must name the class to build")
        objects.append(hydra.utils.instantiate(entry))
    return objects


def hyperparameters(cfg: DictConfig, datamodule: Any) -> dict[str, Any]:
    """The resolved config (no ``${...}`` left) minus paths/loggers/callbacks, plus the resolved data source."""
    params = OmegaConf.to_container(cfg, resolve=True)
    for key in ("paths", "logger", "callbacks", "hydra"):
        params.pop(key, None)
    if hasattr(datamodule, "resolve_source"):
        params.setdefault("data", {})["resolved_source"] = datamodule.resolve_source()
    return params


def record_hyperparameters(loggers: list[Logger], params: dict[str, Any]) -> None:
    """Before training: every logger gets the hyper-parameters (hparams.yaml is complete from the first save).

    TensorBoard's HPARAMS summary is written once, at the end, together with the final metrics
    (:func:`record_final_metrics`), so it is only handed the values here.
    """
    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.hparams.update(params)
        else:
            logger.log_hyperparams(params)


def record_final_metrics(loggers: list[Logger], params: dict[str, Any], metrics: dict[str, float]) -> None:
    """After training: the HPARAMS tab of TensorBoard shows the final metrics as ``hp/<metric>``."""
    hp_metrics = {f"hp/{name.replace('/', '_')}": value for name, value in metrics.items()}
    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.log_hyperparams(params, metrics=hp_metrics)
        logger.finalize("success")


def final_metrics(trainer: L.Trainer) -> dict[str, float]:
    return {name: float(value) for name, value in trainer.callback_metrics.items() if value.numel() == 1}


def train(cfg: DictConfig) -> float | None:
    """Run one training job described by ``cfg``; return ``cfg.optimized_metric``'s final value (or None)."""
    if cfg.get("seed") is not None:
        L.seed_everything(cfg.seed, workers=True, verbose=False)

    datamodule: L.LightningDataModule = hydra.utils.instantiate(cfg.data)
    init = hydra.utils.instantiate(cfg.init) if cfg.get("init") else None
    optimizer = hydra.utils.instantiate(cfg.optimizer)
    model: L.LightningModule = hydra.utils.instantiate(cfg.model, optimizer=optimizer, init=init)
    callbacks = instantiate_dict(cfg.get("callbacks"), "callbacks")
    loggers: list[Logger] = instantiate_dict(cfg.get("logger"), "logger")
    trainer: L.Trainer = hydra.utils.instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)

    params = hyperparameters(cfg, datamodule)
    record_hyperparameters(trainer.loggers, params)
    metrics: dict[str, float] = {}
    try:
        trainer.fit(model=model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
        metrics.update(final_metrics(trainer))
        if cfg.get("test", True):
            trainer.test(model=model, datamodule=datamodule, verbose=False)
            metrics.update(final_metrics(trainer))
    finally:
        metrics = {**final_metrics(trainer), **metrics}  # what an interrupted fit got to
        record_final_metrics(trainer.loggers, params, metrics)

    log.info("final metrics: %s", ", ".join(f"{k}={v:.4g}" for k, v in sorted(metrics.items())))
    metric_name = cfg.get("optimized_metric")
    if not metric_name:
        return None
    if metric_name not in metrics:
        raise KeyError(f"optimized_metric={metric_name!r} was not logged; logged metrics: {', '.join(sorted(metrics))}")
    return metrics[metric_name]
