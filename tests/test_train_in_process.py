"""The ``train_in_process`` fixture (tests/conftest.py) answers like ``python train.py`` and leaves no trace.

Many tests rely on it instead of a subprocess; if it let Hydra's state or logging set-up leak, later tests would run
as if inside a sweep (``train()`` reads ``HydraConfig``) or log into another test's ``train.log``.
"""

from __future__ import annotations

import logging

import pytest
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig

from trainlab.job_context import JobContext


@pytest.mark.slow  # ~2 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_an_error_inside_a_sweep_job_gives_the_exit_status_and_line_and_leaves_no_hydra_state(train_in_process,
                                                                                            monkeypatch):
    # GlobalHydra as a fresh process has it, whatever a test before this one in the process left (put back after):
    # what is checked below is what this command leaves. (HydraConfig needs no such start: conftest's
    # hydra_config_as_the_test_found_it fails any test that leaves it set.)
    monkeypatch.setattr(GlobalHydra.instance(), "hydra", None)
    root_handlers = list(logging.getLogger().handlers)
    # the second job's logging is set up, then it fails (a config any job would refuse is refused before the sweep;
    # the second job refuses what it finds once it runs - its data of one's own, say)
    result = train_in_process("-m", "debug=limit", "seed=1,2",
                              "+callbacks.refuse={_target_:failing_callback.RefuseWhen,value:${seed},refused:2}")
    assert result.returncode == 2
    assert result.stderr == "error: value=2 is refused by the job's own data; allowed: not 2\n"
    assert "Launching 2 jobs locally" in result.stdout  # Hydra's console log is captured too
    assert not HydraConfig.initialized() and not JobContext.from_hydra().multirun
    assert not GlobalHydra.instance().is_initialized()
    assert logging.getLogger().handlers == root_handlers  # no console handler or train.log left behind


def test_flags_with_a_value_keep_it_and_print_commands_exit_0(train_in_process):
    result = train_in_process("--cfg", "job", "optimizer=adam")
    assert result.returncode == 0, result.stderr
    assert "_target_: trainlab.optim.adam.Adam" in result.stdout and "source: bundled" in result.stdout
