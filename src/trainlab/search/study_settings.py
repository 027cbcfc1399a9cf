"""The fixed settings of a study: the overrides every trial of it gets besides its sampled parameters.

A study's trials are comparable only when they train the same thing: ``python train.py hparams_search=random
model.net.dropout=0.1`` stopped halfway and resumed as ``... model.net.dropout=0.2 resume_sweep=true`` would rank
trials of two configurations as one search. So the first search that opens a study records its fixed overrides as
the study's user attribute ``fixed_overrides``, and a search that opens the study again (``resume_sweep=true``, or
a worker joining a shared study) must bring the same ones - the order aside, and leaving out the overrides that say
where things are or how the run is shown (:data:`IGNORED_KEYS`, any ``paths.*``). Otherwise it stops in one line
that names the overrides that differ, before any trial. A study recorded before this attribute existed, with
trials, is not checked (there is nothing to compare with).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import optuna

from trainlab.errors import ConfigError

log = logging.getLogger(__name__)

FIXED_ATTR = "fixed_overrides"
#: overrides that change no trial's result: how the search is resumed, where data and outputs live, what is shown
IGNORED_KEYS = frozenset({"resume_sweep", "data.download", "data.download_timeout_s", "trainer.enable_progress_bar"})


def setting_overrides(fixed: Iterable[str]) -> list[str]:
    """The fixed overrides that define what a trial trains, sorted (see the module docstring)."""
    def key(line: str) -> str:
        return line.partition("=")[0].lstrip("+~")

    return sorted(line for line in fixed if key(line) not in IGNORED_KEYS and not key(line).startswith("paths."))


def check_study_settings(study: optuna.Study, fixed: Iterable[str], where: str) -> None:
    """Record ``fixed`` in a study without trials; refuse a study whose trials ran with other settings."""
    settings = setting_overrides(fixed)
    recorded = study.user_attrs.get(FIXED_ATTR)
    if recorded is None:
        if study.get_trials(deepcopy=False):
            log.info("study %r in %s records no fixed overrides (made before they were recorded): not compared",
                     study.study_name, where)
            return
        study.set_user_attr(FIXED_ATTR, settings)
        return
    if list(recorded) == settings:
        return
    missing = [line for line in recorded if line not in settings]
    added = [line for line in settings if line not in recorded]
    changes = "; ".join(part for part in (f"the study had {' '.join(missing)}" if missing else "",
                                          f"this search adds {' '.join(added)}" if added else "") if part)
    raise ConfigError(
        f"the study {study.study_name!r} in {where} ran its trials with the fixed overrides "
        f"{' '.join(recorded) or '(none)'}, this search has {' '.join(settings) or '(none)'} ({changes}); its "
        "trials would not be comparable. allowed: the study's own overrides, or a new hydra.sweep.dir (or "
        "hydra.sweeper.study_name) for another configuration")
