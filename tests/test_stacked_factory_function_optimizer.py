"""An ``optimizer._target_`` that is a function returning an optimizer runs alone in a stacked sweep, saying why.

A lone run accepts such a factory (``def make_sgd(params, lr=0.1): return torch.optim.SGD(params, lr=lr)``:
:func:`~trainlab.optimizer_requirements.check_optimizer_class` checks what it returns). The stacked launcher
stacked it and every job failed with ``TypeError: issubclass() arg 1 must be a class`` in its status.json (every
trial of a search too): a stack groups its members' optimizers by class, which a function does not name.
"""

from __future__ import annotations

import functools
import json

import pytest
from own_optimizers import make_sgd

from trainlab.stacked.grouping import STRICT_ALLOWED, why_alone
from trainlab.stacked.optimizer_probe import stacking_problem

REASON = ("optimizer._target_=own_optimizers.make_sgd is a function that returns an optimizer, not an optimizer "
          "class: a stack groups its members' optimizers by class; to stack it, set _target_ to the optimizer class "
          "and its arguments as the yaml's keys")
FACTORY = ["optimizer._target_=own_optimizers.make_sgd", "~optimizer.foreach", "~optimizer.compile"]


def test_a_factory_function_is_a_reason_to_run_alone():
    assert stacking_problem(functools.partial(make_sgd, lr=0.1), 0.0) == REASON


def test_a_job_with_a_factory_function_runs_alone_naming_it(make_cfg):
    assert why_alone(make_cfg(*FACTORY, "optimizer.lr=0.05")) == REASON


@pytest.mark.slow  # ~4 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_stacked_sweep_runs_its_jobs_alone_with_the_lone_numbers(train_in_process, tmp_path):
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", "debug=limit", *FACTORY, "optimizer.lr=0.1,0.05", "hydra/launcher=stacked",
                              f"hydra.sweep.dir={sweep}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Launching 2 jobs as 2 runs: 0 stacked, 2 alone" in result.stdout
    assert f"#0 runs alone: {REASON}" in result.stdout and f"#1 runs alone: {REASON}" in result.stdout
    lone = train_in_process("debug=limit", *FACTORY, "optimizer.lr=0.05", f"hydra.run.dir={tmp_path / 'lone'}")
    assert lone.returncode == 0, lone.stderr[-3000:]
    (second_job,) = sweep.glob("1_*")
    got, expected = (json.loads((directory / "status.json").read_text()) for directory in (second_job,
                                                                                         tmp_path / "lone"))
    assert got["status"] == expected["status"] == "completed"
    assert got["metrics"] == expected["metrics"]


def test_strict_makes_it_a_config_error_naming_the_job(train_in_process, tmp_path):
    result = train_in_process("-m", "debug=limit", *FACTORY, "optimizer.lr=0.1,0.05", "hydra/launcher=stacked",
                              "hydra.launcher.strict=true", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert result.returncode == 2
    assert f"error: hydra.launcher.strict=true: job #0 cannot be stacked: {REASON}; {STRICT_ALLOWED}" in result.stderr
