"""An ``optimizer._target_`` that is no optimizer class is told so first, not asked for its class's arguments.

``_target_: torch.nn.Linear`` in an optimizer's yaml was refused with ``optimizer.out_features: torch.nn.Linear
requires it ... add out_features: <value> to .../module_cls.yaml``; once the user added it, the next run said it is
no ``torch.optim.Optimizer`` subclass. The class is checked before its keys.
"""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from trainlab.config_validation import validate_config
from trainlab.errors import ConfigError

NOT_AN_OPTIMIZER = ("optimizer._target_=torch.nn.Linear is not a torch.optim.Optimizer subclass; allowed: a subclass "
                    "of torch.optim.Optimizer (trainlab.optim.book_optimizer.BookOptimizer for an update rule of the "
                    "book's form)")


@pytest.mark.parametrize("keys", [
    {"in_features": 3},  # out_features, which Linear requires, is missing
    {"in_features": 3, "lr": 0.1},  # and lr is no argument of Linear
])
def test_a_module_class_as_optimizer_is_refused_as_no_optimizer_before_its_arguments(make_cfg, keys):
    cfg = make_cfg()
    cfg.optimizer = OmegaConf.create({"_target_": "torch.nn.Linear", "_partial_": True, **keys})
    with pytest.raises(ConfigError) as error:
        validate_config(cfg, machine=False)
    assert str(error.value) == NOT_AN_OPTIMIZER


def test_an_optimizer_yaml_naming_a_module_class_is_one_line_saying_it_is_no_optimizer(train_in_process, tmp_path):
    conf = tmp_path / "my_conf"
    (conf / "optimizer").mkdir(parents=True)
    (conf / "optimizer" / "module_cls.yaml").write_text("_target_: torch.nn.Linear\n_partial_: true\nin_features: 3\n")
    run = tmp_path / "run"
    result = train_in_process("--config-dir", str(conf), "optimizer=module_cls", "debug=limit",
                              f"hydra.run.dir={run}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"error: {NOT_AN_OPTIMIZER}"
    assert not run.exists()
