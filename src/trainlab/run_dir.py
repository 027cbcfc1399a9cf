"""The job's output directory: never written over, except to resume the run or a sweep that holds it.

Hydra creates the directory (and its ``.hydra/`` and log file) before the task starts. What the task itself
writes there - ``status.json``, TensorBoard event files, ``checkpoints/``, ``metrics.csv`` - are its *artifacts*.
A directory that already holds artifacts belongs to an earlier run; the task only goes on when

* ``ckpt_path`` is set: the run is being resumed in its own directory, or
* ``resume_sweep=true`` and the earlier attempt did not complete: its artifacts are moved to
  ``attempts/<n>/`` first, so nothing is lost (completed jobs are skipped before this is reached).

Otherwise it stops with :class:`RunDirInUseError`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from trainlab.errors import RunDirInUseError
from trainlab.run_status import STATUS_FILE

ARTIFACT_PATTERNS = (STATUS_FILE, "events.out.tfevents.*", "checkpoints", "metrics.csv", "hparams.yaml")


def artifacts(output_dir: Path) -> list[Path]:
    return sorted(p for pattern in ARTIFACT_PATTERNS for p in output_dir.glob(pattern))


def claim_run_dir(output_dir: Path, resuming_checkpoint: bool, resume_sweep: bool) -> None:
    """Make sure this run may write into ``output_dir`` (see the module docstring)."""
    found = artifacts(output_dir)
    if not found or resuming_checkpoint:
        return
    if resume_sweep:
        attempts = output_dir / "attempts"
        target = attempts / str(len(list(attempts.glob("*"))) if attempts.exists() else 0)
        target.mkdir(parents=True)
        for path in found:
            shutil.move(str(path), target / path.name)
        return
    names = ", ".join(p.name for p in found[:4])
    raise RunDirInUseError(
        f"output directory {output_dir} already holds a run ({names}); nothing was overwritten. Resume that run "
        f"with ckpt_path=last hydra.run.dir={output_dir}, finish an interrupted sweep with resume_sweep=true "
        "hydra.sweep.dir=<its dir>, or start a new run in a new directory."
    )
