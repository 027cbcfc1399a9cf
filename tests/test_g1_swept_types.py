"""A swept value of another type than its target's annotation is refused before any job trains, whatever the
launcher (trainlab/sweep/first_job.py: ``key_checks_alike`` reads the kinds of the targets' argument values).

The argument type check (config_validation.check_argument_types) reads values, and joblib's and submitit's sweeps
left it to the jobs when their key names and ``_target_``s were alike: ``+init.scale=1.0,2.0,abc`` trained jobs 0
and 1, then refused job 2 in a line that named no job. The basic launcher refused it before anything ran.
"""

from __future__ import annotations

import textwrap

import pytest
from omegaconf import OmegaConf

from trainlab.sweep.first_job import key_checks_alike

SCALED = """\
    import torch
    from torch import nn


    @torch.no_grad()
    def scaled(module: nn.Module, scale: float = 1.0) -> None:
        for layer in module.modules():
            if isinstance(layer, nn.Linear):
                layer.weight.mul_(scale)
"""


def jobs(*inits: dict) -> list:
    return [OmegaConf.create({"seed": 1, "init": init, "optimizer": {"_target_": "torch.optim.SGD", "lr": 0.1}})
            for init in inits]


def test_values_of_another_kind_make_the_jobs_differ():
    user = {"_target_": "g1_typed.scaled", "_partial_": True}
    assert not key_checks_alike(jobs({**user, "scale": 1.0}, {**user, "scale": "abc"}))
    assert not key_checks_alike(jobs({**user, "scale": 1}, {**user, "scale": 1.5}))  # channels: int refuses 1.5
    assert not key_checks_alike(jobs({**user, "scale": 1.0}, {**user, "scale": None}))
    assert key_checks_alike(jobs({**user, "scale": 1.0}, {**user, "scale": 2.0}))
    he = {"_target_": "trainlab.init.he.he_init", "_partial_": True}
    assert key_checks_alike(jobs({**he, "gain": 1}, {**he, "gain": 2.5}))  # trainlab's: numbers alike, no torch
    assert not key_checks_alike(jobs({**he, "gain": 1}, {**he, "gain": "abc"}))
    sweep = [OmegaConf.create({"optimizer": {"_target_": "torch.optim.SGD", "lr": lr}}) for lr in (0.1, 1)]
    assert key_checks_alike(sweep)
    plain = [OmegaConf.create({"data": {"batch_size": size}}) for size in (32, "abc")]
    assert key_checks_alike(plain)  # no _target_ there: no annotation to check (the value rules are the command's)


@pytest.fixture
def scaled_init(tmp_path, monkeypatch) -> list[str]:
    folder = tmp_path / "user_code"
    folder.mkdir()
    (folder / "g1_typed.py").write_text(textwrap.dedent(SCALED))
    monkeypatch.syspath_prepend(str(folder))
    return ["init=null", "+init._target_=g1_typed.scaled", "+init._partial_=true"]


def test_a_joblib_sweep_with_a_value_of_another_type_is_refused_before_any_job(scaled_init, train_in_process,
                                                                               tmp_path):
    sweep_dir = tmp_path / "sweep"
    result = train_in_process("-m", "debug=limit", "hydra/launcher=joblib", "hydra.launcher.n_jobs=1", *scaled_init,
                              "+init.scale=1.0,2.0,abc", f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 2, result.stderr[-2000:]
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: init.scale='abc' is invalid; allowed: a float (g1_typed.scaled's scale: float) "
                           "(in job 2_"), line
    assert line.endswith("+init.scale=abc,data.source=bundled,~init=null of the sweep; no job was run)"), line
    assert not sweep_dir.exists()  # before: jobs 0 and 1 trained there
