"""The Hydra ``Sweeper`` of ``hydra/sweeper=trainlab_optuna``: hands its config to :mod:`trainlab.search`."""

from __future__ import annotations

from typing import Any

from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class TrainlabOptunaSweeper(Sweeper):
    """Asks Optuna for ``n_jobs`` trials at a time (``auto``: batches that suit the sampler,
    :mod:`trainlab.search.batch_size`) and runs each batch on the configured launcher."""

    def __init__(self, sampler: Any, direction: str, storage: Any, study_name: str, n_trials: int, n_jobs: int | str,
                 params: DictConfig | None) -> None:
        self.settings = {"sampler": sampler, "direction": direction, "storage": storage, "study_name": study_name,
                         "n_trials": n_trials, "n_jobs": n_jobs, "params": params}
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None
        self.launcher = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(config=config, hydra_context=hydra_context,
                                                                task_function=task_function)

    def sweep(self, arguments: list[str]) -> Any:
        from trainlab.search.optuna_search import OptunaSearch  # Optuna is imported only when a search runs

        search = OptunaSearch(config=self.config, config_loader=self.hydra_context.config_loader,
                              launcher=self.launcher, **self.settings)
        return search.run(arguments)
