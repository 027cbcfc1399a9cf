"""Where ``ckpt_path`` points: the file a resume would load, or a one-line refusal when it names none.

``ckpt_path=last`` means ``<output dir>/checkpoints/last.ckpt``; any other value is a file path. Whether that file
exists needs nothing but the file system, so it is answered here without torch or Lightning: the training task
asks it before it loads the checkpoint (:mod:`trainlab.checkpoint_check`), and a multirun's command asks it for
every job before the sweep starts (:func:`trainlab.sweep.first_job.check_checkpoint_path`: the basic sweep's
preflight, the stacked launcher before its first job, a search before its study exists) - with the joblib or
submitit launcher, whose jobs train in processes of their own, a ``ckpt_path`` naming no file was found by each job
only after seconds of imports in its own process, and the command reported it once they had all ended.
"""

from __future__ import annotations

from pathlib import Path

from trainlab.errors import CheckpointNotFoundError
from trainlab.run_dir import newest_beside


def resolve_checkpoint(ckpt_path: str | None, output_dir: Path) -> str | None:
    """``last`` -> ``<output_dir>/checkpoints/last.ckpt``; a file path is checked to exist. Where there is none,
    the message names what would do: the newest run beside ``output_dir`` that has a ``last.ckpt`` (for ``last``
    in a new timestamped run directory), or the ``last.ckpt`` in a directory given as ``ckpt_path``."""
    if ckpt_path is None:
        return None
    path = output_dir / "checkpoints" / "last.ckpt" if ckpt_path == "last" else Path(ckpt_path)
    if path.is_file():
        return str(path)
    if ckpt_path == "last":
        run = newest_beside(output_dir, "checkpoints/last.ckpt")
        newest = f"; the newest run here with one: hydra.run.dir={run}" if run else ""
        hint = f" (ckpt_path=last resumes the run in hydra.run.dir / hydra.sweep.dir{newest})"
    elif path.is_dir():
        inside = next((p for p in (path / "last.ckpt", path / "checkpoints" / "last.ckpt") if p.is_file()), None)
        hint = f": it is a directory; did you mean ckpt_path={inside}?" if inside else ": it is a directory"
    else:
        hint = ""
    raise CheckpointNotFoundError(f"ckpt_path={ckpt_path}: no checkpoint file at {path}{hint}")
