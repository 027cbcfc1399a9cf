"""The sampler a study is drawn by: recorded in the study, so that a search continuing it with another one says so.

The presets name a study after its sampler option (``study_name: hparams_${hydra.runtime.choices.hydra/sweeper/
optuna_sampler}``), but a study can be continued with any sampler - on purpose (a random start, then TPE, by
``hydra.sweeper.study_name``) or not (``hparams_search=random resume_sweep=true`` on a TPE search's directory, which
the refusal of a second study in one sweep directory used to answer with that study's name alone: the search then
went on drawing at random, without a word).

* The search that creates a study records its sampler as the study's user attribute ``sampler``: the sampler's class
  and the ``hydra/sweeper/optuna_sampler`` option chosen (:func:`record_sampler`).
* A search that opens the study with another sampler class goes on, with a warning that names the study's sampler and
  the option that draws as before (:func:`another_sampler_warning`).
* :func:`sampler_option_naming` finds the option whose study name is a given study's (for the refusal's way out).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import optuna

SAMPLER_ATTR = "sampler"
SAMPLER_GROUP = "hydra/sweeper/optuna_sampler"
SAMPLER_CHOICE = "${hydra.runtime.choices.hydra/sweeper/optuna_sampler}"


def sampler_record(target: str, option: str | None) -> dict[str, Any]:
    """What a study records of its sampler: the class (its ``_target_``) and the option (None when none is chosen)."""
    return {"class": target, "option": option}


def record_sampler(study: optuna.Study, record: dict[str, Any]) -> None:
    """Record ``record`` (:func:`sampler_record`) in ``study``: done by the search that created it."""
    study.set_user_attr(SAMPLER_ATTR, record)


def option_text(record: Mapping[str, Any]) -> str:
    """``TPESampler (hydra/sweeper/optuna_sampler=tpe)``, or the class alone."""
    name = str(record.get("class", "?")).rpartition(".")[2]
    return f"{name} ({SAMPLER_GROUP}={record['option']})" if record.get("option") else name


def another_sampler_warning(study: optuna.Study, record: dict[str, Any], where: str) -> str | None:
    """The warning when ``study`` records a sampler class other than ``record``'s (None: the same class, or a study
    made before the record - nothing to compare). The caller logs it once every check of the search has passed."""
    recorded = study.user_attrs.get(SAMPLER_ATTR)
    if not isinstance(recorded, dict) or recorded.get("class") == record["class"]:
        return None
    # the option, unless it is this search's own (its sampler's class was set by hydra.sweeper.sampler._target_)
    way_back = (f"; {SAMPLER_GROUP}={recorded['option']} draws as before"
                if recorded.get("option") and recorded.get("option") != record.get("option")
                else f"; hydra.sweeper.sampler._target_={recorded.get('class')} draws as before")
    return (f"study {study.study_name!r} in {where} was drawn by {option_text(recorded)}; this search continues it "
            f"with {option_text(record)}{way_back}")


def sampler_option_naming(study_name: str, name_template: Any, options: Iterable[str]) -> str | None:
    """The sampler option under which ``name_template`` (``hydra.sweeper.study_name`` as written) names
    ``study_name``, or None (a template that does not follow the option, or no option that gives that name)."""
    if not isinstance(name_template, str) or SAMPLER_CHOICE not in name_template:
        return None
    return next((option for option in options if name_template.replace(SAMPLER_CHOICE, option) == study_name), None)
