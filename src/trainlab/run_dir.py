"""The job's output directory: never written over, except to resume the run or a sweep that holds it.

Hydra creates the directory (and its ``.hydra/`` and log file) before the task starts. What the task itself
writes there - ``status.json``, TensorBoard event files, ``checkpoints/``, ``metrics.csv`` - are its *artifacts*.
A directory that already holds artifacts belongs to an earlier run; the task only goes on when

* ``ckpt_path`` is set: the run is being resumed in its own directory, or
* ``resume_sweep=true`` and the earlier attempt did not finish: its artifacts are moved to ``attempts/<n>/``
  first, so nothing is lost (completed and diverged jobs are skipped before this is reached: :func:`job_to_skip`) -
  its event files renamed there, so that TensorBoard does not show the attempt as a run and an HPARAMS row of its
  own -, or
* the earlier run *failed and left no checkpoint* (:func:`failed_without_checkpoint`: a config or data error at
  its start, ``data.train_size`` larger than the pool; or it was killed outright before its first checkpoint,
  leaving its ``.hydra/``) - there is nothing to resume, and the corrected command may use the same directory: the
  failed attempt's files are moved to ``attempts/<n>/`` first, as above. Only the run's own files move: not another
  run or sweep inside its directory (:func:`own_logger_dirs`), and nothing of a directory that holds no run of
  trainlab's (:func:`killed_before_recording`) - a sweep's, refused before (:mod:`trainlab.preflight`), or one of
  the user's with logs of their own.

Otherwise it stops with :class:`RunDirInUseError`, and suggests ``ckpt_path=last`` only when the run left
``checkpoints/last.ckpt``.

Hydra writes ``.hydra/`` and the log file into the directory before the task runs, so the refusal is also made
earlier, before Hydra writes anything (the ``preflight`` Hydra callback, :mod:`trainlab.preflight`): for a single
run by :func:`check_run_dir_free`, for a multirun by :func:`trainlab.sweep.job_dirs.check_sweep_dir_free` on the
whole sweep directory.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainlab.atomic_files import TEMPORARY_NAME
from trainlab.config_keys import override_key
from trainlab.errors import RunDirInUseError
from trainlab.logger_dirs import CSV_FILE, EVENT_FILES, logger_dirs
from trainlab.run_status import STATUS_FILE, read_status
from trainlab.shell_override import shell_override

log = logging.getLogger(__name__)

ARTIFACT_PATTERNS = (STATUS_FILE, EVENT_FILES, "checkpoints", CSV_FILE, "hparams.yaml")
TENSORBOARD_MARK = "tfevents"  # what TensorBoard looks for in a file name (io_wrapper.IsTensorFlowEventsFile)
SET_ASIDE_MARK = "attempt-events"  # what stands there in the event files of an attempt set aside


def artifacts(output_dir: Path) -> list[Path]:
    return sorted(p for pattern in ARTIFACT_PATTERNS for p in output_dir.glob(pattern))


def newest_beside(output_dir: Path, holding: str) -> Path | None:
    """The directory beside ``output_dir`` (in its parent, not itself) whose ``holding`` file was written last: the
    run or sweep a command that named none probably meant (``checkpoints/last.ckpt``, ``multirun.yaml``)."""
    parent = output_dir.parent
    found = [path.parents[holding.count("/")] for path in parent.glob(f"*/{holding}")] if parent.is_dir() else []
    return written_last([directory for directory in found if directory != output_dir], holding)


def written_last(directories: list[Path], holding: str) -> Path | None:
    """The one of ``directories`` whose ``holding`` file was written last (None for none): the newest run or sweep,
    as every message that suggests one names it (:func:`newest_beside`, ``trainlab report`` of a folder of sweeps)."""
    return max(directories, key=lambda directory: (directory / holding).stat().st_mtime, default=None)


def recorded_outcome(output_dir: Path) -> str | None:
    """The ``status`` the run in ``output_dir`` recorded, or None (none yet, or an unreadable ``status.json``, which
    says nothing here: the directory is then refused as any other run's)."""
    try:
        status = read_status(output_dir)
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    return status.get("status") if isinstance(status, dict) else None


def failed_without_checkpoint(output_dir: Path) -> bool:
    """Whether the run in ``output_dir`` ended ``failed`` - or was killed outright (its files there, no
    ``status.json``: SIGKILL, out of memory) - without writing a checkpoint: nothing of it to resume. A run killed
    before its first checkpoint left its directory refused to the same command ("already holds a run") with
    nothing to resume in it. (A run still training there holds the directory's lock: :mod:`trainlab.dir_lock`.)"""
    checkpoints = output_dir / "checkpoints"
    # a checkpoint's unfinished temporary (a kill while the first one was written) is no checkpoint: it is removed
    # once the directory is taken (trainlab.stale_temporaries), and counted here it left the directory refused to
    # the same command while ckpt_path=last said there was nothing to resume
    if checkpoints.is_dir() and any(not TEMPORARY_NAME.fullmatch(entry.name) for entry in checkpoints.iterdir()):
        return False
    return recorded_outcome(output_dir) == "failed" or killed_before_recording(output_dir)


def killed_before_recording(output_dir: Path) -> bool:
    """Whether a run of trainlab's wrote its files in ``output_dir`` and no ``status.json``: it was killed outright.
    The directory must hold Hydra's ``.hydra/``, which ``train.py`` writes before anything else (:func:`is_run_dir`):
    event files, a ``metrics.csv`` or an ``hparams.yaml`` alone are no trainlab run's - a sweep's top (its HPARAMS
    experiment), another tool's TensorBoard or Lightning logs, a folder of the user's - and were taken for one
    killed, moved to ``attempts/`` with every folder below them that held logs. Such a directory is refused as
    holding another run (:func:`check_run_dir_free`); so is a run killed with ``hydra.output_subdir=null``, which
    left nothing to tell it from those."""
    return not (output_dir / STATUS_FILE).exists() and is_run_dir(output_dir) and bool(artifacts(output_dir))


def is_run_dir(directory: Path) -> bool:
    """Whether ``directory`` is a run's or a job's own directory (Hydra's ``.hydra/``, or a ``status.json``)."""
    return (directory / ".hydra").is_dir() or (directory / STATUS_FILE).exists()


def is_sweep_dir(directory: Path) -> bool:
    """Whether ``directory`` is a sweep's: Hydra's ``multirun.yaml`` of a multirun (a search's included) is there."""
    return (directory / "multirun.yaml").exists()


def own_logger_dirs(run_dir: Path) -> list[Path]:
    """The folders the loggers of the run in ``run_dir`` wrote into (:func:`~trainlab.logger_dirs.logger_dirs`),
    leaving out any that lies in another run's directory (:func:`is_run_dir`) or a sweep's (:func:`is_sweep_dir`)
    inside ``run_dir``: a run started in a subfolder of another's (``hydra.run.dir=<run>/retry``), or a sweep, is
    not that run's to move or clean."""
    found = []
    for directory in logger_dirs(run_dir):
        parts = directory.relative_to(run_dir).parts
        if not any(is_run_dir(folder) or is_sweep_dir(folder)
                   for folder in (run_dir.joinpath(*parts[:n]) for n in range(1, len(parts) + 1))):
            found.append(directory)
    return found


def check_run_dir_free(output_dir: Path, resuming_checkpoint: bool) -> None:
    """Refuse ``output_dir`` when it holds another run's artifacts, unless this run resumes from a checkpoint or the
    earlier run failed without one (see the module docstring)."""
    found = artifacts(output_dir)
    if not found or resuming_checkpoint or failed_without_checkpoint(output_dir):
        return
    names = ", ".join(p.name for p in found[:4])
    if not is_run_dir(output_dir):  # no .hydra/, no status.json: not known as trainlab's, so not taken over
        raise RunDirInUseError(
            f"output directory {output_dir} holds files a run writes ({names}) and no record of a trainlab run (no "
            ".hydra/ or status.json: another tool's logs, or a run with hydra.output_subdir=null); nothing was moved "
            "or overwritten. Start the run in a new directory, or move those files out of it.")
    # a diverged run's last.ckpt holds its NaN/Inf weights: nothing to resume (checkpoint_check refuses it)
    resume = (f"Resume that run with ckpt_path=last {shell_override('hydra.run.dir', output_dir)}, start"
              if (output_dir / "checkpoints" / "last.ckpt").is_file() and recorded_outcome(output_dir) != "diverged"
              else "Start")
    # a job of a sweep (its directory's parent holds the sweep's multirun.yaml): the sweep may be finished; a single
    # run's directory is no sweep's, and a diverged single run offers nothing to go on with
    sweep = output_dir.parent
    finish = (f", or finish its sweep with resume_sweep=true {shell_override('hydra.sweep.dir', sweep)}"
              if (sweep / "multirun.yaml").is_file() else "")
    raise RunDirInUseError(
        f"output directory {output_dir} already holds a run ({names}); nothing was overwritten. {resume} a new run "
        f"in a new directory{finish}.")


def set_attempt_aside(output_dir: Path, also: tuple[str, ...] = ()) -> Path | None:
    """Move the earlier attempt's artifacts, the folders its named loggers wrote into (``lr_0.1/`` of
    ``logger.tensorboard.name=lr_${optimizer.lr}``, :func:`own_logger_dirs`: not another run or sweep inside it) and
    the files named
    in ``also`` (e.g. its ``.hydra`` and log) to ``output_dir/attempts/<n>/``, n counting from 0, and rename its
    TensorBoard event files there (:func:`hide_event_files`); returns that directory, or None when there was
    nothing."""
    logged = {output_dir / d.relative_to(output_dir).parts[0] for d in own_logger_dirs(output_dir) if d != output_dir}
    found = sorted({*artifacts(output_dir), *logged})
    if not found:
        return None
    attempts, target = output_dir / "attempts", None
    try:
        attempts.mkdir(exist_ok=True)
        number = max((int(p.name) for p in attempts.iterdir() if p.name.isdigit()), default=-1) + 1
        while True:  # after the highest number there, whatever was deleted; a concurrent claim takes the next one
            target = attempts / str(number)
            try:
                target.mkdir()
                break
            except FileExistsError:
                number += 1
        # the claim: one rename, so of two commands taking the directory at once only one wins
        first = output_dir / STATUS_FILE if output_dir / STATUS_FILE in found else found[0]
        os.rename(first, target / first.name)
    except FileNotFoundError:
        if target is not None:
            target.rmdir()
        raise RunDirInUseError(f"{output_dir}: another command took this directory over at the same time; nothing "
                               "was overwritten. Start the run in a new directory.") from None
    except OSError as error:
        raise RunDirInUseError(f"{output_dir}: cannot move the earlier attempt to {attempts}: {error.strerror}; "
                               "nothing was overwritten. Start the run in a new directory.") from error
    for path in [*(p for p in found if p != first), *(output_dir / name for name in also)]:
        if path.exists():
            shutil.move(str(path), target / path.name)
    hide_event_files(target)
    return target


def hide_event_files(attempt_dir: Path) -> None:
    """Rename the TensorBoard event files in ``attempt_dir`` (at any depth) from ``events.out.tfevents.*`` to
    ``events.out.attempt-events.*``. TensorBoard reads every file whose name holds ``tfevents`` anywhere under its
    ``--logdir``: an earlier attempt kept under a job was a run of its own beside the jobs, and a row of the sweep's
    HPARAMS tab (its session start, status 3). Renamed back, a file is that attempt's TensorBoard run again."""
    for path in sorted(attempt_dir.rglob(f"*{TENSORBOARD_MARK}*")):
        if path.is_file() and TENSORBOARD_MARK in path.name:
            path.rename(path.with_name(path.name.replace(TENSORBOARD_MARK, SET_ASIDE_MARK)))


def naming_overrides(overrides: list[str], ignored_keys: list[str]) -> list[str]:
    """A job's overrides as two runs of one job share them, sorted: without the keys that name no hyper-parameter
    (``ignored_keys`` - Hydra's ``exclude_keys``) and ``resume_sweep`` (how the job was started)."""
    ignored = {*ignored_keys, "resume_sweep"}
    return sorted(o for o in overrides if override_key(o) not in ignored)


#: how a job ends that ``resume_sweep=true`` skips: a finished outcome. A diverged job (NaN/Inf training loss) is
#: finished as a completed one is: with the same config and seed it diverges again, so training it anew - its records
#: and TensorBoard run moved to ``attempts/`` - gave the sweep nothing but the wait.
FINISHED_STATUSES = ("completed", "diverged")


@dataclass(frozen=True)
class SkippedJob:
    """A job ``resume_sweep=true`` skips (:func:`job_to_skip`): how it ended (one of :data:`FINISHED_STATUSES`) and
    the objective it returns to this sweep."""

    status: str
    objective: Any

    def line(self, job_name: str) -> str:
        """What the skip logs: ``resume_sweep=true: 0_lr=0.1 completed before; skipping it``."""
        why = " (with the same config and seed it diverges again)" if self.status == "diverged" else ""
        return f"resume_sweep=true: {job_name} {self.status} before; skipping it{why}"


def job_to_skip(output_dir: Path, overrides: list[str], ignored_keys: list[str], optimized_metric: str | None,
                objective_on_failure: Any) -> SkippedJob | None:
    """``resume_sweep=true``: the job in ``output_dir`` when it finished before (``completed`` or ``diverged``,
    :data:`FINISHED_STATUSES`) - then it is skipped: its files stay as they were, ``checkpoints/last.ckpt`` is not
    resumed - or None: it must run. A completed job returns its recorded final metric named by *this* sweep's
    ``optimized_metric`` (a key job names leave out, so a resume may change it; the objective the job recorded was
    its own sweep's), None when the job did not log it. A diverged job returns what a diverged job returns
    (:func:`trainlab.train.objective_value`): this sweep's ``objective_on_failure``, or None without an
    ``optimized_metric`` - the value it recorded as its ``objective`` when the resume changes neither. A finished
    job whose recorded overrides differ from this job's (compared by :func:`naming_overrides`) is another job that
    landed in the same directory - jobs named by number (``hydra.sweep.subdir=${hydra.job.num}``), or by overrides
    whose keys are left out of the name - and is refused: skipping it would report its results as this job's."""
    previous = read_status(output_dir)
    if previous is None or previous["status"] not in FINISHED_STATUSES:
        return None
    status = previous["status"]
    recorded = naming_overrides(previous.get("overrides", []), ignored_keys)
    wanted = naming_overrides(overrides, ignored_keys)
    if recorded != wanted:
        raise RunDirInUseError(
            f"{output_dir} holds a {status} job with other overrides ({' '.join(recorded) or 'none'}) than this one "
            f"({' '.join(wanted) or 'none'}); its status, checkpoints and TensorBoard run are left as they were. "
            "resume_sweep=true finishes the sweep that made the directory, with that sweep's overrides: give this "
            "sweep a new hydra.sweep.dir.")
    if status == "diverged":
        return SkippedJob(status, objective_on_failure if optimized_metric else None)
    metrics = previous.get("metrics")
    if not metrics:  # a status.json that records no metrics: what the job returned
        return SkippedJob(status, previous.get("objective"))
    if optimized_metric is not None and optimized_metric not in metrics:
        log.warning("%s completed before without logging optimized_metric=%r (it logged %s): it returns no objective",
                    output_dir.name, optimized_metric, ", ".join(sorted(metrics)))
    return SkippedJob(status, metrics.get(optimized_metric) if optimized_metric is not None else None)


def claim_run_dir(output_dir: Path, resuming_checkpoint: bool, resume_sweep: bool) -> None:
    """Make sure this run may write into ``output_dir`` (see the module docstring). The temporary files of writes a
    killed earlier run never finished are not looked for here: the command that holds the directory's lock - the
    run's, or the sweep's over its jobs - removed them when it took the lock, before any job started
    (:func:`trainlab.preflight.take_output_dir`), so an attempt set aside keeps none; a job's claim could only find
    a write of this process under way."""
    if not resuming_checkpoint and (resume_sweep or failed_without_checkpoint(output_dir)):
        if (target := set_attempt_aside(output_dir)) is not None:
            log.info("%s: the earlier attempt's files were moved to %s", output_dir, target)
        return
    check_run_dir_free(output_dir, resuming_checkpoint)
