"""A stacked sweep composes each job once: the sweeper's check and the launcher share one composition."""

from __future__ import annotations

from omegaconf import OmegaConf

from trainlab.stacked.composed_configs import remember_sweep_configs


class CountingLoader:
    """Stands in for Hydra's config loader: composes a fresh config per call and counts the calls."""

    def __init__(self) -> None:
        self.compositions = 0

    def load_sweep_config(self, master_config, sweep_overrides):
        self.compositions += 1
        return OmegaConf.create({"overrides": list(sweep_overrides), "hydra": {"job": {"num": 0}}})


def test_the_second_request_for_a_jobs_config_reuses_the_first_composition():
    loader, master = CountingLoader(), OmegaConf.create({"hydra": {"overrides": {"hydra": ["hydra.verbose=false"]}}})
    remember_sweep_configs(loader)
    remember_sweep_configs(loader)  # installing twice wraps once
    checked = loader.load_sweep_config(master_config=master, sweep_overrides=["optimizer=adam"])  # the sweeper
    checked.hydra.job.num = 7  # what a caller does to its config never reaches the next caller
    launched = loader.load_sweep_config(master, ["optimizer=adam"])  # the launcher
    assert loader.compositions == 1
    assert launched.overrides == ["optimizer=adam"] and launched.hydra.job.num == 0 and launched is not checked
    loader.load_sweep_config(master, ["optimizer=adam"])  # a third request composes again (the memo gives once)
    loader.load_sweep_config(master, ["optimizer=sgd"])
    assert loader.compositions == 3
