"""The search a sweep directory holds, as its ``multirun.yaml`` and study file tell: for the refusal of a new multirun
into it.

A new multirun into a directory whose jobs hold runs is refused before Hydra writes anything
(:func:`trainlab.sweep.job_dirs.check_no_runs_in_jobs`). For a grid sweep's directory the refusal says to finish that
sweep with its own overrides; re-running a finished search without ``resume_sweep=true`` got the same words, naming
three long trial directories and "completed and diverged jobs are skipped" - nothing of the study, of how a search
goes on (``resume_sweep=true`` continues it until ``hydra.sweeper.n_trials``, a larger ``n_trials`` extends it) or of
where it lives. :func:`held_search` finds the search (the trainlab sweeper in ``multirun.yaml``, or a study file of the
default storage in the directory), and :func:`search_refusal` words the refusal for it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

SEARCH_SWEEPER = "hydra_plugins.trainlab_optuna_sweeper.sweeper.TrainlabOptunaSweeper"
DEFAULT_FILES = ("optuna.journal", "optuna.db")  # the default storage's file, and an earlier version's


@dataclass(frozen=True)
class HeldSearch:
    """A search that ran in a sweep directory: its study's name (None where ``multirun.yaml`` does not say), where
    the study is (a file, or a database URL without its password) and the ``n_trials`` it ran to (None: unknown)."""

    study_name: str | None
    storage: str
    n_trials: int | None


def recorded_hydra(sweep_dir: Path) -> DictConfig | None:
    """``hydra`` of the directory's ``multirun.yaml`` (None: no readable record)."""
    try:
        recorded = OmegaConf.load(sweep_dir / "multirun.yaml")
        hydra = OmegaConf.select(recorded, "hydra", throw_on_resolution_failure=False)
    except (OSError, yaml.YAMLError, OmegaConfBaseException):
        return None
    return hydra if isinstance(hydra, DictConfig) else None


def recorded_value(node: DictConfig, key: str) -> tuple[object, object]:
    """``(resolved, written)``: the value at the dotted ``key`` of ``node`` resolved (None where it will not:
    ``${hydra:runtime.cwd}`` needs a running Hydra, which a new command's check of an old record has not) and as
    ``multirun.yaml`` writes it (None: no such key). Reading a value resolves it, and a resolution error raised from
    the sweep-dir check made Hydra skip that check with a warning."""
    written: object = OmegaConf.to_container(node, resolve=False)
    for part in key.split("."):
        written = written.get(part) if isinstance(written, dict) else None
    try:
        return OmegaConf.select(node, key, throw_on_resolution_failure=True), written
    except OmegaConfBaseException:
        return None, written


def recorded_cwd(hydra: DictConfig) -> Path | None:
    """The directory the search ran from (``hydra.runtime.cwd`` of ``multirun.yaml``); None where it is not
    recorded."""
    cwd = recorded_value(hydra, "runtime.cwd")[0]
    return Path(cwd) if isinstance(cwd, str) and Path(cwd).is_absolute() else None


def held_search(sweep_dir: Path) -> HeldSearch | None:
    """The search that ran in ``sweep_dir``: one whose ``multirun.yaml`` names the trainlab search sweeper, or (no
    readable record) one whose study file of the default storage is there. None: no search. Its storage is named as
    ``multirun.yaml`` writes it where it will not resolve (``journal:${hydra:runtime.cwd}/s.journal``)."""
    hydra = recorded_hydra(sweep_dir)
    sweeper = recorded_value(hydra, "sweeper")[0] if hydra is not None else None
    sweeper = sweeper if isinstance(sweeper, DictConfig) else None
    default_file = next((sweep_dir / name for name in DEFAULT_FILES if (sweep_dir / name).is_file()), None)
    if sweeper is None or recorded_value(sweeper, "_target_")[0] != SEARCH_SWEEPER:
        if sweeper is None and default_file is not None:
            return HeldSearch(None, str(default_file), None)
        return None
    study_name = recorded_value(sweeper, "study_name")[0]
    from trainlab.search.storage import absolute_storage, hide_password

    storage, written = recorded_value(sweeper, "storage")
    if isinstance(storage, str) and storage:
        # a relative file (sqlite:///study.db) named by its absolute path, as the search's own messages name it:
        # against the directory the search ran from, which opened it there (as written where that is not recorded)
        cwd = recorded_cwd(hydra)
        where = hide_password(storage if cwd is None else absolute_storage(storage, cwd))
    elif storage is None and isinstance(written, str) and written:  # it will not resolve: as written
        where = hide_password(written)
    else:
        where = str(default_file or sweep_dir / DEFAULT_FILES[0])
    n_trials = recorded_value(sweeper, "n_trials")[0]
    return HeldSearch(study_name if isinstance(study_name, str) else None, where,
                      n_trials if isinstance(n_trials, int) and not isinstance(n_trials, bool) else None)


def search_refusal(sweep_dir: Path, search: HeldSearch, jobs: list[Path]) -> str:
    """The refusal of a new multirun into ``sweep_dir``, which holds ``search`` and its trials' ``jobs``."""
    from trainlab.shell_override import finish_sweep_command

    study = f"the study {search.study_name!r}" if search.study_name else "the study"
    first = jobs[0].relative_to(sweep_dir).as_posix()
    trials = f"{len(jobs)} trial job{'s' if len(jobs) > 1 else ''} ({first}{', ...' if len(jobs) > 1 else ''})"
    until = f" until it has hydra.sweeper.n_trials={search.n_trials}" if search.n_trials else ""
    return (f"hydra.sweep.dir={sweep_dir} holds a search: {study} in {search.storage}, {trials}; nothing was "
            f"overwritten. allowed: resume_sweep=true continues that study{until}, and with a larger "
            f"hydra.sweeper.n_trials extends it: {finish_sweep_command(os.fspath(sweep_dir))}; or a new "
            "hydra.sweep.dir for a new search")
