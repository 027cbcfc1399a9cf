"""``config_yaml``: OmegaConf's YAML text through libyaml, and the files written with it (hparams.yaml, .hydra/)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from lightning.pytorch.core.saving import save_hparams_to_yaml
from lightning.pytorch.loggers import TensorBoardLogger
from omegaconf import OmegaConf

from tests.conftest import CONF_DIR
from trainlab.config_yaml import C_DUMPER, config_yaml
from trainlab.loggers.hparams import write_hparams_yaml

EXPERIMENTS = sorted(path.stem for path in (CONF_DIR / "experiment").glob("*.yaml"))
TRICKY = {"bool-like": "true", "off": "off", "float-like": "1e-3", "int-like": "1_000", "hex": "0x1f", "empty": "",
          "null-like": "null", "tilde": "~", "inf": ".inf", "unicode": "ünïcødé", "lines": "one\ntwo",
          "colon": "a: b", "dash": "- x", "hash": "#c", "interpolation": "${x.y}", "leading space": "  x",
          "none": None, "small": 1e-8, "nested": [1, [2, 3], {"x": "no", "y": [True, False]}], "long": "word " * 40}


def composed(overrides: list[str]):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("train", overrides=overrides, return_hydra_config=True)


def test_libyaml_is_used_here():
    assert C_DUMPER is not None, "PyYAML without libyaml: config_yaml falls back to OmegaConf.to_yaml"


@pytest.mark.parametrize("overrides", [[], *[[f"experiment={name}"] for name in EXPERIMENTS],
                                       ["hparams_search=random"]], ids=lambda o: o[0] if o else "default")
def test_task_config_text_is_omegaconfs_byte_for_byte(overrides):
    cfg = composed(overrides)
    task = OmegaConf.masked_copy(cfg, [key for key in cfg if key != "hydra"])
    assert config_yaml(task) == OmegaConf.to_yaml(task)
    assert config_yaml(cfg.hydra.overrides.task) == OmegaConf.to_yaml(cfg.hydra.overrides.task)


def test_hydra_config_reads_back_as_the_same_values():
    """Only the folding of a long double-quoted string (Hydra's help header) may differ from OmegaConf's text."""
    hydra_cfg = composed(["experiment=compare_optimizers"]).hydra
    ours, omegaconf_text = config_yaml(hydra_cfg), OmegaConf.to_yaml(hydra_cfg)
    assert yaml.safe_load(ours) == yaml.safe_load(omegaconf_text)
    differing = [line for line in ours.splitlines() if line not in omegaconf_text.splitlines()]
    assert all(not line.startswith(("  dir:", "  subdir:", "  name:")) for line in differing), differing


def test_strings_that_would_read_back_as_other_types_stay_quoted():
    text = config_yaml(TRICKY)
    assert text == OmegaConf.to_yaml(TRICKY)
    assert yaml.safe_load(text) == TRICKY
    assert "bool-like: 'true'" in text and "float-like: '1e-3'" in text


def test_hparams_yaml_is_what_lightning_would_write(tmp_path: Path):
    config = {**TRICKY, "model": {"net": {"hidden_sizes": [100, 100], "dropout": 0.0}}, "seed": 7}
    logger = TensorBoardLogger(save_dir=str(tmp_path), name="", version="")
    logger.hparams.update(config)
    Path(logger.log_dir).mkdir(parents=True, exist_ok=True)
    write_hparams_yaml(logger)
    save_hparams_to_yaml(tmp_path / "lightning.yaml", config)
    assert (Path(logger.log_dir) / "hparams.yaml").read_text() == (tmp_path / "lightning.yaml").read_text()


def test_hparams_yaml_of_an_earlier_session_is_replaced_by_this_sessions(tmp_path: Path):
    """As Hydra rewrites .hydra/config.yaml: a resume with other settings (a larger budget) records them."""
    logger = TensorBoardLogger(save_dir=str(tmp_path), name="", version="")
    Path(logger.log_dir).mkdir(parents=True, exist_ok=True)
    earlier = Path(logger.log_dir) / "hparams.yaml"
    earlier.write_text("seed: 1\n")
    logger.hparams.update({"seed": 2})
    write_hparams_yaml(logger)
    assert earlier.read_text() == "seed: 2\n"


def test_no_hparams_yaml_without_a_log_directory(tmp_path: Path):
    logger = TensorBoardLogger(save_dir=str(tmp_path / "absent"), name="", version="")
    logger.hparams.update({"seed": 2})
    write_hparams_yaml(logger)
    assert not (tmp_path / "absent").exists()
