"""The initializer tried before a run or sweep (trainlab.initializer_probe) runs where it can find something: not
for the project's own initializers on the project's own network, and once per pair of settings in a process."""

from __future__ import annotations

from trainlab import initializer_probe
from trainlab.init import __all__ as exported_initializers
from trainlab.own_targets import OWN_INITIALIZERS


def test_the_own_initializers_are_the_ones_the_package_exports():
    assert {f"trainlab.init.{name}" for name in exported_initializers} <= OWN_INITIALIZERS
    assert "trainlab.init.my_init.my_init" not in OWN_INITIALIZERS  # where docs/extending.md puts one's own


def test_the_projects_own_initializer_on_its_own_network_builds_no_network(make_cfg, monkeypatch):
    built = []
    monkeypatch.setattr("hydra.utils.instantiate", lambda *args, **kwargs: built.append(args) or None)
    initializer_probe.check_initializer(make_cfg("init=he"))
    assert built == []


def test_an_initializer_of_ones_own_is_tried_once_per_pair_of_settings(make_cfg, monkeypatch):
    import hydra

    real = hydra.utils.instantiate
    built = []

    def counting(config, *args, **kwargs):
        built.append(config.get("_target_"))
        return real(config, *args, **kwargs)

    monkeypatch.setattr("hydra.utils.instantiate", counting)
    monkeypatch.setattr(initializer_probe, "PROBED", set())
    import trainlab.init.normal as normal

    monkeypatch.setattr(normal, "normal_init_copy", normal.normal_init, raising=False)
    cfg = make_cfg("init=normal", "init.std=0.5")
    cfg.init._target_ = "trainlab.init.normal.normal_init_copy"  # not one of the project's names: tried
    for _ in range(3):  # the jobs of a sweep over optimizer.lr: one network built
        initializer_probe.check_initializer(cfg)
    assert built.count("trainlab.models.mlp.MLP") == 1, built
    cfg.init.std = 0.25  # other settings: tried again
    initializer_probe.check_initializer(cfg)
    assert built.count("trainlab.models.mlp.MLP") == 2, built
