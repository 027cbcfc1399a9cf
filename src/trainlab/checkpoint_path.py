"""Where ``ckpt_path`` points: the file a resume would load, or a one-line refusal when it names none.

``ckpt_path=last`` means ``<output dir>/checkpoints/last.ckpt``; any other value is a file path. Whether that file
exists needs nothing but the file system, so it is answered here without torch or Lightning: the training task
asks it before it loads the checkpoint (:mod:`trainlab.checkpoint_check`), and a multirun's command asks it for
every job before the sweep starts (:func:`trainlab.sweep.first_job.check_checkpoint_path`: the basic sweep's
preflight, the stacked launcher before its first job, a search before its study exists) - with the joblib or
submitit launcher, whose jobs train in processes of their own, a ``ckpt_path`` naming no file was found by each job
only after seconds of imports in its own process, and the command reported it once they had all ended.

``resume_sweep=true ckpt_path=last`` finishes a sweep by resuming each unfinished job from its own ``last.ckpt``
(:func:`sweep_job_ckpt_path`). A job of that sweep that left none - it never started (a Ctrl-C stopped the sweep
before it, or its joblib worker never took it up), or it stopped before its first save - has nothing to resume and
trains from its start, as ``resume_sweep=true`` alone would train it: it was refused (``ckpt_path=last: no checkpoint
file at ...``, exit status 2) once the jobs before it had trained, and the sweep ended without its ``summary.csv``.
Without ``resume_sweep=true``, ``ckpt_path=last`` names a checkpoint every job must have, and one without it is
refused before any job starts.
"""

from __future__ import annotations

from pathlib import Path

from trainlab.errors import CheckpointNotFoundError
from trainlab.run_dir import killed_before_recording, newest_beside


def sweep_job_ckpt_path(ckpt_path: str | None, output_dir: Path, resume_sweep: bool) -> str | None:
    """The ``ckpt_path`` a job in ``output_dir`` goes on with: None (train from the start) under ``resume_sweep=true``
    for ``ckpt_path=last`` where the job left no ``checkpoints/last.ckpt`` (see the module docstring), else
    ``ckpt_path`` as given - :func:`resolve_checkpoint` then finds its file or refuses it. Asked by the training task
    (:func:`trainlab.train.train`, whatever launcher started it) and by the checks made before a sweep's jobs start
    (:func:`trainlab.sweep.first_job.check_checkpoint_path`), so that both agree on which jobs resume."""
    if resume_sweep and ckpt_path == "last" and not last_checkpoint(output_dir).is_file():
        return None
    return ckpt_path


def trains_from_start_line(job_name: str) -> str:
    """What a job of ``resume_sweep=true ckpt_path=last`` that :func:`sweep_job_ckpt_path` trains from its start logs,
    once (its ``train.log``, the command's console)."""
    return f"resume_sweep=true ckpt_path=last: {job_name} left no checkpoints/last.ckpt; training it from its start"


def last_checkpoint(output_dir: Path) -> Path:
    """The file ``ckpt_path=last`` names for a run in ``output_dir``."""
    return output_dir / "checkpoints" / "last.ckpt"


def resolve_checkpoint(ckpt_path: str | None, output_dir: Path) -> str | None:
    """``last`` -> ``<output_dir>/checkpoints/last.ckpt``; a file path is checked to exist. Where there is none,
    the message names what would do: the newest run beside ``output_dir`` that has a ``last.ckpt`` (for ``last``
    in a new timestamped run directory), or the ``last.ckpt`` in a directory given as ``ckpt_path``; for a word that
    names no file (``ckpt_path=best``, which read as a file ``best`` missing here), the values allowed."""
    if ckpt_path is None:
        return None
    path = last_checkpoint(output_dir) if ckpt_path == "last" else Path(ckpt_path)
    if path.is_file():
        return str(path)
    if ckpt_path == "last" and killed_before_recording(output_dir):  # this run's own directory: nothing to resume
        hint = (f" (the run in {output_dir} was killed before its first checkpoint: nothing to resume; the command "
                "without ckpt_path trains it anew there, its earlier files moved to attempts/)")
    elif ckpt_path == "last":
        run = newest_beside(output_dir, "checkpoints/last.ckpt")
        newest = f"; the newest run here with one: hydra.run.dir={run}" if run else ""
        hint = f" (ckpt_path=last resumes the run in hydra.run.dir / hydra.sweep.dir{newest})"
    elif path.is_dir():
        inside = next((p for p in (path / "last.ckpt", path / "checkpoints" / "last.ckpt") if p.is_file()), None)
        hint = f": it is a directory; did you mean ckpt_path={inside}?" if inside else ": it is a directory"
    elif "/" not in ckpt_path and not path.suffix:  # a word, not a file name: best, latest, LAST
        best = (" (to resume from the best epoch, give its file, checkpoints/epoch_<NNN>.ckpt; the word best is "
                "trainlab evaluate's --ckpt only)") if ckpt_path.lower() == "best" else ""
        hint = f"; allowed: a checkpoint file, last or null{best}"
    else:
        hint = ""
    raise CheckpointNotFoundError(f"ckpt_path={ckpt_path}: no checkpoint file at {path}{hint}")
