"""What became of a trial's job, and what Optuna is told about it.

The job's ``status.json`` (:mod:`trainlab.run_status`) says how it ended; the launcher's ``JobReturn`` carries the
value the task returned. The *outcome* is recorded on the trial as the user attribute ``outcome``:

==============  ==========================================  =====================  =====================
outcome         when                                        Optuna state           counts toward n_trials
==============  ==========================================  =====================  =====================
``completed``   the job finished with a finite objective    COMPLETE (objective)   yes
``diverged``    NaN/Inf loss (``status.json``)              FAIL                   yes
``failed``      the job raised, or returned no number       FAIL                   yes
``interrupted`` a signal stopped it, or it never ran        FAIL                   no: a new trial runs
``surplus``     another worker filled the study first       FAIL                   no: it never runs
==============  ==========================================  =====================  =====================

Diverged and failed jobs ran to their end: they count, and a search of failing trials still stops after
``n_trials``. Interrupted trials (Ctrl-C, SIGTERM, a SIGKILL found on resume) are replaced, so ``n_trials`` trials
run to their end in all.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

from hydra.core.utils import JobReturn, JobStatus
from optuna.study import Study
from optuna.trial import TrialState

from trainlab.run_status import read_status

# user attributes the search records on every trial it asks for (visible in optuna-dashboard)
OUTCOME_ATTR, JOB_DIR_ATTR, SWEEP_DIR_ATTR = "outcome", "job_dir", "sweep_dir"
COUNTED = ("completed", "diverged", "failed")
NOT_COUNTED = ("interrupted", "surplus")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrialOutcome:
    label: str  # one of COUNTED + NOT_COUNTED
    value: float | None = None  # the objective of a completed trial

    @property
    def state(self) -> TrialState:
        return TrialState.COMPLETE if self.value is not None else TrialState.FAIL


def finite_number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def recorded_status(job_dir: Path) -> dict | None:
    try:
        return read_status(job_dir)
    except (OSError, ValueError) as error:  # unreadable: as if the job had not finished
        log.warning("cannot read the status of %s (%s); taking the job as unfinished", job_dir, error)
        return None


def outcome_of_job(job_dir: Path, job_return: JobReturn | None = None) -> TrialOutcome:
    """The outcome of the job in ``job_dir``; ``job_return`` is None when the launcher did not return (a stop)."""
    status = recorded_status(job_dir)
    label = status["status"] if status else None
    if job_return is not None and job_return.status == JobStatus.COMPLETED:
        if label in ("diverged", "failed", "interrupted"):  # interrupted: a worker's job returns (worker_stop.py)
            return TrialOutcome(label)
        if label is None and job_return.return_value is None:  # a worker's job not run after a stop (worker_stop.py)
            return TrialOutcome("interrupted")
        value = finite_number(job_return.return_value)
        return TrialOutcome("completed", value) if value is not None else TrialOutcome("failed")
    if job_return is not None:  # the task raised: the sweep stops after this batch is told
        return TrialOutcome(label if label in ("diverged", "failed") else "failed")
    if label == "completed":  # finished before the stop (or before a SIGKILL, found on resume)
        value = finite_number(status.get("objective"))
        return TrialOutcome("completed", value) if value is not None else TrialOutcome("failed")
    if label in ("diverged", "failed"):
        return TrialOutcome(label)
    return TrialOutcome("interrupted")


def tell_outcome(study: Study, trial_id: int, outcome: TrialOutcome) -> None:
    """Record ``outcome`` on the trial with storage id ``trial_id`` (user attribute ``outcome``) and finish it with
    its state.

    The trial is read alone by its id (every caller holds its trial: an asked ``Trial`` or a ``FrozenTrial``), not
    found among all of the study's trials - a query over every trial per tell, which made telling a 100-trial batch
    cost seconds. A trial already finished (by a resume elsewhere that took it for stale) keeps what it was told
    first.
    """
    trial = study._storage.get_trial(trial_id)
    if trial.state.is_finished():
        log.warning("trial %d was already finished (%s); keeping that", trial.number, trial.state.name)
        return
    # Optuna's public API sets user attributes through a live Trial object only; a trial left by a killed run is
    # reached through the study's storage (the same call Trial.set_user_attr makes).
    study._storage.set_trial_user_attr(trial_id, OUTCOME_ATTR, outcome.label)
    study.tell(trial.number, outcome.value if outcome.state == TrialState.COMPLETE else None, state=outcome.state,
               skip_if_finished=True)
