"""The stacked launcher's check of an optimizer of one's own: does it step stacked members as their lone runs?"""

from __future__ import annotations

import functools
import json

import pytest
import torch
from own_optimizers import (
    AlphaSGD,
    DoubledForeachSGD,
    LargeTensorsNormalisedSGD,
    NormSGD,
    PlainSGD,
    SignSGD,
    SqrtLrSGD,
)

from trainlab.optim.adam import Adam
from trainlab.stacked.optimizer_probe import stacking_problem


@pytest.mark.parametrize("cls, weight_decay", [(PlainSGD, 0.0), (PlainSGD, 0.1), (SignSGD, 0.0), (SignSGD, 0.1)])
def test_an_element_wise_update_of_ones_own_stacks(cls, weight_decay):
    assert stacking_problem(functools.partial(cls, lr=0.05), weight_decay) is None


def test_an_update_that_mixes_a_tensors_elements_runs_alone():
    problem = stacking_problem(functools.partial(NormSGD, lr=0.05), 0.0)
    assert problem.startswith("optimizer own_optimizers.NormSGD does not update stacked members as their lone runs "
                              "(they differ by ")
    assert problem.endswith("after 3 steps: an update that mixes a tensor's elements - a norm, a mean, factored "
                            "statistics - would mix the members)")


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_a_foreach_path_that_disagrees_with_the_rule_is_named_not_called_mixing(weight_decay):
    """A stack steps with the rule, a lone run with update_foreach: where the two disagree, the stack differs from
    the lone runs - and the reason given was an update that mixes a tensor's elements, which this one does not."""
    problem = stacking_problem(functools.partial(DoubledForeachSGD, lr=0.05), weight_decay)
    assert problem.startswith("optimizer own_optimizers.DoubledForeachSGD does not update stacked members as their "
                              "lone runs: its update_foreach and its rule disagree on a lone parameter (they differ "
                              "by "), problem
    assert problem.endswith("after 3 steps), and a stack steps with the rule, a lone run with update_foreach "
                            "(foreach=true); make update_foreach compute what rule does (docs/extending.md)"), problem
    assert "mixes" not in problem
    # with foreach=false its lone runs step with the rule too: they stack
    assert stacking_problem(functools.partial(DoubledForeachSGD, lr=0.05, foreach=False), weight_decay) is None


def test_an_update_that_mixes_the_elements_of_large_tensors_only_runs_alone():
    """Tried on a 4x3 layer alone, an optimizer that normalises tensors of 4,096 elements or more stacked: its
    members trained apart from their lone runs (val/acc 0.46 stacked, 0.62 alone) without a word."""
    problem = stacking_problem(functools.partial(LargeTensorsNormalisedSGD, lr=0.05), 0.0)
    assert problem is not None and "does not update stacked members as their lone runs" in problem, problem


@pytest.mark.parametrize("cls, error", [
    (AlphaSGD, "TypeError: add_(): argument 'alpha' must be Number"),
    (SqrtLrSGD, "ValueError: only one element tensors can be converted to Python scalars")])
def test_a_rule_that_needs_its_hyperparameters_as_python_numbers_runs_alone(cls, error):
    problem = stacking_problem(functools.partial(cls, lr=0.05), 0.0)
    assert problem.startswith(f"optimizer own_optimizers.{cls.__name__} fails on stacked members ({error}"), problem
    # the torch error alone did not say the way out docs/extending.md gives
    assert problem.endswith("; where its rule uses a hyper-parameter as a Python number, write it as arithmetic to "
                            "stack it - lr * grad, lr ** 0.5, not alpha=lr or math.sqrt(lr) (docs/extending.md)")


@pytest.mark.skipif(not hasattr(torch.optim, "Adafactor"), reason="torch.optim.Adafactor: torch >= 2.5")
def test_torchs_factored_adafactor_runs_alone():
    assert stacking_problem(functools.partial(torch.optim.Adafactor, lr=0.01), 0.0) is not None


def test_the_projects_and_torchs_tested_optimizers_are_not_tried_again(monkeypatch):
    from trainlab.stacked import optimizer_probe

    monkeypatch.setattr(optimizer_probe, "stacked_minus_lone", lambda *args: pytest.fail("tried"))
    for factory in (functools.partial(Adam, lr=0.001), functools.partial(torch.optim.SGD, lr=0.1),
                    functools.partial(torch.optim.AdamW, lr=0.1)):
        assert stacking_problem(factory, 0.1) is None


@pytest.mark.parametrize("cls, start", [
    (NormSGD, "does not update stacked members as their lone runs"), (AlphaSGD, "fails on stacked members")])
def test_an_optimizer_of_ones_own_inside_trainlab_optim_is_tried_too(cls, start):
    """docs/extending.md's example puts a user's optimizer in src/trainlab/optim/: the check skipped every class there,
    so a normalised SGD trained its stack to other numbers than its lone runs without a word."""
    inside = type(cls.__name__, (cls,), {"__module__": "trainlab.optim.my_norm"})
    problem = stacking_problem(functools.partial(inside, lr=0.05), 0.0)
    assert problem is not None and problem.startswith(f"optimizer trainlab.optim.my_norm.{cls.__name__} {start}"), \
        problem


@pytest.mark.slow  # ~4 s on 2 cores, the Intel Xeon VM (make test-slow; the default run stays short)
def test_a_stacked_sweep_runs_such_an_optimizers_jobs_alone_with_the_lone_numbers(train_in_process, tmp_path):
    sweep = tmp_path / "sweep"
    common = ["debug=limit", "optimizer=null", "+optimizer._target_=own_optimizers.NormSGD",
              "+optimizer._partial_=true"]
    result = train_in_process("-m", *common, "+optimizer.lr=0.1,0.05", "hydra/launcher=stacked",
                              f"hydra.sweep.dir={sweep}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "#0 runs alone: optimizer own_optimizers.NormSGD does not update stacked members as their lone runs" in \
        result.stdout
    lone = train_in_process(*common, "+optimizer.lr=0.05", f"hydra.run.dir={tmp_path / 'lone'}")
    assert lone.returncode == 0, lone.stderr[-3000:]
    (second_job,) = sweep.glob("1_*")
    status = [json.loads((directory / "status.json").read_text())["metrics"] for directory in (second_job,
                                                                                                tmp_path / "lone")]
    assert status[0]["val/acc"] == status[1]["val/acc"] and status[0]["train/loss"] == status[1]["train/loss"]


def test_every_numeric_hyperparameter_is_tried_per_member_not_only_lr():
    """A rule that needs its momentum as a Python number passed a probe that varied lr alone, then failed every
    member of a stack whose members differed in momentum."""
    from own_optimizers import MomentumAlphaSGD

    problem = stacking_problem(functools.partial(MomentumAlphaSGD, lr=0.05, momentum=0.9), 0.0)
    assert problem.startswith("optimizer own_optimizers.MomentumAlphaSGD fails on stacked members (TypeError: "), \
        problem


def test_a_numeric_argument_that_switches_a_path_on_is_probed_with_its_own_value():
    """The probe's answer was remembered by class and switches alone: max_norm=0 (element-wise) answered for 0.5."""
    from own_optimizers import ClipSGD

    assert stacking_problem(functools.partial(ClipSGD, lr=0.1, max_norm=0.0), 0.0) is None
    assert stacking_problem(functools.partial(ClipSGD, lr=0.1, max_norm=0.5), 0.0) is not None


def test_a_nan_difference_is_a_difference_wherever_it_stands():
    """Python's max keeps or drops a NaN by its place: a NaN difference beside finite ones passed for none."""
    from trainlab.stacked.optimizer_probe import largest

    assert largest([0.0, float("nan")]) == float("inf") == largest([float("nan"), 0.0])
    assert largest([1e-9, 2e-9]) == 2e-9 and largest([]) == 0.0
