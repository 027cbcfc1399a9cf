"""A seeded sampler whose seed is offset by the first trial number the worker gets.

Two processes sharing a study with the same ``seed`` would otherwise draw the same random parameters, and a resumed
search would replay the draws of its first trials. :class:`WorkerSeededSampler` builds the configured sampler when
this process's first trial begins, with seed ``seed + n`` where ``n`` is that trial's number: 0 in a fresh study (the
plain seeded sampler, so the same seed gives the same sequence), the number of trials already there when resuming,
a different number for each worker (trial numbers are unique within a study). Every call is then delegated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState


class WorkerSeededSampler(BaseSampler):
    """Delegates to ``make(seed + first trial number)``, built at this worker's first trial."""

    def __init__(self, make: Callable[[int], BaseSampler], seed: int, name: str) -> None:
        self.make, self.seed, self.name = make, seed, name
        self.sampler: BaseSampler | None = None

    def __str__(self) -> str:
        return f"{self.name}(seed={self.seed} + first trial number)"

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        if self.sampler is None:
            self.sampler = self.make(self.seed + trial.number)
        self.sampler.before_trial(study, trial)

    def started(self) -> BaseSampler:
        if self.sampler is None:
            raise RuntimeError("the sampler is used before its first trial began")
        return self.sampler

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return self.started().infer_relative_search_space(study, trial)

    def sample_relative(self, study: Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        return self.started().sample_relative(study, trial, search_space)

    def sample_independent(self, study: Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        return self.started().sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState,
                    values: Sequence[float] | None) -> None:
        if self.sampler is not None:  # a trial of an earlier run, closed on resume, never reached this sampler
            self.sampler.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        if self.sampler is not None:
            self.sampler.reseed_rng()
