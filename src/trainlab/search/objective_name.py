"""The study names its objective: ``val/acc``, not "Objective 0", in Optuna's own views of it.

A search's trials return one value, the ``optimized_metric`` of their runs (``val/acc`` for the presets). Optuna
keeps a study's names for its objectives in the study (``Study.set_metric_names``); optuna-dashboard labels its
history plot, its trials table and its importances with them, and ``Study.trials_dataframe()`` names its column
``value_val/acc`` instead of ``value``. The search that creates a study records the name (:func:`name_objective`);
the study's settings record ``optimized_metric`` too, and a search that continues the study with another one is
refused (:mod:`trainlab.search.study_settings`), so the name stays true.

Optuna marks ``set_metric_names`` experimental (it warns on each call); the warning is for who calls it, here this
module, not for the user, and is silenced around that call alone.
"""

from __future__ import annotations

import warnings

import optuna


def name_objective(study: optuna.Study, optimized_metric: str | None) -> None:
    """Record ``optimized_metric`` as the name of ``study``'s objective (nothing for None: no metric is named)."""
    if optimized_metric is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names([str(optimized_metric)])
