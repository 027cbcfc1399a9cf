"""A value of the wrong type for an argument a target annotates with a plain type (``scale: float``,
``channels: int``, ``float | None``) is refused before anything is written, in one line naming the key, the value
and the type. It raised inside the user's initializer or network, blamed on the whole node: ``init is invalid;
trainlab.init.my_init.my_init raised TypeError: can't multiply sequence by non-int of type 'float'``, ``model.net is
invalid; mylab.cnn.SmallCNN raised TypeError: not all arguments converted during string formatting``.

A swept value of another type than its target's annotation is refused before any job trains, whatever the
launcher (trainlab/sweep/first_job.py: ``key_checks_alike`` reads the kinds of the targets' argument values).

The argument type check (config_validation.check_argument_types) reads values, and joblib's and submitit's sweeps
left it to the jobs when their key names and ``_target_``s were alike: ``+init.scale=1.0,2.0,abc`` trained jobs 0
and 1, then refused job 2 in a line that named no job. The basic launcher refused it before anything ran.
"""

from __future__ import annotations

import textwrap

import pytest
from omegaconf import OmegaConf

from trainlab.config_validation import check_keys
from trainlab.errors import ConfigError
from trainlab.sweep.first_job import key_checks_alike

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
    (folder / "own_typed.py").write_text(textwrap.dedent(TYPED))
    monkeypatch.syspath_prepend(str(folder))
    return "own_typed"


@pytest.fixture
def cnn_conf(tmp_path):
    """A config directory with ``model=own_cnn``: the project's classifier around the user's ``SmallCNN``."""
    (tmp_path / "conf" / "model").mkdir(parents=True)
    (tmp_path / "conf" / "model" / "own_cnn.yaml").write_text(
        "_target_: trainlab.models.classifier.MLPClassifier\nweight_decay: 0.0\nnum_classes: 10\n"
        "scheduler_monitor: val/loss\nnet:\n  _target_: own_typed.SmallCNN\n  channels: 4\n  kernel_size: 3\n")
    return ["--config-dir", str(tmp_path / "conf"), "model=own_cnn"]


def refusal(node: dict, key: str) -> str | None:
    """check_keys' refusal of the config ``{key: node}``; None where it passes."""
    cfg = OmegaConf.create({key: node})
    try:
        check_keys(cfg[key], key)
    except ConfigError as error:
        return str(error)
    return None


@pytest.mark.parametrize("node, key, line", [
    ({"_target_": "own_typed.scaled", "_partial_": True, "scale": "abc"}, "init",
     "init.scale='abc' is invalid; allowed: a float (own_typed.scaled's scale: float)"),
    ({"_target_": "own_typed.scaled", "_partial_": True, "scale": True}, "init",
     "init.scale=true is invalid; allowed: a float (own_typed.scaled's scale: float)"),
    ({"_target_": "own_typed.optional_scale", "scale": "abc"}, "init",
     "init.scale='abc' is invalid; allowed: a float or null (own_typed.optional_scale's scale: float | None)"),
    ({"_target_": "own_typed.optional_scale", "gain": 1.5}, "init",
     "init.gain=1.5 is invalid; allowed: an integer or null (own_typed.optional_scale's gain: Optional[int])"),
    ({"_target_": "own_typed.optional_scale", "name": 3}, "init",
     "init.name=3 is invalid; allowed: a string (own_typed.optional_scale's name: str)"),
    ({"_target_": "own_typed.optional_scale", "flag": 1}, "init",
     "init.flag=1 is invalid; allowed: true or false (own_typed.optional_scale's flag: bool)"),
    ({"_target_": "own_typed.optional_scale", "either": 0.5}, "init",
     "init.either=0.5 is invalid; allowed: an integer or a string (own_typed.optional_scale's either: int | str)"),
    ({"_target_": "own_typed.optional_scale", "sloppy": "abc"}, "init",
     "init.sloppy='abc' is invalid; allowed: a float or null (own_typed.optional_scale's sloppy: float)"),
    ({"net": {"_target_": "own_typed.SmallCNN", "channels": "abc"}}, "model",
     "model.net.channels='abc' is invalid; allowed: an integer (own_typed.SmallCNN's channels: int)"),
    ({"net": {"_target_": "own_typed.SmallCNN", "channels": True}}, "model",
     "model.net.channels=true is invalid; allowed: an integer (own_typed.SmallCNN's channels: int)"),
    ({"a": "abc", "net": {"_target_": "own_typed.SmallCNN", "channels": "${model.a}"}}, "model",
     "model.net.channels='abc' is invalid; allowed: an integer (own_typed.SmallCNN's channels: int)"),
    ({"_target_": "own_typed.kw_scaled", "other": "abc", "scale": "${.other}"}, "init",  # checked by its value
     "init.scale='abc' is invalid; allowed: a float (own_typed.kw_scaled's scale: float)"),
    ({"_target_": "own_typed.scaled", "_partial_": True, "scale": [0.9]}, "init",  # a list is no float
     "init.scale=[0.9] is invalid; allowed: a float (own_typed.scaled's scale: float)"),
    ({"_target_": "own_typed.optional_scale", "gain": {"a": 1}}, "init",  # nor a mapping without _target_
     "init.gain={a: 1} is invalid; allowed: an integer or null (own_typed.optional_scale's gain: Optional[int])"),
])
def test_a_value_of_another_type_than_the_annotation_is_refused_naming_key_value_and_type(typed_module, node, key,
                                                                                          line):
    assert refusal(node, key) == line


@pytest.mark.parametrize("node", [
    {"_target_": "own_typed.scaled", "_partial_": True, "scale": 2},  # an integer for a float
    {"_target_": "own_typed.scaled", "_partial_": True, "scale": 0.5},
    {"_target_": "own_typed.scaled", "_partial_": True, "scale": "???"},  # missing: its own error, where it is read
    {"_target_": "own_typed.kw_scaled", "other": 2, "scale": "${.other}"},  # an interpolation: its value is checked
    {"_target_": "own_typed.optional_scale", "scale": None, "gain": None, "name": "y", "flag": True, "either": "a",
     "sloppy": None},
    {"_target_": "own_typed.optional_scale", "either": 3, "sloppy": 1},
    {"_target_": "own_typed.loose", "scale": "abc", "sizes": [1, 2], "undefined": "abc", "other": "anything"},
    {"_target_": "own_typed.SmallCNN", "channels": {"_target_": "own_typed.eight"}},  # a nested node: built
])
def test_values_that_work_are_not_refused(typed_module, node):
    """Unannotated parameters, ``**kwargs``, other annotations (``list[int]``) and annotations that do not evaluate
    (a name the module lacks) are not checked; nor are nested nodes, missing values and interpolations that resolve
    only in a run."""
    assert refusal(node, "init") is None


@pytest.mark.parametrize("node", [
    {"_target_": "own_typed.optional_scale", "name": "${hydra:runtime.output_dir}"},  # a str once the run has one
    {"_target_": "own_typed.kw_scaled", "scale": "${hydra:runtime.output_dir}"},
    {"_target_": "own_typed.kw_scaled", "scale": "${.nowhere}"},  # resolves nowhere: its own check says
])
def test_an_interpolation_that_does_not_resolve_at_the_check_is_left_unchecked(typed_module, node):
    """Here no Hydra has composed the config, so ``${hydra:...}`` does not resolve: the check does not guess its
    value (a str annotation's or a float's alike)."""
    from trainlab.config_validation import check_argument_types

    check_argument_types(OmegaConf.create({"init": node}).init, "init")  # raises if checked


@pytest.mark.parametrize("overrides, line", [
    (["init=null", "+init._target_=own_typed.scaled", "+init._partial_=true", "+init.scale=abc"],
     "error: init.scale='abc' is invalid; allowed: a float (own_typed.scaled's scale: float)"),
    (["model=own_cnn", "model.net.channels=abc"],
     "error: model.net.channels='abc' is invalid; allowed: an integer (own_typed.SmallCNN's channels: int)"),
])
def test_a_run_is_refused_with_exit_status_2_and_writes_nothing(typed_module, cnn_conf, train_in_process, tmp_path,
                                                               overrides, line):
    run = tmp_path / "run"
    result = train_in_process(*cnn_conf[:2], *overrides, "trainer.max_epochs=1", f"hydra.run.dir={run}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == line
    assert not run.exists()


def test_a_network_and_an_initializer_given_the_right_types_train(typed_module, cnn_conf, train_in_process, tmp_path):
    result = train_in_process(*cnn_conf, "init=null", "+init._target_=own_typed.scaled", "+init._partial_=true",
                              "+init.scale=2", "debug=limit", "test=false", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 0, result.stderr[-2000:]


def jobs(*inits: dict) -> list:
    return [OmegaConf.create({"seed": 1, "init": init, "optimizer": {"_target_": "torch.optim.SGD", "lr": 0.1}})
            for init in inits]


def test_values_of_another_kind_make_the_jobs_differ():
    user = {"_target_": "own_typed.scaled", "_partial_": True}
    assert not key_checks_alike(jobs({**user, "scale": 1.0}, {**user, "scale": "abc"}))
    assert not key_checks_alike(jobs({**user, "scale": 1}, {**user, "scale": 1.5}))  # channels: int refuses 1.5
    assert not key_checks_alike(jobs({**user, "scale": 1.0}, {**user, "scale": None}))
    assert key_checks_alike(jobs({**user, "scale": 1.0}, {**user, "scale": 2.0}))
    he = {"_target_": "trainlab.init.he.he_init", "_partial_": True}
    assert key_checks_alike(jobs({**he, "gain": 1}, {**he, "gain": 2.5}))  # trainlab's: numbers alike, no torch
    assert not key_checks_alike(jobs({**he, "gain": 1}, {**he, "gain": "abc"}))
    sweep = [OmegaConf.create({"optimizer": {"_target_": "torch.optim.SGD", "lr": lr}}) for lr in (0.1, 1)]
    assert key_checks_alike(sweep)
    plain = [OmegaConf.create({"data": {"batch_size": size}}) for size in (32, "abc")]
    assert key_checks_alike(plain)  # no _target_ there: no annotation to check (the value rules are the command's)


@pytest.fixture
def scaled_init(typed_module) -> list[str]:
    return ["init=null", f"+init._target_={typed_module}.scaled", "+init._partial_=true"]


def test_a_joblib_sweep_with_a_value_of_another_type_is_refused_before_any_job(scaled_init, train_in_process,
                                                                               tmp_path):
    sweep_dir = tmp_path / "sweep"
    result = train_in_process("-m", "debug=limit", "hydra/launcher=joblib", "hydra.launcher.n_jobs=1", *scaled_init,
                              "+init.scale=1.0,2.0,abc", f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 2, result.stderr[-2000:]
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: init.scale='abc' is invalid; allowed: a float (own_typed.scaled's scale: float) "
                           "(in job 2_"), line
    assert line.endswith("+init.scale=abc,data.source=bundled,~init=null of the sweep; no job was run)"), line
    assert not sweep_dir.exists()  # before: jobs 0 and 1 trained there
