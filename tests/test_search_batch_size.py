"""``hydra.sweeper.n_jobs``: batches that let the search's sampler use its model (trainlab.search.batch_size).

``hparams_search=random hydra/sweeper/optuna_sampler=cmaes`` (and ``=gp``) asked all trials in one batch
(``n_jobs: 100``), before any had finished, so CMA-ES and GP drew every trial with their independent sampler - the
very parameters of the random search - and nothing said so.
"""

from __future__ import annotations

import math

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from hydra_plugins.trainlab_optuna_sweeper.config import SAMPLERS
from trainlab.errors import ConfigError
from trainlab.search.batch_size import batch_size, parse_n_jobs
from trainlab.search.sampler_factory import build_sampler, sampler_spec

SPACE = {"optimizer.lr": FloatDistribution(1e-6, 1e-2, log=True),
         "model.weight_decay": FloatDistribution(1e-8, 1e-4, log=True)}


def sizes(sampler: dict, n_jobs="auto", left: int = 100, completed: int = 0, space=None) -> list[int]:
    return batch_size(n_jobs, sampler_spec(sampler), space or SPACE).batches(left, completed)


@pytest.mark.parametrize(("sampler", "expected"), [
    ({"_target_": "optuna.samplers.RandomSampler"}, [100]),  # draws independent of results: one stacked model
    ({"_target_": "optuna.samplers.QMCSampler"}, [100]),
    ({"_target_": "optuna.samplers.TPESampler"}, [10] * 10),  # its 10 start-up trials, then batches of 10
    ({"_target_": "optuna.samplers.GPSampler", "n_startup_trials": 4}, [4] + [10] * 9 + [6]),
    ({"_target_": "optuna.samplers.CmaEsSampler"}, [1] + [6] * 16 + [3]),  # 1 start-up trial, then generations
    ({"_target_": "optuna.samplers.CmaEsSampler", "popsize": 8}, [1] + [8] * 12 + [3]),
    ({"_target_": "optuna.samplers.NSGAIISampler"}, [1] * 100),  # unknown to auto: one at a time
])
def test_auto_asks_the_batches_that_suit_the_sampler(sampler, expected):
    assert sizes(sampler) == expected


def test_a_gp_batch_asked_before_any_of_it_finished_spreads_out():
    """The gp preset's batches of 10 are asked together: GPSampler models the running trials (Optuna >= 4.8), where
    before it drew the same point for each of them."""
    study = optuna.create_study(direction="maximize", sampler=build_sampler({**SAMPLERS["gp"], "seed": 0}))
    for _ in range(SAMPLERS["gp"]["n_startup_trials"]):
        trial = study.ask(SPACE)
        lr, decay = (math.log10(trial.params[key]) for key in SPACE)
        study.tell(trial, -((lr + 3) ** 2) - 0.1 * (decay + 6) ** 2)
    batch = [study.ask(SPACE).params for _ in range(4)]
    assert len({tuple(round(math.log10(value), 2) for value in params.values()) for params in batch}) > 1, batch


def test_auto_counts_the_completed_trials_and_the_searched_numbers():
    tpe = {"_target_": "optuna.samplers.TPESampler"}
    assert sizes(tpe, left=30, completed=3) == [7, 10, 10, 3]  # a resume: the start-up trials not completed yet
    assert sizes(tpe, left=30, completed=12) == [10, 10, 10]
    cmaes = {"_target_": "optuna.samplers.CmaEsSampler"}
    five = {f"k{i}": IntDistribution(1, 9) for i in range(5)} | {"init": CategoricalDistribution(["he", "normal"])}
    assert sizes(cmaes, left=20, space=five) == [1, 8, 8, 3]  # 4 + floor(3 ln 5); a categorical is not modelled
    assert sizes(cmaes, left=20, space={"init": CategoricalDistribution(["he", "normal"])}) == [20]
    assert sizes(tpe, n_jobs=4, left=10) == [4, 4, 2]  # an integer is used as given


def test_an_n_jobs_that_leaves_the_model_nothing_to_draw_is_one_warning_line():
    cmaes = batch_size(100, sampler_spec({"_target_": "optuna.samplers.CmaEsSampler"}), SPACE)
    assert cmaes.warning(6, 0) == (
        "hydra.sweeper.n_jobs=100 asks all 6 trials left in one batch: CmaEsSampler draws a trial from its model only "
        "once 1 trial (n_startup_trials) completed before it is asked, so it draws every trial at random, as "
        "RandomSampler would; hydra.sweeper.n_jobs=auto asks a batch of 1, then one of 5 here, 5 of them drawn from "
        "the model")
    tpe = batch_size(8, sampler_spec({"_target_": "optuna.samplers.TPESampler"}), SPACE)
    assert tpe.warning(12, 0).startswith("hydra.sweeper.n_jobs=8 asks the 12 trials left in batches of 8: TPESampler "
                                         "draws a trial from its model only once 10 trials (n_startup_trials)")
    assert tpe.warning(20, 0) is None  # the third batch is drawn from the model
    assert batch_size(100, sampler_spec({"_target_": "optuna.samplers.RandomSampler"}), SPACE).warning(6, 0) is None
    gp = batch_size("auto", sampler_spec({"_target_": "optuna.samplers.GPSampler"}), SPACE)
    assert gp.warning(6, 0) == (
        "GPSampler draws its first 10 trials at random (hydra.sweeper.sampler.n_startup_trials=10) and 0 have "
        "completed: the 6 trials left are all drawn at random, as RandomSampler would; a larger hydra.sweeper.n_trials "
        "or a smaller n_startup_trials lets its model draw some")
    assert gp.warning(7, 4) is None  # a batch of the 6 start-up trials missing, then one from the model
    assert "completed: the 1 trial left is drawn at random" in gp.warning(1, 0)  # not "the 1 trials left are all"


@pytest.mark.parametrize("value", ["abc", 1.5, 0, True, None])
def test_n_jobs_is_an_integer_or_auto(value):
    with pytest.raises(ConfigError) as refused:
        parse_n_jobs(value)
    assert str(refused.value) == (f"hydra.sweeper.n_jobs={value} is invalid; allowed: an integer >= 1, or auto "
                                  "(batches that suit the sampler)")
    assert parse_n_jobs("auto") is None and parse_n_jobs(3) == 3
