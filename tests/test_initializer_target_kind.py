"""An ``init._target_`` that is no initializer of the network - an optimizer class, one of ``torch.nn.init``'s
tensor functions - is told what an initializer is, before anything is built.

They were ``init is invalid; trainlab.optim.sgd.SGD raised TypeError: optimizer can only optimize Tensors, ...`` and
``init is invalid; torch.nn.init.kaiming_normal_ raised AttributeError: 'MLP' object has no attribute 'shape'``.
"""

from __future__ import annotations

import pytest
from conftest import CONF_DIR

EXAMPLE = "docs/extending.md's example, like conf/init/he.yaml with trainlab/init/he.py"


@pytest.fixture
def init_conf(tmp_path):
    """A --config-dir whose init/ holds an optimizer's yaml (sgd_opt) and a torch.nn.init function (kaiming_t)."""
    conf = tmp_path / "my_conf"
    (conf / "init").mkdir(parents=True)
    (conf / "init" / "sgd_opt.yaml").write_text("_target_: trainlab.optim.sgd.SGD\n_partial_: true\nlr: 0.01\n")
    (conf / "init" / "kaiming_t.yaml").write_text(
        "_target_: torch.nn.init.kaiming_normal_\n_partial_: true\nnonlinearity: relu\n")
    return conf


def test_an_optimizers_yaml_in_the_init_group_says_to_move_it_to_the_optimizer_group(train_in_process, init_conf,
                                                                                    tmp_path):
    run = tmp_path / "run"
    result = train_in_process("--config-dir", str(init_conf), "init=sgd_opt", "debug=limit", f"hydra.run.dir={run}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: init._target_=trainlab.optim.sgd.SGD is an optimizer (a torch.optim.Optimizer subclass), not an "
        f"initializer; allowed: move {init_conf / 'init' / 'sgd_opt.yaml'} to "
        f"{init_conf / 'optimizer' / 'sgd_opt.yaml'} and choose it with optimizer=sgd_opt, and as init a function "
        f"that takes the network and writes its weights in place ({EXAMPLE})")
    assert not run.exists()


def test_an_optimizer_class_set_as_init_on_the_command_line_names_the_optimizer_key(train_in_process, tmp_path):
    result = train_in_process("init=null", "+init._target_=torch.optim.Adam", "+init._partial_=true", "debug=limit",
                              f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: init._target_=torch.optim.Adam is an optimizer (a torch.optim.Optimizer subclass), not an "
        "initializer; allowed: optimizer=torch_adam (the option that builds it), and as init a function that takes "
        f"the network and writes its weights in place ({EXAMPLE})")


def test_an_optimizer_class_set_over_a_real_initializer_names_the_optimizer_key_not_the_initializers_file(
        train_in_process, tmp_path):
    # init=he's yaml is a right initializer: only the command line's _target_ is wrong, so moving he.yaml is no cure
    result = train_in_process("init=he", "init._target_=torch.optim.Adam", "debug=limit",
                              f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: init._target_=torch.optim.Adam is an optimizer (a torch.optim.Optimizer subclass)"
                           ", not an initializer; allowed: optimizer=torch_adam (the option that builds it)"), line
    assert "move " not in line and "optimizer=he" not in line


# conf/init's options (an initializer of one's own added there included) and the fixture's sgd_opt
INIT_OPTIONS = ", ".join(sorted({path.stem for path in (CONF_DIR / "init").glob("*.yaml")} | {"sgd_opt"}))


def test_a_torch_tensor_initializer_as_init_says_an_initializer_receives_the_whole_network(train_in_process,
                                                                                           init_conf, tmp_path):
    run = tmp_path / "run"
    result = train_in_process("--config-dir", str(init_conf), "init=kaiming_t", "debug=limit",
                              f"hydra.run.dir={run}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: init._target_=torch.nn.init.kaiming_normal_ initialises one tensor, and an initializer receives the "
        "whole network (the classifier calls init(net)); allowed: a function of the network that applies it to each "
        f"layer's weight ({EXAMPLE}), or init=<option> ({INIT_OPTIONS})")
    assert not run.exists()


@pytest.mark.parametrize("folder, yaml_text, choice, line", [
    ("scheduler", "_target_: trainlab.optim.momentum.Momentum\n_partial_: true\nlr: 0.01\nmomentum: 0.9\n",
     "scheduler=mom",
     "error: scheduler._target_=trainlab.optim.momentum.Momentum is an optimizer (a torch.optim.Optimizer subclass), "
     "not a learning-rate schedule; allowed: move {conf}/scheduler/mom.yaml to {conf}/optimizer/mom.yaml and choose "
     "it with optimizer=mom, and as scheduler a torch.optim.lr_scheduler class (conf/scheduler/)"),
    ("optimizer", "_target_: torch.optim.lr_scheduler.StepLR\n_partial_: true\nstep_size: 2\n", "optimizer=steps",
     "error: optimizer._target_=torch.optim.lr_scheduler.StepLR is a learning-rate schedule (a torch.optim.lr_scheduler"
     " class), not an optimizer; allowed: move {conf}/optimizer/steps.yaml to {conf}/scheduler/steps.yaml and choose "
     "it with scheduler=steps, and as optimizer a torch.optim.Optimizer subclass (conf/optimizer/)"),
    ("init", "_target_: torch.optim.lr_scheduler.StepLR\n_partial_: true\nstep_size: 2\n", "init=steps",
     "error: init._target_=torch.optim.lr_scheduler.StepLR is a learning-rate schedule (a torch.optim.lr_scheduler "
     "class), not an initializer; allowed: move {conf}/init/steps.yaml to {conf}/scheduler/steps.yaml and choose it "
     f"with scheduler=steps, and as init a function that takes the network and writes its weights in place "
     f"({EXAMPLE})"),
])
def test_a_yaml_in_another_groups_folder_says_where_to_move_it(train_in_process, tmp_path, folder, yaml_text, choice,
                                                               line):
    """An optimizer's yaml in conf/scheduler/ was ``scheduler is invalid; ... raised TypeError: 'SGD' object is not
    iterable``; a schedule's in conf/optimizer/ was told it is no optimizer, not where it goes."""
    conf = tmp_path / "my_conf"
    (conf / folder).mkdir(parents=True)
    (conf / folder / f"{choice.split('=')[1]}.yaml").write_text(yaml_text)
    result = train_in_process("--config-dir", str(conf), choice, "debug=limit", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == line.format(conf=conf)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("target, way", [
    ("torch.optim.lr_scheduler.StepLR", "scheduler=step (the option that builds it)"),
    ("torch.optim.lr_scheduler.CyclicLR", "a yaml of conf/scheduler/ with _target_: torch.optim.lr_scheduler.CyclicLR, "
                                          "chosen with scheduler=<its name>"),
])
def test_a_schedule_set_as_the_optimizer_on_the_command_line_is_told_the_option_or_a_yaml(train_in_process, tmp_path,
                                                                                         target, way):
    """With the default scheduler=null, ``scheduler._target_=...`` (what it said) sets no key: it was refused next."""
    result = train_in_process(f"optimizer._target_={target}", "debug=limit", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: optimizer._target_={target} is a learning-rate schedule (a torch.optim.lr_scheduler class), not an "
        f"optimizer; allowed: {way}, and as optimizer a torch.optim.Optimizer subclass (conf/optimizer/)")


MY_INIT = """\
import math

import torch
from torch import nn


@torch.no_grad()
def my_init(module: nn.Module, scale: float = 1.0) -> None:
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            bound = scale * math.sqrt(3.0 / layer.in_features)
            layer.weight.uniform_(-bound, bound)
            layer.bias.zero_()
"""


def test_an_initializers_yaml_in_the_optimizer_group_says_to_move_it_to_the_init_group(train_in_process, tmp_path,
                                                                                       monkeypatch):
    """It was ``optimizer is invalid; my_init.my_init raised AttributeError: 'list' object has no attribute
    'modules'``: the initializer was handed the parameter groups, and nothing said where its yaml goes."""
    code = tmp_path / "user_code"
    code.mkdir()
    (code / "own_init.py").write_text(MY_INIT)
    monkeypatch.syspath_prepend(str(code))
    conf = tmp_path / "my_conf"
    (conf / "optimizer").mkdir(parents=True)
    (conf / "optimizer" / "init_as_opt.yaml").write_text("_target_: own_init.my_init\n_partial_: true\nscale: 1.0\n")
    run = tmp_path / "run"
    result = train_in_process("--config-dir", str(conf), "optimizer=init_as_opt", "debug=limit",
                              f"hydra.run.dir={run}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: optimizer._target_=own_init.my_init is an initializer (a function that takes the network), not an "
        f"optimizer; allowed: move {conf / 'optimizer' / 'init_as_opt.yaml'} to {conf / 'init' / 'init_as_opt.yaml'} "
        "and choose it with init=init_as_opt, and as optimizer a torch.optim.Optimizer subclass (conf/optimizer/)")
    assert not run.exists()


def test_trainlabs_initializer_set_as_the_schedule_names_its_option(train_in_process, tmp_path):
    result = train_in_process("scheduler=null", "+scheduler._target_=trainlab.init.he.he_init",
                              "+scheduler._partial_=true", "debug=limit", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: scheduler._target_=trainlab.init.he.he_init is an initializer (a function that takes the network), not "
        "a learning-rate schedule; allowed: init=he (the option that builds it), and as scheduler a "
        "torch.optim.lr_scheduler class (conf/scheduler/)")


def test_an_optimizer_factory_function_is_no_initializer():
    """A function of the parameters that returns an optimizer is left to the optimizer's own checks."""
    from trainlab.misplaced_options import is_initializer

    def make_sgd(params, lr: float = 0.1):
        import torch

        return torch.optim.SGD(params, lr=lr)

    assert not is_initializer(make_sgd)
    from trainlab.init.he import he_init

    assert is_initializer(he_init)
