"""Hydra sweeper plugin ``hydra/sweeper=trainlab_optuna``: a thin adapter over :mod:`trainlab.search`.

Hydra discovers it through the ``hydra_plugins`` namespace package. Its config names (``trainlab_optuna``, the group
``hydra/sweeper/optuna_sampler``) differ from those of the third-party ``hydra-optuna-sweeper`` (``optuna``,
``hydra/sweeper/sampler``), so an environment that still has that package installed composes the same configs.
"""
