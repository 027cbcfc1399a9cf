"""Where a single run that failed left its files: the ``run directory: <path>`` line a run that ends logs.

A single run names its directory when it ends (``run directory: <path>``, logged by :func:`trainlab.train.train`
after its status line; a diverged run's ``diverged:`` line names its ``status.json`` as well), and an interrupted
one in the command that resumes it. A run that failed ended with the error alone - a traceback (an exception while
it trained: a callback's, the data module's), or one ``error:`` line (a refusal found once its files were written:
a data module of one's own that refuses its data as it loads) - while its directory, timestamped by Hydra, kept its
``status.json`` (the error), ``train.log`` and ``.hydra/`` where the user had to look for it. The project's MNIST
module's own refusals (``data.train_size`` larger than the data, a damaged idx file, labels other than 0-9) come
before anything is written (:mod:`trainlab.data.data_refusals`) and leave no directory.

:func:`say_where_failed_run_is` logs the same line for it, before the error is printed, where the directory stays:
not for a refusal whose directory the command removes (it made the directory, which holds only Hydra's files:
:func:`trainlab.preflight.refusal_removes`) or leaves as it found it (a directory of the user's, where it wrote
only Hydra's files: :func:`trainlab.preflight.refusal_takes_back`), nor for a multirun's job (the sweep names its
directory and summary when it ends) or a process of a DDP job other than rank 0 (which writes the job's files).
"""

from __future__ import annotations

import logging
from pathlib import Path

from trainlab.run_status import STATUS_FILE

log = logging.getLogger(__name__)


def say_where_failed_run_is(refused: bool) -> None:
    """Log ``run directory: <path> (failed: ...)`` for the single run of this Hydra command, which is failing: with
    an exception (``refused=False``: Hydra prints it and exits with status 1) or a refusal (``refused=True``: an
    ``error:`` line and exit status 2, after which the command removes a directory it made for nothing, or takes
    back the Hydra files it wrote into one it found). Nothing
    where the directory is gone or goes, in a multirun, or in a rank other than 0."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from trainlab.preflight import refusal_removes, refusal_takes_back, writes_run_files

    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.RUN or not writes_run_files():
        return
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    if not run_dir.is_dir() or (refused and (refusal_removes(run_dir) or refusal_takes_back(run_dir))):
        return
    if (run_dir / STATUS_FILE).is_file():
        log.info("run directory: %s (failed: its %s records the error)", run_dir, STATUS_FILE)
    else:
        log.info("run directory: %s (failed before training; its config and log are there)", run_dir)
