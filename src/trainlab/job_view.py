"""A composed config as Hydra will hand it to its job, for checks that run before Hydra runs the job.

Hydra's ``run_job`` sets ``hydra.runtime.output_dir``, makes the job's config the current ``HydraConfig`` (so that
``${hydra:...}`` interpolations resolve: ``paths.output_dir`` is ``${hydra:runtime.output_dir}``) and hands the task
its config without the ``hydra`` node. A check that runs earlier - the preflight before Hydra writes anything, a
search before it asks its first trial - needs the same view: :func:`job_view`.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict, read_write


@contextlib.contextmanager
def job_view(config: DictConfig, output_dir: str) -> Iterator[DictConfig]:
    """Inside: the task's config (a copy of ``config`` without ``hydra``), with ``config`` - its
    ``hydra.runtime.output_dir`` set to ``output_dir`` - as the current ``HydraConfig``; the previous one after."""
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
        yield task
    finally:
        hydra_config.cfg = previous
