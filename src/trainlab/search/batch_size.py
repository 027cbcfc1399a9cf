"""``hydra.sweeper.n_jobs``: how many trials a search asks at a time, so that its sampler's model gets to work.

Every trial of a batch is asked before any trial of the batch has finished. A sampler that learns from finished
trials (TPE, GP, CMA-ES) draws its first ``n_startup_trials`` trials independently, at random, and draws a trial from
its model only when that many trials have completed before the trial is asked. With one batch of all trials (the
100 of ``hparams_search=random``) it never does: the search is a random search, whatever sampler it names.

``n_jobs=auto`` (what both ``hparams_search`` presets set) picks the batches from the sampler class:

* RandomSampler, QMCSampler, GridSampler, BruteForceSampler - their draws do not depend on results (Grid and
  BruteForce skip the points of running trials): all trials left in one batch, one stacked model;
* TPESampler, GPSampler - the start-up trials not completed yet in one batch, then batches of
  :data:`MODEL_BATCH`, each drawn from a model of the trials finished before it (and spread out around the running
  ones: TPE's ``constant_liar``, GP's batch acquisition);
* CmaEsSampler - the start-up trials, then one batch per CMA-ES generation: ``popsize`` trials (by default
  4 + floor(3 ln d) for d searched numbers, as the ``cmaes`` package sets it), so each generation is told whole
  before the next is asked (a space with no number to search leaves CMA-ES nothing to model: one batch);
* any other sampler: 1, each trial asked once the one before it has finished.

An integer ``n_jobs`` is used as given. When it leaves a learning sampler no trial to draw from its model while
``auto`` would give it some (``hparams_search=random hydra/sweeper/optuna_sampler=cmaes hydra.sweeper.n_jobs=100``),
the search says so in one warning line before the first trial, naming the sampler, ``n_jobs`` and what ``auto``
would ask.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, FloatDistribution, IntDistribution

from trainlab.errors import ConfigError
from trainlab.search.sampler_factory import SamplerSpec

KEY = "hydra.sweeper.n_jobs"
AUTO = "auto"
#: trials per batch of a TPE or GP search once its model runs: ten model updates over experiment I's 100 trials
MODEL_BATCH = 10
#: samplers whose draws do not depend on the values of finished trials
INDEPENDENT = (optuna.samplers.RandomSampler, optuna.samplers.QMCSampler, optuna.samplers.GridSampler,
               optuna.samplers.BruteForceSampler)
#: samplers that draw from a model of the finished trials once ``n_startup_trials`` of them have completed
STARTUP_MODELS = (optuna.samplers.TPESampler, optuna.samplers.GPSampler)


def parse_n_jobs(value: Any) -> int | None:
    """``value`` of ``hydra.sweeper.n_jobs``: an integer >= 1, or None for ``auto``."""
    if value == AUTO:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{KEY}={value} is invalid; allowed: an integer >= 1, or {AUTO} (batches that suit the "
                          "sampler)")
    return value


def trials(count: int) -> str:
    return f"{count} trial{'' if count == 1 else 's'}"


def startup_trials(sampler: SamplerSpec) -> int:
    """The completed trials ``sampler`` draws independently before its model starts (``n_startup_trials``)."""
    value = sampler.argument("n_startup_trials")
    return value if isinstance(value, int) and value > 0 else 0


def searched_numbers(distributions: Mapping[str, BaseDistribution]) -> int:
    """The keys CMA-ES searches: floats and integers with more than one value (it draws the others independently)."""
    return sum(isinstance(d, (FloatDistribution, IntDistribution)) and not d.single() for d in distributions.values())


def cma_population(sampler: SamplerSpec, numbers: int) -> int:
    """The trials of one CMA-ES generation over ``numbers`` searched keys: ``popsize``, else the ``cmaes``
    package's 4 + floor(3 ln d)."""
    popsize = sampler.argument("popsize")
    return int(popsize) if popsize is not None else 4 + math.floor(3 * math.log(max(numbers, 1)))


@dataclass(frozen=True)
class BatchSize:
    """The batches of one search: ``n_jobs`` as given (``None``: auto) and what its sampler needs.

    ``startup``: completed trials the sampler needs before it draws from its model (None: it has no model that
    learns from values); ``model_batch``: auto's batch once the model runs (None: all trials left)."""

    n_jobs: int | None
    sampler: str
    startup: int | None
    model_batch: int | None

    def next_batch(self, left: int, completed: int) -> int:
        """The size of the next batch, with ``left`` trials to run and ``completed`` trials completed so far."""
        if self.n_jobs is not None:
            return min(self.n_jobs, left)
        if self.startup is not None and completed < self.startup:
            return min(self.startup - completed, left)
        return left if self.model_batch is None else min(self.model_batch, left)

    def batches(self, left: int, completed: int) -> list[int]:
        """The batch sizes of the rest of the search, if every trial completes."""
        sizes = []
        while left > 0:
            sizes.append(self.next_batch(left, completed))
            left, completed = left - sizes[-1], completed + sizes[-1]
        return sizes

    def model_draws(self, left: int, completed: int) -> int:
        """How many of the ``left`` trials the sampler draws from its model, if every trial completes."""
        if self.startup is None:
            return 0
        draws = 0
        for size in self.batches(left, completed):
            draws += size if completed >= self.startup else 0
            completed += size
        return draws

    def describe(self, left: int, completed: int) -> str:
        """``batches of 10`` / ``a first batch of 1, then batches of 6`` (for the search's start line)."""
        sizes = self.batches(left, completed)
        if len(sizes) == 2 and sizes[0] < sizes[1]:
            return f"a batch of {sizes[0]}, then one of {sizes[1]}"
        if len(sizes) > 2 and sizes[0] != sizes[1]:
            return f"a first batch of {sizes[0]}, then batches of {sizes[1]}"
        return f"batches of {sizes[0] if sizes else 0}"

    def warning(self, left: int, completed: int) -> str | None:
        """One line when the sampler's model would draw none of the ``left`` trials: because of ``n_jobs`` (while
        ``auto`` would give it some), or because the search ends within the sampler's start-up trials."""
        if self.startup is None or self.model_draws(left, completed) > 0:
            return None
        auto = BatchSize(None, self.sampler, self.startup, self.model_batch)
        draws = auto.model_draws(left, completed)
        if draws == 0:
            return (f"{self.sampler} draws its first {trials(self.startup)} at random "
                    f"(hydra.sweeper.sampler.n_startup_trials={self.startup}) and {completed} have completed: the "
                    f"{trials(left)} left {'are all' if left > 1 else 'is'} drawn at random, as RandomSampler "
                    "would; a larger hydra.sweeper.n_trials or a smaller n_startup_trials lets its model draw some")
        sizes = self.batches(left, completed)
        asked = (f"asks {'all ' if left > 1 else ''}{trials(left)} left in one batch" if len(sizes) == 1
                 else f"asks the {trials(left)} left in batches of {sizes[0]}")
        return (f"{KEY}={self.n_jobs} {asked}: {self.sampler} draws a trial from its model only once "
                f"{trials(self.startup)} (n_startup_trials) completed before it is "
                f"asked, so it draws every trial at random, as RandomSampler would; {KEY}={AUTO} asks "
                f"{auto.describe(left, completed)} here, {draws} of them drawn from the model")


def batch_size(n_jobs: Any, sampler: SamplerSpec, distributions: Mapping[str, BaseDistribution]) -> BatchSize:
    """The batches of a search with ``hydra.sweeper.n_jobs=n_jobs`` and ``sampler`` over ``distributions``."""
    jobs = parse_n_jobs(n_jobs)
    if issubclass(sampler.cls, STARTUP_MODELS):
        return BatchSize(jobs, sampler.name, startup_trials(sampler), MODEL_BATCH)
    if issubclass(sampler.cls, optuna.samplers.CmaEsSampler):
        numbers = searched_numbers(distributions)
        if numbers == 0:  # nothing for CMA-ES to model: every draw is independent
            return BatchSize(jobs, sampler.name, None, None)
        return BatchSize(jobs, sampler.name, startup_trials(sampler), cma_population(sampler, numbers))
    if issubclass(sampler.cls, INDEPENDENT):
        return BatchSize(jobs, sampler.name, None, None)
    return BatchSize(jobs, sampler.name, None, 1)
