"""``n_trials``: how many trials of a study run to their end, over resumes and over the workers sharing it.

A trial *counts* when it is running or waiting (it may still complete), complete, pruned, or failed after running
to its end (``outcome`` diverged / failed, see :mod:`trainlab.search.trial_outcome`); trials failed as interrupted or
surplus do not. A worker asks for at most ``n_trials - <counted trials>`` new trials per batch.

Two workers may ask at the same moment and both see one slot left. Trial numbers are handed out by the storage in
one sequence, so the tie is broken by number: a new trial is *surplus* when ``n_trials`` counted trials already have
smaller numbers. Its worker tells it FAIL (``outcome: surplus``) without running it, and the study ends with exactly
``n_trials`` counted trials, whatever the timing.
"""

from __future__ import annotations

from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState

from trainlab.search.trial_outcome import COUNTED, OUTCOME_ATTR


def counts_toward_budget(trial: FrozenTrial) -> bool:
    if trial.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING):
        return True
    return trial.user_attrs.get(OUTCOME_ATTR) in COUNTED


def trials_left(study: Study, n_trials: int) -> int:
    """How many more trials may start."""
    return max(0, n_trials - sum(counts_toward_budget(t) for t in study.get_trials(deepcopy=False)))


def is_surplus(study: Study, number: int, n_trials: int, trials: list[FrozenTrial] | None = None) -> bool:
    """Whether ``n_trials`` counted trials have numbers below ``number`` (see the module docstring).

    ``trials``: the study's trials read once after a batch's asks, for every trial of the batch (reading them
    costs a storage query each time). The answers are those of fresh reads: every smaller number existed before
    the batch asked, and a batch trial told surplus only matters to later numbers that are surplus anyway.
    """
    if trials is None:
        trials = study.get_trials(deepcopy=False)
    return sum(counts_toward_budget(t) for t in trials if t.number < number) >= n_trials
