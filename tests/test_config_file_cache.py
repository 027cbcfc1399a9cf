"""The test session's memo of parsed YAML (tests/config_file_cache.py) must never change what a composition sees:
a file edited between two compositions is read afresh, a file that does not parse fails each time as
``OmegaConf.load`` fails (naming the file), and each load is a copy of its own."""

from __future__ import annotations

import config_file_cache
import pytest
import yaml
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf


def composed(conf_dir, *overrides):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(conf_dir), version_base="1.3"):
        return compose("train", overrides=list(overrides))


def test_the_memo_is_what_this_session_loads_with():
    assert OmegaConf.load is config_file_cache.load


def test_a_config_file_edited_between_two_compositions_is_read_afresh(tmp_path):
    (tmp_path / "optimizer").mkdir()
    (tmp_path / "train.yaml").write_text("defaults:\n  - optimizer: sgd\n  - _self_\nseed: 1\n")
    (tmp_path / "optimizer" / "sgd.yaml").write_text("lr: 0.01\n")
    assert (composed(tmp_path).seed, composed(tmp_path).optimizer.lr) == (1, 0.01)
    (tmp_path / "optimizer" / "sgd.yaml").write_text("lr: 0.02\n")  # same size, same second
    (tmp_path / "train.yaml").write_text("defaults:\n  - optimizer: sgd\n  - _self_\nseed: 2\n")
    config = composed(tmp_path)
    assert (config.seed, config.optimizer.lr) == (2, 0.02)
    assert "defaults" not in config  # Hydra took it from its own copy of train.yaml, each time


def test_a_file_that_does_not_parse_fails_each_time_naming_the_file(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("lr: 0.1\n\tmomentum: 0.9\n")
    for _ in range(2):
        with pytest.raises(yaml.YAMLError) as error:
            OmegaConf.load(broken)
        assert str(broken) in str(error.value)


def test_each_load_is_a_copy_of_its_own(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("net:\n  hidden_sizes: [100, 100]\n")
    first = OmegaConf.load(path)
    first.net.hidden_sizes.append(7)
    with open(path, encoding="utf-8") as file:
        assert OmegaConf.load(file).net.hidden_sizes == [100, 100]
    assert OmegaConf.load(path).net.hidden_sizes == [100, 100]
