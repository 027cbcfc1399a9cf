"""``optimizer.weight_decay`` set on an optimizer whose yaml leaves it out: refused naming ``model.weight_decay``
exactly when ``+optimizer.weight_decay`` would be refused too - a non-zero number, or a sweep with one among its
values - and otherwise the ``+`` way out (trainlab/group_options.py, trainlab/optimizer_requirements.py)."""

from __future__ import annotations

import pytest

from trainlab.optimizer_requirements import override_values, refused_weight_decay

REFUSAL = ("error: optimizer.weight_decay={v} would not be applied: the classifier gives the optimizer "
           "model.weight_decay as its parameter groups' weight_decay (on Linear weights, not on biases), which "
           "replaces the optimizer's own; allowed: model.weight_decay={v} with optimizer.weight_decay unset or 0")
ADD = ("error: optimizer.weight_decay: not in this config's optimizer (its keys: lr, foreach, compile), but its "
       "trainlab.optim.sgd.SGD takes it; allowed: add it with ++optimizer.weight_decay={v}")


@pytest.mark.parametrize("value", ["0", "null", "abc"])
def test_a_weight_decay_the_refusal_lets_through_is_told_to_be_added_with_plus(train_in_process, tmp_path, value):
    # before: "optimizer.weight_decay=0 would not be applied ...; allowed: model.weight_decay=0 with
    # optimizer.weight_decay unset or 0" - refusing a 0 that +optimizer.weight_decay=0 is allowed to set
    result = train_in_process("optimizer=sgd", f"optimizer.weight_decay={value}", f"hydra.run.dir={tmp_path / 'r'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == ADD.format(v=value)
    assert not (tmp_path / "r").exists()


def test_a_non_zero_weight_decay_is_refused_naming_model_weight_decay(train_in_process, tmp_path):
    result = train_in_process("optimizer=sgd", "optimizer.weight_decay=0.1", f"hydra.run.dir={tmp_path / 'r'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == REFUSAL.format(v="0.1")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(("sweep", "expected"), [("0,0.1", REFUSAL.format(v="0,0.1")), ("0,0", ADD.format(v="0,0"))])
def test_a_sweep_is_refused_when_one_of_its_values_is(train_in_process, tmp_path, sweep, expected):
    # job 1 composes with the sweep's first value, 0: its + advice would start a sweep whose job 2 is refused
    result = train_in_process("-m", "optimizer=sgd", f"optimizer.weight_decay={sweep}",
                              f"hydra.sweep.dir={tmp_path / 's'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == expected
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(("value", "refused"), [(0, False), (0.0, False), (None, False), ("abc", False),
                                                (False, False), (True, False), (0.1, True), (-1, True), (1e-5, True)])
def test_the_one_rule_refuses_a_non_zero_number(value, refused):
    assert refused_weight_decay(value) is refused


def test_override_values_are_typed_as_hydra_types_them():
    assert override_values("optimizer.weight_decay=0") == [0]
    assert override_values("optimizer.weight_decay=null") == [None]
    assert override_values("optimizer.weight_decay=0,0.1") == [0, 0.1]
    assert override_values("optimizer.weight_decay=range(0,2)") == [0, 1]
    assert override_values("optimizer.weight_decay=interval(0,1)") is None
