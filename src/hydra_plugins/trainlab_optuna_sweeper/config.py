"""Config of the ``trainlab_optuna`` sweeper and its sampler presets, registered in Hydra's ConfigStore.

Importing this module must stay cheap (Hydra imports every plugin module on every start): no Optuna here.
The meaning of each key is documented in :mod:`trainlab.search.optuna_search`. (No ``from __future__ import
annotations`` here: Hydra loads plugin modules in a way that breaks dataclasses with string annotations.)
"""

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore

SWEEPER = "trainlab_optuna"
SAMPLER_GROUP = "hydra/sweeper/optuna_sampler"


@dataclass
class TrainlabOptunaSweeperConf:
    _target_: str = "hydra_plugins.trainlab_optuna_sweeper.sweeper.TrainlabOptunaSweeper"
    # the sampler node is built by the sweeper, not by Hydra's instantiate (for its errors and its seed)
    _recursive_: bool = False
    defaults: list[Any] = field(default_factory=lambda: ["_self_", {"optuna_sampler": "tpe"}])
    # an Optuna sampler, {_target_: optuna.samplers.<Class>, ...its keyword arguments}; presets in the group
    # hydra/sweeper/optuna_sampler
    sampler: Any = None
    # maximize | minimize: what to do with the value the task returns
    direction: str = "minimize"
    # null: <hydra.sweep.dir>/optuna.journal; an RDB URL (sqlite:///..., postgresql://..., mysql://...); journal:<file>
    storage: Any = None
    # the study's name in the storage: workers with the same storage and study_name share one study
    study_name: str = "search"
    # trials that run to their end, in all (over resumes and workers); "minimum": the bound the search checks, named
    # also when the value is no integer at all (trainlab.hydra_errors.typed_field_message)
    n_trials: int = field(default=20, metadata={"minimum": 1})
    # trials per batch handed to the launcher, or "auto": batches that let the sampler's model work
    # (trainlab.search.batch_size; checked there, so no int type here)
    n_jobs: Any = 1
    # the search space, key -> interval(a, b) | tag(log, interval(a, b)) | tag(int, interval(a, b)) | choice(x, y)
    # | x,y | range(start, stop, step) | a fixed value
    params: Any = None


# sampler presets: plain nodes, so any keyword argument of the class can be set (checked when the sampler is built)
SAMPLERS: dict[str, dict[str, Any]] = {
    "random": {"_target_": "optuna.samplers.RandomSampler", "seed": None},
    # constant_liar: trials asked in a batch (n_jobs > 1), or by several workers, count as bad while they run, so
    # they spread out instead of all drawing near the best so far (with n_jobs=1 it changes nothing)
    "tpe": {"_target_": "optuna.samplers.TPESampler", "seed": None, "n_startup_trials": 10, "multivariate": False,
            "constant_liar": True},
    "gp": {"_target_": "optuna.samplers.GPSampler", "seed": None, "n_startup_trials": 10},
    "cmaes": {"_target_": "optuna.samplers.CmaEsSampler", "seed": None},
    "qmc": {"_target_": "optuna.samplers.QMCSampler", "seed": None},
}

store = ConfigStore.instance()
store.store(group="hydra/sweeper", name=SWEEPER, node=TrainlabOptunaSweeperConf, provider="trainlab")
for name, node in SAMPLERS.items():
    store.store(group=SAMPLER_GROUP, name=name, node=node, package="hydra.sweeper.sampler", provider="trainlab")
