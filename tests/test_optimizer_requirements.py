"""What the training step needs of an optimizer: a step without a closure, and the book's weight decay applied
(trainlab/optimizer_requirements.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainlab.optimizer_requirements import check_first_step

OPTIONS = sorted(path.stem for path in (Path(__file__).parents[1] / "conf" / "optimizer").glob("*.yaml"))


def test_an_optimizers_own_weight_decay_is_refused_naming_model_weight_decay(train_in_process, tmp_path):
    result = train_in_process("optimizer=torch_sgd", "+optimizer.weight_decay=0.5", f"hydra.run.dir={tmp_path / 'r'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: optimizer.weight_decay=0.5 would not be applied: the classifier gives the optimizer model.weight_decay "
        "as its parameter groups' weight_decay (on Linear weights, not on biases), which replaces the optimizer's own; "
        "allowed: model.weight_decay=0.5 with optimizer.weight_decay unset or 0")
    assert not (tmp_path / "r").exists()


REFUSAL = ("error: optimizer.weight_decay={v} would not be applied: the classifier gives the optimizer "
           "model.weight_decay as its parameter groups' weight_decay (on Linear weights, not on biases), which "
           "replaces the optimizer's own; allowed: model.weight_decay={v} with optimizer.weight_decay unset or 0")


@pytest.mark.parametrize("chosen", [
    [], ["optimizer=adam"], ["optimizer=torch_adam"],
    ["optimizer=null", "+optimizer._target_=torch.optim.SGD", "+optimizer._partial_=true", "+optimizer.lr=0.1"]])
def test_an_optimizer_weight_decay_the_yaml_lacks_is_refused_naming_model_weight_decay_not_plus(
        train_in_process, tmp_path, chosen):
    # before: "optimizer.weight_decay: not in this config's optimizer (...); allowed: add it with
    # +optimizer.weight_decay=0.1" - advice whose command the refusal above answers in turn
    result = train_in_process(*chosen, "optimizer.weight_decay=0.1", f"hydra.run.dir={tmp_path / 'r'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == REFUSAL.format(v="0.1")
    added = train_in_process(*chosen, "+optimizer.weight_decay=0.1", f"hydra.run.dir={tmp_path / 'r'}")
    assert added.returncode == 2
    assert added.stderr.strip().splitlines()[-1] == REFUSAL.format(v="0.1")
    assert not (tmp_path / "r").exists()


def test_an_optimizer_weight_decay_the_yaml_sets_is_refused_as_the_command_line_one(make_cfg):
    from trainlab.errors import ConfigError
    from trainlab.optimizer_requirements import check_optimizer_key

    cfg = make_cfg("optimizer=torch_adam", "+optimizer.weight_decay=1e-3")
    with pytest.raises(ConfigError) as refused:
        check_optimizer_key(cfg)
    assert f"error: {refused.value}" == REFUSAL.format(v="0.001")
    check_optimizer_key(make_cfg("optimizer=torch_adam", "+optimizer.weight_decay=0"))  # 0 changes nothing


def test_an_optimizer_that_ignores_its_groups_decay_is_refused_when_decay_is_asked(train_in_process, tmp_path):
    own = ["optimizer=null", "+optimizer._target_=own_optimizers.NoDecaySGD", "+optimizer._partial_=true"]
    result = train_in_process(*own, "model.weight_decay=0.1", f"hydra.run.dir={tmp_path / 'r'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: model.weight_decay=0.1: optimizer own_optimizers.NoDecaySGD does not apply the weight decay of its "
        "parameter groups (a weight with a zero gradient stays where it was after two steps)")
    assert not (tmp_path / "r").exists()
    without_decay = train_in_process(*own, "debug=limit", f"hydra.run.dir={tmp_path / 'ok'}")
    assert without_decay.returncode == 0, without_decay.stderr[-2000:]


@pytest.mark.parametrize("option", OPTIONS)
def test_every_shipped_optimizer_applies_the_decay(make_cfg, option):
    check_first_step(make_cfg(f"optimizer={option}", "model.weight_decay=0.1"))  # raises if not


def test_an_optimizer_whose_step_needs_a_closure_is_refused_before_the_run(train_in_process, tmp_path):
    result = train_in_process("optimizer=null", "+optimizer._target_=torch.optim.LBFGS", "+optimizer._partial_=true",
                              f"hydra.run.dir={tmp_path / 'r'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: optimizer._target_=torch.optim.LBFGS: its step needs a closure that evaluates the loss again")
    assert not (tmp_path / "r").exists()  # before: a traceback at the first step, 'float() argument must be ...'


@pytest.mark.parametrize("launcher", [[], ["-m", "hydra/launcher=stacked", "+optimizer.lr=0.1,0.05"]])
def test_an_optimizer_whose_step_takes_no_closure_is_refused_alone_and_stacked(train_in_process, tmp_path, launcher):
    """Lightning calls ``step(closure=...)``: alone it failed at the first step in a traceback, stacked it trained
    (the stack calls ``step()`` itself) and each member failed when resumed alone."""
    result = train_in_process("optimizer=null", "+optimizer._target_=own_optimizers.ClosurelessSGD",
                              "+optimizer._partial_=true", *launcher,
                              f"hydra.sweep.dir={tmp_path / 's'}" if launcher else f"hydra.run.dir={tmp_path / 'r'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: optimizer._target_=own_optimizers.ClosurelessSGD: its step() takes no closure argument, and "
        "Lightning calls optimizer.step(closure=...) (the classifier's training step leaves the closure unused); "
        "allowed: def step(self, closure=None), torch.optim.Optimizer's signature")
    assert not (tmp_path / "r").exists() and not (tmp_path / "s").exists()


@pytest.mark.parametrize("option", OPTIONS)
def test_every_shipped_optimizer_steps_without_a_closure(make_cfg, option):
    from trainlab.optimizer_requirements import check_step_without_closure

    check_step_without_closure(make_cfg(f"optimizer={option}"))  # raises if not


@pytest.mark.parametrize("cls, error", [
    ("WrongKeywordSGD", "TypeError: WrongKeywordSGD.rule() got an unexpected keyword argument 'lr'"),
    ("NoScalarsSGD", "NotImplementedError: NoScalarsSGD defines no rule_scalars(self, group, state), which returns "
                     "the keyword arguments of its rule for this step (e.g. {'lr': group['lr']})"),
])
def test_an_optimizer_of_ones_own_that_fails_its_first_step_is_refused_before_the_run(train_in_process, tmp_path,
                                                                                     cls, error):
    """It failed at the run's first step, a traceback of 50-78 lines, with the run's files written."""
    result = train_in_process("optimizer=null", f"+optimizer._target_=own_optimizers.{cls}",
                              "+optimizer._partial_=true", f"hydra.run.dir={tmp_path / 'r'}")
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"error: optimizer own_optimizers.{cls} fails its first step (tried on a weight and a "
                           f"bias before the run): {error}"), line
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("target", ["own_optimizers.NamedGroupSGD", "own_optimizers.CudaOnlySGD",
                                    "own_optimizers.make_sgd", "own_optimizers.WarmupSGD"])
def test_legitimate_optimizers_of_ones_own_pass_the_checks(make_cfg, caplog, target):
    """Refused before: a group key the run gives (``name``) was missing from the probe's groups, and a kernel that
    exists only on the GPU failed on the CPU probe; a factory function made Hydra log an ERROR line; an optimizer
    warming its step size up from 0 moved nothing in the probe's one step and was told it ignores the decay."""
    from hydra.utils import instantiate

    from trainlab.optimizer_requirements import check_step_without_closure

    cfg = make_cfg(f"optimizer._target_={target}", "~optimizer.foreach", "~optimizer.compile",
                   "model.weight_decay=0.01" if target != "own_optimizers.CudaOnlySGD" else "model.weight_decay=0")
    instantiate(cfg.optimizer)  # it builds: the probe steps it (an optimizer that cannot be built is not probed)
    check_step_without_closure(cfg)
    check_first_step(cfg)
    assert "Error getting class" not in caplog.text


@pytest.mark.parametrize("written, extra", [("0.01", []), ("${model.weight_decay}", ["model.weight_decay=0.01"])])
def test_a_weight_decay_set_in_an_optimizers_yaml_is_refused_naming_that_yaml(train_in_process, tmp_path, written,
                                                                              extra):
    """The refusal said ``optimizer.weight_decay unset or 0``, a key the user never typed: the yaml set it (an
    interpolation there must not stop the check: read unresolved, it is the yaml's)."""
    (tmp_path / "conf" / "optimizer").mkdir(parents=True)
    yaml_file = tmp_path / "conf" / "optimizer" / "wd_sgd.yaml"
    yaml_file.write_text(f"_target_: torch.optim.SGD\n_partial_: true\nlr: 0.1\nweight_decay: {written}\n")
    result = train_in_process("--config-dir", str(tmp_path / "conf"), "optimizer=wd_sgd", *extra,
                              f"hydra.run.dir={tmp_path / 'r'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith(
        f"allowed: model.weight_decay=0.01 with weight_decay removed from {yaml_file}")
    assert not (tmp_path / "r").exists()
