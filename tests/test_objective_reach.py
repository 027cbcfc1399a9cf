"""When Lightning first validates and when a run stops, counted in batches (trainlab.callbacks.objective_reach)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from trainlab.callbacks.objective_reach import ObjectiveReachCheck, computed_by_validation
from trainlab.callbacks.objective_reach import trainer_counts as reach
from trainlab.errors import ConfigError


def trainer(**values):
    settings = dict(num_training_batches=40, val_check_batch=40, check_val_every_n_epoch=1, max_steps=-1,
                    max_epochs=10, global_step=0, accumulate_grad_batches=1, limit_val_batches=1.0, callbacks=[])
    return SimpleNamespace(**{**settings, **values})


@pytest.mark.parametrize(("values", "expected"), [
    ({}, (40, 400)),  # the end of the first epoch; ten epochs
    ({"max_steps": 20, "max_epochs": -1}, (40, 20)),  # experiment B's budget, shortened
    ({"check_val_every_n_epoch": 3, "max_epochs": 2}, (120, 80)),
    ({"val_check_batch": 10}, (10, 400)),  # val_check_interval=0.25
    ({"check_val_every_n_epoch": None, "val_check_batch": 100, "max_epochs": None, "max_steps": 90}, (100, 90)),
    ({"max_epochs": None, "max_steps": -1}, (40, math.inf)),
    ({"val_check_batch": None, "max_steps": 5}, None),  # val_check_interval="00:00:00:05": on a clock
])
def test_the_first_validation_and_the_last_batch(values, expected):
    assert reach(trainer(**values)) == expected


def test_the_check_refuses_a_budget_short_of_the_first_validation_and_leaves_others():
    check = ObjectiveReachCheck("val/acc")
    with pytest.raises(ConfigError, match=r"first runs after 120 steps .* allowed: a budget of at least 120 steps "
                                          r"\(trainer.max_epochs=3\)"):
        check.on_train_start(trainer(check_val_every_n_epoch=3, max_epochs=2), None)
    for fine in ({}, {"global_step": 5, "max_steps": 20}, {"accumulate_grad_batches": 2, "max_steps": 20},
                 {"limit_val_batches": 0, "max_steps": 20}, {"num_training_batches": 0},
                 {"val_check_batch": None, "max_steps": 5}):  # a time val_check_interval: not counted in batches
        check.on_train_start(trainer(**fine), None)  # no error: a budget that validates, or a run left alone


def test_only_validation_metrics_are_checked():
    assert computed_by_validation("val/acc") and computed_by_validation("eval/test_acc")
    assert computed_by_validation("val/acc_best")
    assert not computed_by_validation("train/loss") and not computed_by_validation(None)


def test_the_check_leaves_the_trainers_callbacks_once_it_has_run():
    """Checked once at the start: Lightning would call its (empty) hooks at every step otherwise."""
    check, other = ObjectiveReachCheck("val/acc"), object()
    fine = trainer(callbacks=[other, check])
    held = fine.callbacks
    check.on_train_start(fine, None)
    assert fine.callbacks == [other] and held == [other, check]  # a new list: the one Lightning iterates is intact
