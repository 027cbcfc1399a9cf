"""Checks that must run before Hydra writes anything: a Hydra callback (``hydra.callbacks.preflight``).

Hydra creates the run directory (``hydra.run.dir``, or ``hydra.sweep.dir`` for a multirun) and writes ``.hydra/``
and ``train.log`` into it before the training task starts. What would make that fail, or write into a directory
that must stay untouched, is therefore checked here, on the composed config:

* ``on_run_start`` / ``on_multirun_start``: the run or sweep directory, ``paths.log_dir`` and the data directories
  (:mod:`trainlab.output_locations`) - a file in the way, no permission, a read-only or full disk;
* ``on_run_start`` with ``ckpt_path``: the config (:func:`~trainlab.config_validation.validate_config`) and the
  checkpoint (:func:`~trainlab.checkpoint_check.check_checkpoint`), so that a refused resume leaves the run
  directory it names as it was (Hydra would rewrite its ``.hydra/config.yaml`` with the refused config).

The training task repeats these checks for its own callers (tests, launchers that run jobs in-process); in a
multirun each job's ``ckpt_path`` is checked there, once Hydra has made the job's directory.

Hydra reports an exception raised in a callback as a warning and goes on, so a
:class:`~trainlab.errors.UserError` found here is printed the way ``train.py`` prints the task's -
``error: <message>``, exit status 2 - from here (``HYDRA_FULL_ERROR=1`` adds the traceback).
"""

from __future__ import annotations

import copy
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, open_dict, read_write

from trainlab.errors import UserError
from trainlab.output_locations import check_run_locations


def exit_on_user_error(check: Callable[[], None]) -> None:
    """Run ``check``; a UserError ends the process with ``error: <message>`` and exit status 2."""
    try:
        check()
    except UserError as error:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            traceback.print_exc()
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from error


def check_resume(config: DictConfig) -> None:
    """``ckpt_path`` of a single run, on the task's config as Hydra will hand it to the task."""
    from trainlab.checkpoint_check import check_checkpoint  # imports Lightning: only when there is a checkpoint
    from trainlab.config_validation import validate_config
    from trainlab.train import resolve_checkpoint

    output_dir = os.path.abspath(str(config.hydra.run.dir))
    hydra_view = copy.deepcopy(config)
    with read_write(hydra_view.hydra.runtime), open_dict(hydra_view.hydra.runtime):
        hydra_view.hydra.runtime.output_dir = output_dir  # what ${hydra:runtime.output_dir} resolves to in the task
    task = copy.deepcopy(hydra_view)
    with read_write(task), open_dict(task):
        del task["hydra"]
    hydra_config = HydraConfig.instance()
    previous = hydra_config.cfg
    hydra_config.set_config(hydra_view)  # as Hydra's run_job does before the task: ${hydra:...} resolves
    try:
        validate_config(task)
        path = resolve_checkpoint(task.ckpt_path, Path(output_dir))
        check_checkpoint(path, task, name=f"ckpt_path={task.ckpt_path}")
    finally:
        hydra_config.cfg = previous


class Preflight(Callback):
    """See the module docstring."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        exit_on_user_error(lambda: check_run_locations(config, "hydra.run.dir"))
        if config.get("ckpt_path") is not None:
            exit_on_user_error(lambda: check_resume(config))

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        exit_on_user_error(lambda: check_run_locations(config, "hydra.sweep.dir"))
