"""Shared fixtures: the config directory, a session-wide MNIST cache, and composing configs like train.py does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, open_dict

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = ROOT / "conf"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """One bundled-MNIST cache for the whole session (built on first use)."""
    return tmp_path_factory.mktemp("data")


def compose_config(overrides: list[str], output_dir: Path, data_dir: Path) -> DictConfig:
    """Compose conf/train.yaml with ``overrides`` for an in-process run writing into ``output_dir``."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            config_name="train",
            overrides=["data.source=bundled", f"paths.data_dir={data_dir}", *overrides],
        )
    with open_dict(cfg):
        cfg.paths.output_dir = str(output_dir)
        cfg.paths.log_dir = str(output_dir)
        cfg.trainer.enable_progress_bar = False
    return cfg


@pytest.fixture
def make_cfg(tmp_path, data_dir):
    def make(*overrides: str, output_dir: Path | None = None) -> DictConfig:
        return compose_config(list(overrides), output_dir or tmp_path / "run", data_dir)

    return make


def run_train(args: list[str], tmp_path: Path, data_dir: Path, timeout: int = 300, **kwargs):
    """Run ``python train.py`` in a subprocess with outputs under ``tmp_path``; returns CompletedProcess."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **kwargs.pop("env", {})}
    flags = [a for a in args if a.startswith("-")]  # argparse wants -m before the overrides
    args = [a for a in args if not a.startswith("-")]
    command = [
        sys.executable, str(ROOT / "train.py"), *flags, "data.source=bundled", f"paths.data_dir={data_dir}",
        f"paths.log_dir={tmp_path / 'outputs'}", "trainer.enable_progress_bar=false", *args,
    ]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, **kwargs)


@pytest.fixture
def train_subprocess(tmp_path, data_dir):
    def run(*args: str, **kwargs):
        return run_train(list(args), tmp_path, data_dir, **kwargs)

    return run
