"""Every yaml of every config group composes and instantiates (new files are picked up automatically)."""

from __future__ import annotations

import hydra
import lightning as L
import pytest
import torch
from conftest import CONF_DIR
from torch import nn

from trainlab.config_instantiation import instantiate_key
from trainlab.config_validation import validate_config
from trainlab.models.initializer_call import initialise
from trainlab.train import instantiate_dict

# Groups whose options are plain objects built straight from the composed node.
OBJECT_GROUPS = ["data", "model", "optimizer", "scheduler", "init", "trainer", "logger", "callbacks"]
# Groups that are `# @package _global_` overlays: they must compose and leave a trainable config.
GLOBAL_GROUPS = ["experiment", "debug", "hparams_search"]


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def test_every_group_has_options():
    for group in OBJECT_GROUPS + ["paths", "hydra", "debug"]:
        assert options(group), f"conf/{group}/ has no yaml"


def build_model(cfg):
    optimizer = hydra.utils.instantiate(cfg.optimizer)
    init = hydra.utils.instantiate(cfg.init)
    return hydra.utils.instantiate(cfg.model, optimizer=optimizer, init=init)


@pytest.mark.parametrize("group,option", [(g, o) for g in OBJECT_GROUPS for o in options(g)])
def test_group_option_instantiates(group, option, make_cfg, tmp_path):
    cfg = make_cfg(f"{group}={option}")
    if group == "data":
        assert isinstance(hydra.utils.instantiate(cfg.data), L.LightningDataModule)
    elif group == "model":
        assert isinstance(build_model(cfg), L.LightningModule)
    elif group == "optimizer":
        factory = hydra.utils.instantiate(cfg.optimizer)
        params = [nn.Parameter(torch.zeros(3))]
        optimizer = factory([{"params": params, "weight_decay": 0.0}])
        assert isinstance(optimizer, torch.optim.Optimizer)
    elif group == "scheduler":
        optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(3))], lr=0.1)
        scheduler = hydra.utils.instantiate(cfg.scheduler)(optimizer)
        assert isinstance(scheduler, torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau)
        assert scheduler.optimizer is optimizer
    elif group == "init":  # train.py's checks: the config's (a first argument it sets, the types), then the call's
        validate_config(cfg, machine=False)  # (a returned or reshaped weight: models/initializer_call.py)
        net = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 2))
        initialise(instantiate_key(cfg, "init"), net)
        assert all(torch.isfinite(p).all() for p in net.parameters())
    elif group == "trainer":
        if option == "gpu" and not torch.cuda.is_available():
            assert cfg.trainer.accelerator == "gpu"
            return
        assert isinstance(hydra.utils.instantiate(cfg.trainer), L.Trainer)
    elif group == "logger":
        for logger in instantiate_dict(cfg.get("logger"), "logger"):
            assert isinstance(logger, L.pytorch.loggers.Logger)
    elif group == "callbacks":
        for callback in instantiate_dict(cfg.get("callbacks"), "callbacks"):
            assert isinstance(callback, L.Callback)


@pytest.mark.parametrize("group,option", [(g, o) for g in GLOBAL_GROUPS for o in options(g)])
def test_global_overlay_composes(group, option, make_cfg):
    cfg = make_cfg(f"{group}={option}")
    assert isinstance(build_model(cfg), L.LightningModule)
    assert isinstance(hydra.utils.instantiate(cfg.data), L.LightningDataModule)


def test_config_keys_are_resolved(make_cfg):
    cfg = make_cfg()
    assert cfg.data.data_dir == cfg.paths.data_dir
    assert cfg.model.net.num_classes == 10


def test_job_names_leave_out_paths_and_display_settings_but_keep_hyper_parameters():
    from hydra import compose, initialize_config_dir

    overrides = ["paths.root_dir=.", "paths.data_dir=/data", "paths.log_dir=/logs", "optimizer=adam",
                 "trainer.enable_progress_bar=false", "model.weight_decay=0.1", "resume_sweep=true",
                 "data.download=false"]
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=overrides, return_hydra_config=True)
    assert cfg.hydra.job.override_dirname == "model.weight_decay=0.1,optimizer=adam"  # the job dir's name
