"""The ``train_in_process`` fixture (tests/conftest.py) answers like ``python train.py`` and leaves no trace.

Many tests rely on it instead of a subprocess; if it let Hydra's state or logging set-up leak, later tests would run
as if inside a sweep (``train()`` reads ``HydraConfig``) or log into another test's ``train.log``.
"""

from __future__ import annotations

import logging

from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig

from trainlab.job_context import JobContext


def test_an_error_inside_a_sweep_job_gives_the_exit_status_and_line_and_leaves_no_hydra_state(train_in_process):
    root_handlers = list(logging.getLogger().handlers)
    # the second job's logging is set up, then it fails (a value on the command line, or a config the first job
    # would refuse, is refused before the sweep)
    result = train_in_process("-m", "debug=limit", "data.eval_splits=[val],[train,test]")
    assert result.returncode == 2
    assert result.stderr == (
        "error: optimized_metric='val/acc' is not a metric the sweep's jobs report; allowed: one of eval/train_loss, "
        "eval/train_acc, eval/test_loss, eval/test_acc, train/acc, train/loss, test/loss, test/acc, status/diverged, "
        "or optimized_metric=null\n")
    assert "Launching 2 jobs locally" in result.stdout  # Hydra's console log is captured too
    assert not HydraConfig.initialized() and not JobContext.from_hydra().multirun
    assert not GlobalHydra.instance().is_initialized()
    assert logging.getLogger().handlers == root_handlers  # no console handler or train.log left behind


def test_flags_with_a_value_keep_it_and_print_commands_exit_0(train_in_process):
    result = train_in_process("--cfg", "job", "optimizer=adam")
    assert result.returncode == 0, result.stderr
    assert "_target_: trainlab.optim.adam.Adam" in result.stdout and "source: bundled" in result.stdout
