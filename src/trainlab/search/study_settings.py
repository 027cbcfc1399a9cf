"""The settings of a study: what every trial of it trains, besides its sampled parameters.

A study's trials are comparable only when they train the same thing: ``python train.py hparams_search=random
model.net.dropout=0.1`` stopped halfway and resumed as ``... model.net.dropout=0.2 resume_sweep=true`` would rank
trials of two configurations as one search. So the first search that opens a study records its *settings* as the
study's user attribute ``settings``, and a search that opens the study again (``resume_sweep=true``, or a worker
joining a shared study) must compose the same ones. Otherwise it stops in one line that names the keys that differ,
before any trial.

The settings are the trials' composed config, flattened to ``key: value``, by the rules a resumed grid sweep uses
too (:mod:`trainlab.run_settings`: the command line's fixed overrides applied, so ``[100,100]`` and ``[100, 100]``,
``0.1`` and ``1e-1``, ``seed=3`` and ``++seed=3`` are the same, and an edited config file is a change), without

* ``hydra`` and the searched keys (``+key`` / ``++key`` as ``key``; the study's search space is checked on its own,
  :meth:`~trainlab.search.search_space.SearchSpace.check_against`), and
* the keys the job names leave out (``hydra.job.config.override_dirname.exclude_keys``: where things are, what is
  shown - ``paths.*``, ``logger``, ``data.data_dir``, ``trainer.enable_progress_bar``, ``callbacks.progress_bar``,
  ...) and the keys that name no hyper-parameter (:data:`~trainlab.run_settings.NOT_HYPERPARAMETERS`: how the
  same computation runs and is shown - ``optimizer.foreach``, ``data.eval_batch_size``,
  ``trainer.log_every_n_steps``, ``trainer.enable_model_summary``, ...), except those that change what a trial
  trains or reports (:data:`~trainlab.run_settings.RESULT_KEYS`).

Values compare with ``==`` (``1`` and ``1.0`` are the same), and NaN is the same as NaN.

The keys under a searched group (``optimizer`` for ``optimizer=choice(sgd,adam)``) are left out with it: each option
composes its own ``optimizer.lr``. A fixed override of one of them (``optimizer.lr=0.5``) changes what every option
composes, though, and would pass unseen: so the study records those fixes apart, as its user attribute
``searched_group_fixes`` (:func:`searched_group_fixes`: the composed values of the keys such overrides name, or
``(absent)`` for a ``~key``), and a search that opens it again must fix the same ones to the same values - the
same command re-run does. A study recorded before this attribute existed is not checked for them.

A study recorded before this attribute existed, with trials, is not checked (there is nothing to compare with); one
recorded by an earlier version is compared without the keys that are no settings now.

Two workers started at the same instant on a new shared study: only the one whose creation of the study succeeded
records its settings (the storage lets one creation of a name succeed; the other worker loads the study). A worker
that opens a study without settings and without trials which it did not create waits up to
:data:`SETTINGS_WAIT_S` for its creator to record them, then compares - so the two never both record theirs (the
check and the record are two storage calls: both recorded theirs, the last one won, and the workers ran trials of
two configurations in one study).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

import optuna
from omegaconf import DictConfig

from trainlab.config_keys import is_under, override_key
from trainlab.errors import ConfigError
from trainlab.run_settings import (
    RESULT_KEYS,
    config_settings,
    differing_settings,
    is_left_out,
    left_out_keys,
    listed_differences,
    same_setting,
)
from trainlab.search.search_space import searched_as

__all__ = ["GROUP_FIXES_ATTR", "RESULT_KEYS", "SETTINGS_ATTR", "check_study_settings", "left_out_keys",
           "recorded_settings", "same_setting", "searched_group_fixes", "study_settings"]

log = logging.getLogger(__name__)

SETTINGS_ATTR = "settings"
#: the study's user attribute: the fixed overrides under its searched groups (see the module docstring)
GROUP_FIXES_ATTR = "searched_group_fixes"
SHOWN_DIFFERENCES = 5
#: how long a worker waits for the settings of a study that another worker has just created
SETTINGS_WAIT_S = 10.0
SETTINGS_POLL_S = 0.1
#: a setting that a study or a search does not have, as :func:`differing_settings` shows it
ABSENT = "(absent)"
#: the recorded value of a key that a ``~key`` override under a searched group deletes
DELETED = "(deleted)"


def study_settings(job_config: DictConfig, searched: Iterable[str], exclude_keys: Iterable[str]) -> dict[str, Any]:
    """The settings of the trials composed as ``job_config`` (see the module docstring)."""
    return config_settings(job_config, left_out_keys(searched, exclude_keys))


def searched_group_fixes(job_config: DictConfig, searched: Iterable[str], fixed: Iterable[str],
                         exclude_keys: Iterable[str]) -> dict[str, Any]:
    """The settings that the overrides of ``fixed`` set under a key of ``searched`` (a group, such as ``optimizer``
    for ``optimizer=choice(sgd,adam)``), by dotted key, as ``job_config`` composes them - ``(absent)`` for one a
    ``~key`` deletes; those that are no setting (:func:`left_out_keys` but the searched ones) aside."""
    groups = [override_key(key) for key in searched]
    fixes = [override for override in fixed
             if any(is_under(override_key(override), [group]) and override_key(override) != group
                    for group in groups)]
    settings = config_settings(job_config, left_out_keys((), exclude_keys))
    keys = [override_key(override) for override in fixes]
    values = {name: value for name, value in settings.items() if is_under(name, keys)}
    for override in fixes:
        if override.startswith("~") and not any(is_under(name, [override_key(override)]) for name in values):
            values[override_key(override)] = DELETED
    return dict(sorted(values.items()))


def recorded_settings(study: optuna.Study, created: bool) -> Any:
    """The settings ``study`` records; for a study another worker created (``created`` false) and that records
    none yet, nor any trial, those its creator records within :data:`SETTINGS_WAIT_S` (None if it records none)."""
    recorded = study.user_attrs.get(SETTINGS_ATTR)
    if created or isinstance(recorded, dict) or study.get_trials(deepcopy=False):
        return recorded
    log.info("study %r has no settings yet: waiting up to %.0f s for the worker that created it to record them",
             study.study_name, SETTINGS_WAIT_S)
    deadline = time.monotonic() + SETTINGS_WAIT_S
    while time.monotonic() < deadline:
        time.sleep(SETTINGS_POLL_S)
        recorded = study.user_attrs.get(SETTINGS_ATTR)
        if isinstance(recorded, dict):
            return recorded
    return recorded


def no_longer_searched_keys(study: optuna.Study, differing: list[tuple[str, str, str]]) -> dict[str, list]:
    """The keys the study's trials searched (their distributions: ``optimizer.lr``, or a group such as
    ``optimizer`` for ``optimizer=choice(sgd,adam)``) that this search sets to fixed values, each with the differing
    settings under it that the study does not record (``differing``: :func:`differing_settings`'s triples)."""
    searched = {key for trial in study.get_trials(deepcopy=False) for key in trial.distributions}
    fixed: dict[str, list] = {}
    for name, before, now in differing:
        owner = next((key for key in sorted(searched) if is_under(name, [key])), None)
        if owner is not None and before == "(absent)" and now != "(absent)":
            fixed.setdefault(owner, []).append((name, now))
    return fixed


def check_study_settings(study: optuna.Study, settings: dict[str, Any], where: str,
                         new_search: str = "a new hydra.sweep.dir", left_out: Iterable[str] = (),
                         created: bool = True, searched: Iterable[str] = (),
                         group_fixes: dict[str, Any] | None = None) -> None:
    """Record ``settings`` in a study without trials; refuse a study whose trials ran with other settings.
    ``left_out``: the keys ``settings`` leaves out (:func:`left_out_keys`), left out of the recorded ones too - a
    study recorded by an earlier version may hold keys that are no settings now (``optimizer.foreach``).
    ``created``: whether this process created the study (else it waits for its creator's settings, see the module
    docstring). ``searched``: the keys this search searches - one the study's trials ran at a fixed value is refused
    (it was left out as a searched key, and a new dimension joined a study whose trials never varied it).
    ``group_fixes``: this search's :func:`searched_group_fixes`, recorded with the settings, or compared with the
    study's (:func:`check_group_fixes`); None: neither."""
    recorded = recorded_settings(study, created)
    if not isinstance(recorded, dict):
        if study.get_trials(deepcopy=False):
            log.info("study %r in %s records no settings (made before they were recorded): not compared",
                     study.study_name, where)
            return
        if group_fixes is not None:  # first: a worker that sees the settings sees these too
            study.set_user_attr(GROUP_FIXES_ATTR, group_fixes)
        study.set_user_attr(SETTINGS_ATTR, settings)
        return
    newly_searched = {key: [(name, value) for name, value in recorded.items() if is_under(name, [key])]
                      for key in map(override_key, searched)}
    newly_searched = {key: fixed for key, fixed in newly_searched.items() if fixed}
    if newly_searched:
        key, fixed = next(iter(newly_searched.items()))
        values = ", ".join(f"{name}={value!r}" for name, value in fixed[:SHOWN_DIFFERENCES])
        raise ConfigError(
            f"the study {study.study_name!r} in {where} ran its trials with {key} fixed ({values}), and this search "
            f"searches {', '.join(newly_searched)}: the trials so far ran at that value and record no draw of it, "
            f"yet the study would rank them beside trials that drew it. allowed: the study's own search space, or "
            f"{new_search} for a search that includes it")
    if group_fixes is not None:
        check_group_fixes(study, group_fixes, where, new_search, searched)
    left = frozenset(left_out)
    recorded = {key: value for key, value in recorded.items() if not is_left_out(key, left)}
    differing = differing_settings(recorded, settings)
    if not differing:
        return
    no_longer_searched = no_longer_searched_keys(study, differing)
    if no_longer_searched:  # not "(absent) in the study": the study drew it, each trial its own value
        key, fixed = next(iter(no_longer_searched.items()))
        values = ", ".join(f"{name}={value}" for name, value in fixed[:SHOWN_DIFFERENCES])
        more = f" and {len(fixed) - SHOWN_DIFFERENCES} more" if len(fixed) > SHOWN_DIFFERENCES else ""
        # the latest trial's: a study whose range was widened since offers the space it searches now (the first
        # trial's was the refusals' other "study's" range)
        distribution = next(trial.distributions[key] for trial in reversed(study.get_trials(deepcopy=False))
                            if key in trial.distributions)
        raise ConfigError(
            f"the study {study.study_name!r} in {where} searched {', '.join(no_longer_searched)} (each trial drew "
            f"its own value), and this search fixes it ({values}{more}): its trials would not be comparable with "
            f"the study's. allowed: the study's own search space ('{searched_as(key, distribution)}', as its "
            f"trials drew it), or {new_search} for a search with {key} fixed")
    changes = listed_differences(differing, SHOWN_DIFFERENCES, "{before} in the study, {now} here")
    raise ConfigError(
        f"the study {study.study_name!r} in {where} ran its trials with other settings than this search ({changes}"
        f"): they would not be comparable. allowed: the study's own settings, or {new_search} for another "
        "configuration")


def check_group_fixes(study: optuna.Study, fixes: dict[str, Any], where: str, new_search: str,
                      searched: Iterable[str] = ()) -> None:
    """Refuse a search whose fixed overrides under a searched group (``fixes``: :func:`searched_group_fixes`) are
    not the study's (see the module docstring) - in one line naming the key, its value, the group and what to do.
    A study that records none (made before they were recorded) is not compared."""
    recorded = study.user_attrs.get(GROUP_FIXES_ATTR)
    if not isinstance(recorded, dict):
        return
    differing = differing_settings(recorded, fixes)
    if not differing:
        return
    name, before, now = differing[0]
    drawn = {key: distribution for trial in study.get_trials(deepcopy=False)
             for key, distribution in trial.distributions.items()}
    groups = sorted({*drawn, *map(override_key, searched)}, key=len, reverse=True)
    group = next((key for key in groups if key != name and is_under(name, [key])), name.partition(".")[0])
    others = listed_differences(differing[1:], SHOWN_DIFFERENCES, "{before} in the study, {now} here")
    more = f" (and {len(differing) - 1} more: {others})" if len(differing) > 1 else ""
    if now == ABSENT:
        change = (f"this search leaves {name} to each option of {group}, where the study's trials ran with "
                  f"{name}={before}")
        own = f"{name}={before} as the study's trials had it"
        other = f"{name} left to {group}'s options"
    else:
        if before != ABSENT:
            had = f"the study's trials ran with {name}={before}"
        elif name in drawn:
            had = f"the study's trials drew it each their own ('{searched_as(name, drawn[name])}')"
        else:
            had = f"the study's trials ran with {name} as each option of {group} sets it"
        change = f"this search fixes {name}={now} in it, where {had}"
        own = (f"the command without {name}={now}" if before == ABSENT
               else f"{name}={before} as the study's trials had it")
        other = f"{name}={now}"
    raise ConfigError(
        f"the study {study.study_name!r} in {where} searched {group} (each trial drew its option), and {change}"
        f"{more}: its trials would not be comparable with the study's. allowed: the study's own settings ({own}), "
        f"or {new_search} for a search with {other}")
