"""On resume, close the trials a stopped run of the same sweep directory left RUNNING.

A search stopped cleanly (Ctrl-C, SIGTERM) tells Optuna about every trial it asked for. One killed outright
(SIGKILL, out of memory, a node lost) leaves its last trials RUNNING, and they would count toward ``n_trials``
forever. ``resume_sweep=true hydra.sweep.dir=<dir>`` says the earlier run in ``<dir>`` is over, so each RUNNING trial
recorded with that sweep directory is told what its job directory shows: a job that finished before the kill keeps
its result (``status.json``), any other is FAIL with ``outcome: interrupted`` and a new trial takes its place; its
job directory gets the ``interrupted`` records the killed process could not write, with the metrics it had logged
(:func:`record_killed_job`: the tables and the HPARAMS tab list it), and loses the temporary files of the writes it
never finished (:mod:`trainlab.stale_temporaries`).

Trials of other sweep directories (other workers of a shared study) are left alone, and so are those of a process
that is still alive on this host.

A search that ends at once - a second Ctrl-C while its trials stop - closes the trials it runs by the same rule
before its process ends (:func:`close_trials_at_once`, one of its :func:`~trainlab.signal_exit.last_words`), as
its first stop tells them: they were left ``RUNNING`` until a resume, and the command ended without saying how to
continue. A resume finds nothing of them to close. The results files of the trials that finished are written after
the handler, on the way out (:mod:`trainlab.search.results_at_once`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from pathlib import Path

import yaml
from optuna.study import Study
from optuna.trial import TrialState

from trainlab.run_status import STATUS_FILE, write_status
from trainlab.search.trial_outcome import JOB_DIR_ATTR, SWEEP_DIR_ATTR, outcome_of_job, tell_outcome
from trainlab.search.worker_identity import WORKER_ATTR, is_other_live_worker
from trainlab.stale_temporaries import remove_dead_writers_temporaries, run_write_dirs

log = logging.getLogger(__name__)


#: why a job recorded no end, in the ``error`` of the status :func:`record_killed_job` writes
KILLED = "its process ended before the job recorded its end (killed?); closed by resume_sweep=true"
ENDED_AT_ONCE = "the search ended at once (a second stop signal) before the job recorded its end"


def record_killed_job(job_dir: Path, number: int, why: str = KILLED) -> None:
    """A killed job's directory (``.hydra/`` but no ``status.json``) gets the ``interrupted`` records a stopped one
    writes, so that summary.csv, ranking.csv, the report and the HPARAMS tab list it as the study counts it, with
    what it had logged: ``status.json`` with the last logged value of each metric (read back from its loggers'
    files, :mod:`trainlab.last_logged`, as a stopped job records Lightning's last values) and the wall time its
    logs span (null when they hold none), and, in its TensorBoard run, the ``~hparams/*`` points of those values and
    status 3 (``interrupted``) that a stopped job's end writes (:func:`trainlab.loggers.hparams.record_run_end`).
    The event file comes first: ``status.json`` says the job's records are complete."""
    if not job_dir.is_dir() or (job_dir / STATUS_FILE).exists():
        return
    # imported here: they import TensorBoard's readers and writers, which a search that closes no job never needs
    from trainlab.last_logged import read_last_logged
    from trainlab.loggers.hparams import record_end_for_run

    try:
        overrides = yaml.safe_load((job_dir / ".hydra" / "overrides.yaml").read_text()) or []
    except (OSError, yaml.YAMLError):
        overrides = []
    logged = read_last_logged(job_dir)
    metrics = {**logged.metrics, "status/diverged": 0.0}  # as a stopped job records them
    if logged.event_dir is not None:
        record_end_for_run(logged.event_dir, metrics, "interrupted", logged.step, logged.last_wall_time)
    write_status(job_dir, "interrupted", [str(o) for o in overrides] if isinstance(overrides, list) else [], metrics,
                 None, logged.wall_time_s, error=f"trial {number}: {why}")


def close_stale_trials(study: Study, sweep_dir: Path) -> list[tuple[int, str]]:
    """Close the RUNNING trials of ``sweep_dir`` (see the module docstring); return (number, outcome) of each."""
    closed = []
    for trial in study.get_trials(deepcopy=True, states=(TrialState.RUNNING,)):
        recorded = trial.user_attrs.get(SWEEP_DIR_ATTR)
        if recorded is None or Path(recorded).resolve() != sweep_dir.resolve():
            continue
        if is_other_live_worker(trial.user_attrs.get(WORKER_ATTR)):
            log.warning("trial %d is still running in %s; leaving it", trial.number, trial.user_attrs[WORKER_ATTR])
            continue
        job_dir = Path(trial.user_attrs[JOB_DIR_ATTR])
        label = close_trial(study, trial._trial_id, trial.number, job_dir)
        remove_dead_writers_temporaries(run_write_dirs(job_dir), job_dir)  # what its killed writes left
        closed.append((trial.number, label))
        log.info("resume: trial %d was left running by a stopped run; now %s", trial.number, label)
    return closed


def close_trial(study: Study, trial_id: int, number: int, job_dir: Path, why: str = KILLED) -> str:
    """Tell the trial what its job directory shows, and give a job that never recorded its end the ``interrupted``
    status; returns the outcome's label."""
    outcome = outcome_of_job(job_dir)
    tell_outcome(study, trial_id, outcome)
    record_killed_job(job_dir, number, why)
    return outcome.label


def close_trials_at_once(study: Study, trials: Iterable[tuple[int, int, Path]]) -> None:
    """The search ends at once while ``trials`` - (storage id, number, job directory) of each - run: close the ones
    still ``RUNNING`` as a resume would (module docstring), and say so in one line. Called from a signal handler
    while the launcher runs the trials (the search holds no storage call there); printed, not logged."""
    closed: dict[str, list[int]] = {}  # label -> the trial numbers closed so, in order
    for trial_id, number, job_dir in trials:
        if not study._storage.get_trial(trial_id).state.is_finished():
            closed.setdefault(close_trial(study, trial_id, number, job_dir, ENDED_AT_ONCE), []).append(number)
    if closed:
        said = "; ".join(f"{'trials' if len(numbers) > 1 else 'trial'} {', '.join(map(str, numbers))} {label}"
                         for label, numbers in closed.items())
        print(f"closed the search's running trials: {said} (interrupted trials do not count: the search asks new "
              "trials in their place)", file=sys.stderr, flush=True)
