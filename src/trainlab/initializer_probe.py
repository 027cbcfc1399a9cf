"""The initializer (``init``) tried on the network before anything is written, with the other checks of a config.

The classifier calls ``init(net)`` as it is built, and
:func:`~trainlab.models.initializer_call.initialise` refuses an initializer that reshapes or retypes a parameter
or returns new weights instead of writing them; an exception the initializer raises is ``init is invalid; ...``
(:func:`~trainlab.config_instantiation.instantiate_key`). That happened in the job's task only: a basic or joblib
sweep ``-m init=he,bad_reshapes`` trained job 0, then stopped at job 1 with its ``.hydra/`` and ``train.log``
left behind, no ``summary.csv`` and no command to finish the sweep; the stacked launcher refused before training
but did not say which job. :func:`check_initializer` builds ``model.net`` from the config and calls the
initializer on it as the classifier would, so that
:func:`~trainlab.config_validation.validate_config` - which the preflight asks of a single run and of every job of
a sweep before any is started (:mod:`trainlab.sweep.first_job`, the stacked launcher) - refuses it in the job's
own words. The random generators are put back (the run draws its initial weights as if nothing had looked), and
the warning of an initializer that writes nothing is left to the run, which says it once.

A network that cannot be built here (a device this process lacks, an argument its class refuses) is left to the
run, which reports it in its own words: this check is the initializer's, not the network's.

It runs where it can find something: not for the project's own initializers on the project's own network (tested
together: experiment I's 100 trials would build 100 networks for nothing), and once per pair of network and
initializer settings in a process (a sweep over ``optimizer.lr`` or ``seed`` builds one network, not one a job).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from omegaconf import DictConfig, OmegaConf

from trainlab.errors import UserError
from trainlab.own_targets import CLASSIFIER, NETWORK, OWN_INITIALIZERS

#: the settings (model.net, init) whose initializer was tried and found sound in this process
PROBED: set[tuple[str, str, int]] = set()


def check_initializer(cfg: DictConfig) -> None:
    """Refuse (:class:`~trainlab.errors.ConfigError`) the project classifier's ``init`` where the run would refuse
    it as the model is built (see the module docstring). Imports torch, the network's and the initializer's
    modules."""
    if (OmegaConf.select(cfg, "model._target_") != CLASSIFIER or not isinstance(cfg.get("init"), DictConfig)
            or not isinstance(OmegaConf.select(cfg, "model.net", default=None), DictConfig)):
        return
    if cfg.init.get("_target_") in OWN_INITIALIZERS and cfg.model.net.get("_target_") == NETWORK:
        return  # the project's own, tested together (see the module docstring)
    import hydra
    import torch
    from torch import nn

    from trainlab.config_instantiation import factory_error, instantiate_key
    from trainlab.models import initializer_call

    init = instantiate_key(cfg, "init")  # an argument it refuses: the run's own line, before the network is built
    try:  # the function itself too: a module of one's own loaded anew is another initializer
        settings = (OmegaConf.to_yaml(cfg.model.net, resolve=True), OmegaConf.to_yaml(cfg.init, resolve=True),
                    id(getattr(init, "func", init)))
    except Exception:  # noqa: BLE001 - settings that do not resolve here: tried, not remembered
        settings = None
    if settings in PROBED:
        return
    with torch.random.fork_rng(devices=[]), quiet(initializer_call.log):
        try:
            net = hydra.utils.instantiate(cfg.model.net)
        except Exception:  # noqa: BLE001 - the network's own error is the run's to report (see the module docstring)
            return
        if not isinstance(net, nn.Module):
            return
        try:
            initializer_call.initialise(init, net)
        except UserError:
            raise
        except Exception as error:  # noqa: BLE001 - the initializer's own exception, named as the run names it
            raise factory_error(error, cfg, "init") from error
    if settings is not None:
        PROBED.add(settings)


@contextlib.contextmanager
def quiet(logger: logging.Logger) -> Iterator[None]:
    """``logger`` silent meanwhile: the run that follows says the same."""
    disabled, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = disabled
