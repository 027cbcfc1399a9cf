"""A value of the wrong type for an argument a target annotates with a plain type (``scale: float``,
``channels: int``, ``float | None``) is refused before anything is written, in one line naming the key, the value
and the type. It raised inside the user's initializer or network, blamed on the whole node: ``init is invalid;
trainlab.init.my_init.my_init raised TypeError: can't multiply sequence by non-int of type 'float'``, ``model.net is
invalid; mylab.cnn.SmallCNN raised TypeError: not all arguments converted during string formatting``."""

from __future__ import annotations

import textwrap

import pytest
from omegaconf import OmegaConf

from trainlab.config_validation import check_keys
from trainlab.errors import ConfigError

TYPED = """\
    from __future__ import annotations  # string annotations: evaluated to be checked

    from typing import Optional

    import torch
    from torch import nn


    @torch.no_grad()
    def scaled(module: nn.Module, scale: float = 1.0) -> None:
        for layer in module.modules():
            if isinstance(layer, nn.Linear):
                layer.weight.mul_(scale)


    def optional_scale(module, scale: float | None = None, gain: Optional[int] = 1, name: str = "x",
                       flag: bool = False, either: int | str = 0, sloppy: float = None) -> None:
        pass


    def loose(module, scale=1.0, sizes: list[int] = (1,), undefined: NotDefinedAnywhere = 1, **kwargs) -> None:
        pass


    def kw_scaled(module, scale: float = 1.0, **kwargs) -> None:  # takes any key: one to interpolate from
        pass


    def eight() -> int:
        return 8


    class SmallCNN(nn.Module):
        def __init__(self, channels: int, kernel_size: int = 3) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, channels, kernel_size)
            self.head = nn.Linear(channels * (29 - kernel_size) ** 2, 10)

        def forward(self, x):
            return self.head(self.conv(x.view(-1, 1, 28, 28)).flatten(1))
"""


@pytest.fixture
def typed_module(tmp_path, monkeypatch):
    folder = tmp_path / "user_code"
    folder.mkdir()
    (folder / "f2_typed.py").write_text(textwrap.dedent(TYPED))
    monkeypatch.syspath_prepend(str(folder))
    return "f2_typed"


@pytest.fixture
def cnn_conf(tmp_path):
    """A config directory with ``model=f2_cnn``: the project's classifier around the user's ``SmallCNN``."""
    (tmp_path / "conf" / "model").mkdir(parents=True)
    (tmp_path / "conf" / "model" / "f2_cnn.yaml").write_text(
        "_target_: trainlab.models.classifier.MLPClassifier\nweight_decay: 0.0\nnum_classes: 10\n"
        "scheduler_monitor: val/loss\nnet:\n  _target_: f2_typed.SmallCNN\n  channels: 4\n  kernel_size: 3\n")
    return ["--config-dir", str(tmp_path / "conf"), "model=f2_cnn"]


def refusal(node: dict, key: str) -> str | None:
    """check_keys' refusal of the config ``{key: node}``; None where it passes."""
    cfg = OmegaConf.create({key: node})
    try:
        check_keys(cfg[key], key)
    except ConfigError as error:
        return str(error)
    return None


@pytest.mark.parametrize("node, key, line", [
    ({"_target_": "f2_typed.scaled", "_partial_": True, "scale": "abc"}, "init",
     "init.scale='abc' is invalid; allowed: a float (f2_typed.scaled's scale: float)"),
    ({"_target_": "f2_typed.scaled", "_partial_": True, "scale": True}, "init",
     "init.scale=true is invalid; allowed: a float (f2_typed.scaled's scale: float)"),
    ({"_target_": "f2_typed.optional_scale", "scale": "abc"}, "init",
     "init.scale='abc' is invalid; allowed: a float or null (f2_typed.optional_scale's scale: float | None)"),
    ({"_target_": "f2_typed.optional_scale", "gain": 1.5}, "init",
     "init.gain=1.5 is invalid; allowed: an integer or null (f2_typed.optional_scale's gain: Optional[int])"),
    ({"_target_": "f2_typed.optional_scale", "name": 3}, "init",
     "init.name=3 is invalid; allowed: a string (f2_typed.optional_scale's name: str)"),
    ({"_target_": "f2_typed.optional_scale", "flag": 1}, "init",
     "init.flag=1 is invalid; allowed: true or false (f2_typed.optional_scale's flag: bool)"),
    ({"_target_": "f2_typed.optional_scale", "either": 0.5}, "init",
     "init.either=0.5 is invalid; allowed: an integer or a string (f2_typed.optional_scale's either: int | str)"),
    ({"_target_": "f2_typed.optional_scale", "sloppy": "abc"}, "init",
     "init.sloppy='abc' is invalid; allowed: a float or null (f2_typed.optional_scale's sloppy: float)"),
    ({"net": {"_target_": "f2_typed.SmallCNN", "channels": "abc"}}, "model",
     "model.net.channels='abc' is invalid; allowed: an integer (f2_typed.SmallCNN's channels: int)"),
    ({"net": {"_target_": "f2_typed.SmallCNN", "channels": True}}, "model",
     "model.net.channels=true is invalid; allowed: an integer (f2_typed.SmallCNN's channels: int)"),
    ({"a": "abc", "net": {"_target_": "f2_typed.SmallCNN", "channels": "${model.a}"}}, "model",
     "model.net.channels='abc' is invalid; allowed: an integer (f2_typed.SmallCNN's channels: int)"),
    ({"_target_": "f2_typed.kw_scaled", "other": "abc", "scale": "${.other}"}, "init",  # checked by its value
     "init.scale='abc' is invalid; allowed: a float (f2_typed.kw_scaled's scale: float)"),
])
def test_a_value_of_another_type_than_the_annotation_is_refused_naming_key_value_and_type(typed_module, node, key,
                                                                                          line):
    assert refusal(node, key) == line


@pytest.mark.parametrize("node", [
    {"_target_": "f2_typed.scaled", "_partial_": True, "scale": 2},  # an integer for a float
    {"_target_": "f2_typed.scaled", "_partial_": True, "scale": 0.5},
    {"_target_": "f2_typed.scaled", "_partial_": True, "scale": "???"},  # missing: its own error, where it is read
    {"_target_": "f2_typed.kw_scaled", "other": 2, "scale": "${.other}"},  # an interpolation: its value is checked
    {"_target_": "f2_typed.optional_scale", "scale": None, "gain": None, "name": "y", "flag": True, "either": "a",
     "sloppy": None},
    {"_target_": "f2_typed.optional_scale", "either": 3, "sloppy": 1},
    {"_target_": "f2_typed.loose", "scale": "abc", "sizes": [1, 2], "undefined": "abc", "other": "anything"},
    {"_target_": "f2_typed.SmallCNN", "channels": {"_target_": "f2_typed.eight"}},  # a nested node: built
])
def test_values_that_work_are_not_refused(typed_module, node):
    """Unannotated parameters, ``**kwargs``, other annotations (``list[int]``) and annotations that do not evaluate
    (a name the module lacks) are not checked; nor are nested nodes, missing values and interpolations that resolve
    only in a run."""
    assert refusal(node, "init") is None


@pytest.mark.parametrize("node", [
    {"_target_": "f2_typed.optional_scale", "name": "${hydra:runtime.output_dir}"},  # a str once the run has one
    {"_target_": "f2_typed.kw_scaled", "scale": "${hydra:runtime.output_dir}"},
    {"_target_": "f2_typed.kw_scaled", "scale": "${.nowhere}"},  # resolves nowhere: its own check says
])
def test_an_interpolation_that_does_not_resolve_at_the_check_is_left_unchecked(typed_module, node):
    """Here no Hydra has composed the config, so ``${hydra:...}`` does not resolve: the check does not guess its
    value (a str annotation's or a float's alike)."""
    from trainlab.config_validation import check_argument_types

    check_argument_types(OmegaConf.create({"init": node}).init, "init")  # raises if checked


@pytest.mark.parametrize("overrides, line", [
    (["init=null", "+init._target_=f2_typed.scaled", "+init._partial_=true", "+init.scale=abc"],
     "error: init.scale='abc' is invalid; allowed: a float (f2_typed.scaled's scale: float)"),
    (["model=f2_cnn", "model.net.channels=abc"],
     "error: model.net.channels='abc' is invalid; allowed: an integer (f2_typed.SmallCNN's channels: int)"),
])
def test_a_run_is_refused_with_exit_status_2_and_writes_nothing(typed_module, cnn_conf, train_in_process, tmp_path,
                                                               overrides, line):
    run = tmp_path / "run"
    result = train_in_process(*cnn_conf[:2], *overrides, "trainer.max_epochs=1", f"hydra.run.dir={run}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == line
    assert not run.exists()


def test_a_network_and_an_initializer_given_the_right_types_train(typed_module, cnn_conf, train_in_process, tmp_path):
    result = train_in_process(*cnn_conf, "init=null", "+init._target_=f2_typed.scaled", "+init._partial_=true",
                              "+init.scale=2", "debug=limit", "test=false", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 0, result.stderr[-2000:]
