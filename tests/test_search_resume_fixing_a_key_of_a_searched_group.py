"""A search resumed with a fixed override under a group the study searches (``optimizer=choice(sgd,adam)``, then
``optimizer.lr=0.5``): the group's keys are left out of the study's settings with it, so the resumed trials ran
with a setting the study's earlier trials did not have, unrefused. The study records those fixes apart
(:func:`trainlab.search.study_settings.searched_group_fixes`) and a resume must have the same ones."""

from __future__ import annotations

import os

import pytest
import test_optuna_search
from test_optuna_search import load, make_search

from trainlab.errors import ConfigError

#: the space: the optimizer group and one key beside it; the optimizer's keys are each option's own
SPACE = ["optimizer=choice(sgd,adam)", "model.weight_decay=interval(0, 1e-4)"]


@pytest.fixture(autouse=True)
def objective_without_lr(monkeypatch):
    """The launcher's objective reads optimizer.lr, which these trials do not search."""
    monkeypatch.setattr(test_optuna_search, "objective_of", lambda overrides: 0.5)


def run_group_search(sweep_dir, *overrides):
    search = make_search(sweep_dir, "hydra.sweeper.params=null", *overrides)
    return search.run([*search.config.hydra.overrides.task, *SPACE])  # as -m would


def snapshot(sweep_dir):
    return (sweep_dir / "optuna.journal").read_bytes(), sorted(os.listdir(sweep_dir))


@pytest.mark.slow  # ~4-6 s: two or three searches composed
def test_a_resume_that_fixes_a_key_of_a_searched_group_is_refused_naming_key_value_and_group(tmp_path):
    sweep = tmp_path / "s"
    run_group_search(sweep, "hydra.sweeper.n_trials=2")
    before = snapshot(sweep)
    with pytest.raises(ConfigError) as refused:
        run_group_search(sweep, "hydra.sweeper.n_trials=3", "resume_sweep=true", "optimizer.lr=0.5")
    assert str(refused.value) == (
        f"the study 'hparams_random' in {sweep / 'optuna.journal'} searched optimizer (each trial drew its option), "
        "and this search fixes optimizer.lr=0.5 in it, where the study's trials ran with optimizer.lr as each option "
        "of optimizer sets it: its trials would not be comparable with the study's. allowed: the study's own settings "
        "(the command without optimizer.lr=0.5), or a new hydra.sweep.dir for a search with optimizer.lr=0.5")
    assert snapshot(sweep) == before  # no trial asked, no file written
    assert len(load(sweep).trials) == 2


@pytest.mark.slow  # ~4-6 s: two or three searches composed
def test_a_resume_that_drops_or_changes_a_fix_in_a_searched_group_is_refused(tmp_path):
    sweep = tmp_path / "s"
    run_group_search(sweep, "hydra.sweeper.n_trials=2", "optimizer.lr=0.5")
    before = snapshot(sweep)
    with pytest.raises(ConfigError, match=r"searched optimizer \(each trial drew its option\), and this search fixes "
                                          r"optimizer.lr=0.1 in it, where the study's trials ran with optimizer.lr=0.5"
                                          r":.*allowed: the study's own settings \(optimizer.lr=0.5 as the study's "
                                          r"trials had it\)"):
        run_group_search(sweep, "hydra.sweeper.n_trials=3", "resume_sweep=true", "optimizer.lr=0.1")
    with pytest.raises(ConfigError, match=r"this search leaves optimizer.lr to each option of optimizer, where the "
                                          r"study's trials ran with optimizer.lr=0.5"):
        run_group_search(sweep, "hydra.sweeper.n_trials=3", "resume_sweep=true")
    assert snapshot(sweep) == before


@pytest.mark.slow  # ~4-6 s: two or three searches composed
def test_a_resume_with_the_same_fix_in_a_searched_group_goes_on_however_written(tmp_path):
    sweep = tmp_path / "s"
    run_group_search(sweep, "hydra.sweeper.n_trials=2", "optimizer.lr=0.5")
    run_group_search(sweep, "hydra.sweeper.n_trials=3", "resume_sweep=true", "optimizer.lr=0.5")  # the same command
    run_group_search(sweep, "hydra.sweeper.n_trials=4", "resume_sweep=true", "optimizer.lr=5e-1")
    assert len(load(sweep).trials) == 4


@pytest.mark.slow  # ~4 s on 2 cores, the Intel Xeon VM (make test-slow; the default run stays short)
def test_a_searched_key_of_a_searched_group_fixed_on_resume_is_refused_with_the_studys_space(tmp_path):
    """``optimizer.lr`` searched beside ``optimizer=choice(sgd,adam)``, then fixed: left out with the group, the
    refusal of a no-longer-searched key never saw it."""
    sweep = tmp_path / "s"
    first = make_search(sweep, "hydra.sweeper.n_trials=2")
    first.run([*first.config.hydra.overrides.task, "optimizer=choice(sgd,adam)"])
    again = make_search(sweep, "hydra.sweeper.n_trials=3", "resume_sweep=true", "optimizer.lr=0.5")
    with pytest.raises(ConfigError, match=r"searched optimizer \(each trial drew its option\), and this search fixes "
                                          r"optimizer.lr=0.5 in it, where the study's trials drew it each their own "
                                          r"\('optimizer.lr=tag\(log, interval\(1e-06, 0.01\)\)'\)"):
        again.run([*again.config.hydra.overrides.task, "optimizer=choice(sgd,adam)"])
    assert len(load(sweep).trials) == 2
