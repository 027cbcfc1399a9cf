"""``optimization_results.yaml``: the best trial of the study, written into the sweep directory when a worker ends.

    name: optuna
    study_name: hparams_random
    storage: outputs/multiruns/<sweep>/optuna.journal
    direction: maximize
    best_trial: 17                    # its Optuna trial number = its job number
    best_job: /abs/path/17_model.weight_decay=...,optimizer.lr=...
    best_params: {optimizer.lr: 0.0061, model.weight_decay: 3.2e-07}
    best_value: 0.91
    trials: {completed: 98, diverged: 1, failed: 0, interrupted: 1, surplus: 0, running: 0}

The best trial is the completed one with the best value; among equal values the lowest trial number, which is also
the order of ``ranking.csv`` (sorted by objective, ties in job order). In a shared study it may be another worker's.

The file is the study as it stood when this worker wrote it. In a shared study a worker that runs out of trials to
ask ends while other workers still train theirs; it does not wait for them (a worker killed outright leaves its trials
RUNNING for good), so its counts, best trial included, can only be those of that moment. The file then says so, with
where the unfinished trials run - the worker that ends last writes the study's final counts into its own sweep dir::

    trials: {completed: 10, diverged: 0, failed: 0, interrupted: 0, surplus: 0, running: 10}
    running_in: {/abs/path/worker_a: 10}
    counted_at: '2026-12-06T01:02:43Z'
    note: the study as it stood when this worker ended: 10 trials were still running (other workers', or left
      RUNNING by a worker killed outright); the worker that ends last writes the final counts in its sweep dir

A search stopped at once (a second Ctrl-C) writes the file too, once its running trials are closed
(:mod:`trainlab.search.results_at_once`): the trials that finished, with ``counted_at`` and a ``note`` that says it
is a snapshot that ``resume_sweep=true`` rewrites.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from trainlab.atomic_files import write_text_atomically
from trainlab.run_status import STATUS_FILE
from trainlab.search.trial_outcome import COUNTED, JOB_DIR_ATTR, NOT_COUNTED, OUTCOME_ATTR, SWEEP_DIR_ATTR

RESULTS_FILE = "optimization_results.yaml"


def best_trial(study: Study) -> FrozenTrial | None:
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        return None
    sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
    return min(complete, key=lambda t: (sign * t.value, t.number))


def trial_counts(study: Study) -> dict[str, int]:
    counts = dict.fromkeys((*COUNTED, *NOT_COUNTED, "running"), 0)
    for trial in study.get_trials(deepcopy=False):
        if trial.state == TrialState.COMPLETE:
            counts["completed"] += 1
        elif trial.state in (TrialState.RUNNING, TrialState.WAITING):
            counts["running"] += 1
        else:
            label = trial.user_attrs.get(OUTCOME_ATTR, "interrupted")
            counts[label if label in counts else "failed"] += 1
    return counts


def running_in(study: Study) -> dict[str, int]:
    """The study's unfinished trials (RUNNING, WAITING) per sweep directory they run in (``unknown`` for a trial that
    recorded none), in the order of their first trial."""
    places: dict[str, int] = {}
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING)):
        place = str(trial.user_attrs.get(SWEEP_DIR_ATTR, "unknown"))
        places[place] = places.get(place, 0) + 1
    return places


def unfinished_note(running: int) -> str:
    """What the counts of a file written while ``running`` trials still run are (see the module docstring)."""
    return (f"the study as it stood when this worker ended: {running} trial{'s were' if running > 1 else ' was'} "
            "still running (other workers', or left RUNNING by a worker killed outright); the worker that ends last "
            "writes the final counts in its sweep dir")


def job_dir_now(trial: FrozenTrial, sweep_dir: Path | None) -> str | None:
    """Where the trial's job directory is now: as the trial recorded it, or - in a sweep directory moved or copied
    since (its study holds the old paths) - at the same place in ``sweep_dir``."""
    recorded, recorded_sweep = trial.user_attrs.get(JOB_DIR_ATTR), trial.user_attrs.get(SWEEP_DIR_ATTR)
    if recorded is None or recorded_sweep is None or sweep_dir is None or Path(recorded).is_dir():
        return recorded
    try:
        here = sweep_dir / Path(recorded).relative_to(recorded_sweep)
    except ValueError:  # a job directory outside its sweep directory (hydra.sweep.subdir=../...)
        return recorded
    return str(here) if here.is_dir() else recorded


def stopped_at_once_note(counts: dict[str, int]) -> str:
    """What the counts of a file written by a search stopped at once are (see the module docstring)."""
    closed = counts["interrupted"]
    return (f"the search was stopped at once (a second stop signal): its finished trials as they stood then, the "
            f"trials it was running closed as interrupted ({closed} interrupted in all); resume_sweep=true continues "
            "the search and rewrites this file")


def unstarted_trials(study: Study, sweep_dir: Path) -> list[int]:
    """The interrupted trials of ``sweep_dir`` whose job never trained (no ``status.json`` where the job would
    train): a stop while a launcher that runs a batch's jobs one at a time (basic, joblib with fewer workers) had
    not reached them. The study counts them as interrupted trials; ``summary.csv``, which lists job directories,
    has no row for them."""
    return [trial.number for trial in study.get_trials(deepcopy=False)
            if trial.user_attrs.get(OUTCOME_ATTR) == "interrupted"
            and trial.user_attrs.get(SWEEP_DIR_ATTR) == str(sweep_dir)
            and not (Path(job_dir_now(trial, sweep_dir) or sweep_dir / "?") / STATUS_FILE).is_file()]


def unstarted_note(numbers: list[int]) -> str:
    """Why ``trials: interrupted`` counts more than ``summary.csv``'s interrupted rows (:func:`unstarted_trials`)."""
    listed = ", ".join(map(str, numbers[:10])) + (", ..." if len(numbers) > 10 else "")
    return (f"{len(numbers)} of the interrupted trials ({listed}) never trained: stopped before their turn, they "
            "have no status.json and so no row in summary.csv, which lists this sweep dir's jobs")


def results(study: Study, storage_description: str, sweep_dir: Path | None = None,
            stopped_at_once: bool = False) -> dict[str, Any]:
    best = best_trial(study)
    counts = trial_counts(study)
    payload = {
        "name": "optuna",
        "study_name": study.study_name,
        "storage": storage_description,
        "direction": study.direction.name.lower(),
        "best_trial": None if best is None else best.number,
        "best_job": None if best is None else job_dir_now(best, sweep_dir),
        "best_params": {} if best is None else dict(best.params),
        "best_value": None if best is None else best.value,
        "trials": counts,
    }
    if counts["running"]:  # a snapshot of a shared study, not its end: said, with where the rest still runs
        payload["running_in"] = running_in(study)
        payload["counted_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        payload["note"] = unfinished_note(counts["running"])
    if stopped_at_once:
        payload["counted_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        payload["note"] = "; ".join(filter(None, (stopped_at_once_note(counts), payload.get("note"))))
    if counts["interrupted"] and sweep_dir is not None and (unstarted := unstarted_trials(study, sweep_dir)):
        payload["note"] = "; ".join(filter(None, (payload.get("note"), unstarted_note(unstarted))))
    return payload


def write_results(sweep_dir: Path, study: Study, storage_description: str,
                  stopped_at_once: bool = False) -> dict[str, Any]:
    payload = results(study, storage_description, sweep_dir, stopped_at_once)
    write_text_atomically(sweep_dir / RESULTS_FILE, yaml.safe_dump(payload, sort_keys=False))
    return payload
