"""The temporary files of writes a killed process never finished: removed when a run or sweep takes the directory.

Every file trainlab writes for later reading goes first to a temporary ``.<name>.tmp-<12 hex digits>`` beside it
(:func:`trainlab.atomic_files.write_atomically`). A write that raises removes its temporary; a process killed midway
(SIGKILL, the OOM killer, a power loss, a SLURM preemption past its grace time) cannot, and its temporary - as large
as a ``last.ckpt``, or a ``status.json`` - stayed for good: one more hidden file with every kill and resume, read by
nothing.

A temporary may only be removed once no process can still be writing it: a live writer's ``os.replace`` would fail,
and its run with it. The directory lock (:mod:`trainlab.dir_lock`) says so: no other command on this machine writes
in a directory whose lock this process holds, and this command has not written there yet - whatever temporary is
found is a dead writer's. Hence the removal happens only where this process holds the lock over the directory
(:func:`remove_stale_temporaries` checks it), at one place: where the command takes the lock, once its checks have
passed (:func:`trainlab.preflight.take_output_dir`), before anything in the directory is moved or written -

* a single run's directory, resumed (``ckpt_path=last``) or taking over a failed run's directory: before that run's
  files are moved to ``attempts/`` (:func:`trainlab.preflight.set_failed_attempt_aside`), so that no half-written
  file is kept there as if it were a record;
* a multirun of Hydra's basic sweeper: the sweep directory itself (``summary.csv``, ``ranking.csv``) and every job
  directory already in it (a resumed sweep's, whose unfinished jobs' files are set aside as their jobs start), before
  any job starts. This covers every launcher - in-process, stacked (one process that writes every member's
  directory) and those whose jobs train in worker processes (joblib, submitit): a worker holds no lock of its own
  and removes nothing, so a temporary a worker is writing is never another's to remove. A job claiming its
  directory (:func:`trainlab.run_dir.claim_run_dir`) looks for none again: it could only find a write of this
  process under way (a stack claims all its members' directories before it writes any).

In a run's directory, the places its writers use are looked at (:func:`run_write_dirs`): the directory itself
(``status.json``, ``hparams.yaml``, ``requeue.json``), ``checkpoints/`` and the folders its named loggers write into -
not ``attempts/``, ``.hydra/`` or the directory of another run or sweep inside it. Only plain files named exactly as
trainlab names its temporaries (:data:`~trainlab.atomic_files.TEMPORARY_NAME`) are removed: a user's
``.notes.tmp-draft`` or ``last.ckpt.tmp`` stays. One log line names what was removed.

A search's sweep directory has no lock (its workers share it, docs/hyper-parameter-search.md): there the directory
of a trial that a killed process left ``RUNNING`` is cleaned when ``resume_sweep=true`` closes the trial
(:mod:`trainlab.search.stale_trials`: the process that ran it is gone). Left alone: a job that SLURM requeued (no
command takes a lock for it; the sweep's next ``resume_sweep=true`` removes them), the data directory (shared by
every run), and everything where nothing is locked (Windows, a file system without ``flock``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from trainlab.atomic_files import TEMPORARY_NAME
from trainlab.dir_lock import holds_lock_over
from trainlab.run_dir import own_logger_dirs

log = logging.getLogger(__name__)

#: file names the log line shows; the rest are counted
SHOWN = 10


def stale_temporaries(directory: Path) -> list[Path]:
    """The plain files directly in ``directory`` (not links or folders) named as trainlab's temporaries, sorted."""
    try:
        with os.scandir(directory) as entries:
            return sorted(Path(entry.path) for entry in entries
                          if TEMPORARY_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False))
    except OSError:  # no such directory (a run without checkpoints), or unreadable: nothing of ours to remove
        return []


def run_write_dirs(run_dir: Path) -> list[Path]:
    """Where the writers of the run in ``run_dir`` write: ``run_dir``, its ``checkpoints/`` and the folders its
    named loggers wrote into, leaving out any that lies in another run's or a sweep's directory inside ``run_dir``
    (:func:`~trainlab.run_dir.own_logger_dirs`)."""
    found = [run_dir, run_dir / "checkpoints"]
    try:
        logged = own_logger_dirs(run_dir)
    except OSError:  # a folder that cannot be read: its files are not ours to look at
        logged = []
    return [*found, *(directory for directory in logged if directory not in found)]


def remove_stale_temporaries(directories: Iterable[Path], base: Path) -> list[Path]:
    """Remove the temporaries in ``directories`` (each ``base`` or inside it) - only where this process holds the
    lock over ``base`` (see the module docstring); returns the files removed, named in one log line relative to
    ``base``. A file that cannot be removed is said in a warning; the run goes on."""
    if not holds_lock_over(base):
        return []
    return remove_dead_writers_temporaries(directories, base)


def remove_dead_writers_temporaries(directories: Iterable[Path], base: Path) -> list[Path]:
    """:func:`remove_stale_temporaries` where the caller knows otherwise that no process writes there any more: a
    search's trial whose process is gone (:func:`trainlab.search.stale_trials.close_stale_trials`)."""
    base = Path(os.path.abspath(base))
    removed, size = [], 0
    for directory in dict.fromkeys(Path(os.path.abspath(d)) for d in directories):
        if directory != base and base not in directory.parents:  # not under this lock
            continue
        for path in stale_temporaries(directory):
            try:
                length = path.lstat().st_size
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as error:
                log.warning("could not remove %s, the unfinished temporary file of a killed run (%s)", path,
                            error.strerror or error)
                continue
            removed.append(path)
            size += length
    if removed:
        names = [path.relative_to(base).as_posix() for path in removed]
        shown = ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")
        plural = "s" if len(removed) > 1 else ""
        log.info("removed %d unfinished temporary file%s (%s) that a killed run left in %s: %s", len(removed), plural,
                 file_size(size), base, shown)
    return removed


def file_size(size: int) -> str:
    """``size`` bytes as a person reads it: ``512 B``, ``1.5 kB``, ``48.3 MB``, ``2.1 GB``."""
    if size < 1000:
        return f"{size} B"
    value, unit = size / 1000, "kB"
    for bigger in ("MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:.1f} {unit}"
