"""The job's output directory: never written over, except to resume the run or a sweep that holds it.

Hydra creates the directory (and its ``.hydra/`` and log file) before the task starts. What the task itself
writes there - ``status.json``, TensorBoard event files, ``checkpoints/``, ``metrics.csv`` - are its *artifacts*.
A directory that already holds artifacts belongs to an earlier run; the task only goes on when

* ``ckpt_path`` is set: the run is being resumed in its own directory, or
* ``resume_sweep=true`` and the earlier attempt did not complete: its artifacts are moved to
  ``attempts/<n>/`` first, so nothing is lost (completed jobs are skipped before this is reached).

Otherwise it stops with :class:`RunDirInUseError`.

Hydra writes ``.hydra/`` and the log file into the directory before the task runs, so the refusal is also made
earlier, before Hydra writes anything (the ``preflight`` Hydra callback, :mod:`trainlab.preflight`): for a single
run by :func:`check_run_dir_free`, for a multirun by :func:`check_sweep_dir_free` on the whole sweep directory.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from trainlab.errors import RunDirInUseError
from trainlab.run_status import STATUS_FILE
from trainlab.shell_override import shell_override

ARTIFACT_PATTERNS = (STATUS_FILE, "events.out.tfevents.*", "checkpoints", "metrics.csv", "hparams.yaml")


def artifacts(output_dir: Path) -> list[Path]:
    return sorted(p for pattern in ARTIFACT_PATTERNS for p in output_dir.glob(pattern))


def check_run_dir_free(output_dir: Path, resuming_checkpoint: bool) -> None:
    """Refuse ``output_dir`` when it holds another run's artifacts, unless this run resumes from a checkpoint."""
    found = artifacts(output_dir)
    if not found or resuming_checkpoint:
        return
    names = ", ".join(p.name for p in found[:4])
    raise RunDirInUseError(
        f"output directory {output_dir} already holds a run ({names}); nothing was overwritten. Resume that run "
        f"with ckpt_path=last {shell_override('hydra.run.dir', output_dir)}, finish an interrupted sweep with "
        "resume_sweep=true "
        "hydra.sweep.dir=<its dir>, or start a new run in a new directory."
    )


# Folders a job or a sweep writes for itself: never a job directory, not searched for one.
NOT_JOB_DIRS = frozenset({".hydra", "checkpoints", "attempts", "report", ".submitit"})


def sweep_job_dirs(sweep_dir: Path) -> list[Path]:
    """The job directories of a sweep, in job order: ``<sweep>/<n>_<overrides>/``, or deeper when an override's
    value holds a ``/`` (``callbacks.early_stopping.monitor=val/loss`` names the directory ``0_...monitor=val/loss``,
    as Hydra joins the overrides as they are). A job directory holds ``.hydra/`` or a run's artifacts."""
    found = []

    def visit(directory: Path) -> None:
        for child in sorted(directory.iterdir()):
            if not child.is_dir() or child.name in NOT_JOB_DIRS:
                continue
            if (child / ".hydra").is_dir() or artifacts(child):
                found.append(child)
            else:
                visit(child)

    if sweep_dir.is_dir():
        visit(sweep_dir)
    return sorted(found, key=lambda job: (job_number(job.relative_to(sweep_dir).parts[0]), str(job)))


def job_number(name: str) -> int:
    """The ``<n>`` of a job directory named ``<n>_<overrides>`` (others sort last)."""
    digits = len(name) - len(name.lstrip("0123456789"))
    return int(name[:digits]) if digits else 1 << 30


def check_sweep_dir_free(sweep_dir: Path, resume_sweep: bool) -> None:
    """Refuse a multirun into ``sweep_dir`` when a job directory in it holds a run's artifacts, unless the multirun
    is ``resume_sweep=true`` (which skips the completed jobs and keeps the others' earlier attempts)."""
    if resume_sweep:
        return
    used = [job for job in sweep_job_dirs(sweep_dir) if artifacts(job)]
    if not used:
        return
    names = ", ".join(job.relative_to(sweep_dir).as_posix() for job in used[:3])
    names += f" and {len(used) - 3} more" if len(used) > 3 else ""
    raise RunDirInUseError(
        f"hydra.sweep.dir={sweep_dir} already holds a run in {names}; nothing was overwritten. Finish or extend "
        f"that sweep with resume_sweep=true {shell_override('hydra.sweep.dir', sweep_dir)} (completed jobs are "
        "skipped), or give this "
        "sweep a new hydra.sweep.dir."
    )


def claim_run_dir(output_dir: Path, resuming_checkpoint: bool, resume_sweep: bool) -> None:
    """Make sure this run may write into ``output_dir`` (see the module docstring)."""
    if resume_sweep and not resuming_checkpoint and (found := artifacts(output_dir)):
        attempts = output_dir / "attempts"
        target = attempts / str(len(list(attempts.glob("*"))) if attempts.exists() else 0)
        target.mkdir(parents=True)
        for path in found:
            shutil.move(str(path), target / path.name)
        return
    check_run_dir_free(output_dir, resuming_checkpoint)
