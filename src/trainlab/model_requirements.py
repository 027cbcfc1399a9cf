"""What a run needs of a model of one's own (``model._target_`` any LightningModule), checked once it is built.

Lightning finds a missing ``training_step`` or ``configure_optimizers`` only when ``fit`` starts, after the run's
directory, loggers and ``status.json`` exist, and a missing ``test_step`` only after training (``test: true`` runs
``Trainer.test``), each as a traceback. :func:`check_model_methods` names them before anything is written: one
config error naming ``model._target_``, the method and the way out. The project's classifier has them all. And
``compile.enabled`` compiles the classifier's ``model.net``: a model without one is refused (compiling the module
itself would not touch ``training_step``, which Lightning calls).
"""

from __future__ import annotations

import lightning as L
from lightning.pytorch.utilities.model_helpers import is_overridden
from omegaconf import DictConfig, OmegaConf

from trainlab.errors import ConfigError


def check_model_methods(model: L.LightningModule, cfg: DictConfig) -> None:
    """Refuse a model that lacks a method the run will call (see the module docstring)."""
    target = OmegaConf.select(cfg, "model._target_")
    for method in ("training_step", "configure_optimizers"):
        if not is_overridden(method, model):
            raise ConfigError(f"model._target_={target} defines no {method}, which Lightning's Trainer.fit calls; "
                              f"allowed: a LightningModule with {method}")
    if cfg.get("test") and not is_overridden("test_step", model):
        raise ConfigError(f"test=true runs Trainer.test after training, and model._target_={target} defines no "
                          "test_step; allowed: test=false, or a test_step in the model")
    if OmegaConf.select(cfg, "compile.enabled", default=False) and not hasattr(model, "net"):
        raise ConfigError(f"compile.enabled=true compiles the network of trainlab's classifier (model.net), and "
                          f"model._target_={target} has none; allowed: compile.enabled=false, with torch.compile "
                          "inside the model where it helps")
