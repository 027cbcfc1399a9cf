"""A submitit job at its time limit, or preempted: save after the step, let submitit requeue it, resume from there.

submitit (``hydra/launcher=submitit_slurm`` or ``submitit_local``) signals a job - SIGUSR2 unless
``SUBMITIT_PREEMPT_SIGNAL`` names another - shortly before SLURM's time limit (``signal_delay_s`` before it) or when
SLURM preempts it. Its own handler then pickles the job's call, requeues the job (``scontrol requeue``; the local
executor starts the process again) and exits at once: mid-step, with no checkpoint, and the requeued job found its
directory holding a run and was refused.

trainlab answers that signal as it answers SIGTERM (:mod:`trainlab.callbacks.graceful_shutdown`): the run stops
after the current step, saves ``checkpoints/last.ckpt`` and records ``status.json`` ``interrupted``; then it writes
:data:`REQUEUE_FILE` into the job directory (the submitit job's id and the checkpoint) and hands the signal on to
submitit's handler (:func:`hand_on_to_submitit`), which requeues the job as before. When the job starts again in
that directory under the same submitit job id (:func:`requeued_checkpoint`), the run resumes from the checkpoint -
as ``ckpt_path=last`` would, with the same checks - instead of being refused; a job requeued before it saved
anything (the signal came during its start-up) trains anew, the earlier attempt set aside
(:func:`restarted_before_saving`). Once the run ends otherwise
(completed, diverged, failed) the file is removed (:func:`forget_requeue`).

submitit itself limits the requeues (``hydra.launcher.max_num_timeout``, 3 by default): past them its handler
ends the job (``UncompletedJobError``), which stays ``interrupted`` with its checkpoint, for ``resume_sweep=true``.
Under DDP every process stops at the same step. A job that starts its DDP processes itself (``trainer=ddp`` in one
submitit task) passes the signal to them as SIGTERM and gives its requeued ranks the checkpoint
(:mod:`trainlab.distributed.rank_processes`: they run outside submitit's job environment); with one submitit task
per rank (``tasks_per_node``) every rank takes the signal itself and only global rank 0 requeues (submitit's rule).
"""

from __future__ import annotations

import json
import logging
import os
import signal
from pathlib import Path
from typing import Any

from trainlab.atomic_files import write_json_atomically
from trainlab.run_dir import artifacts
from trainlab.run_status import STATUS_FILE

log = logging.getLogger(__name__)

REQUEUE_FILE = "requeue.json"
PREEMPT_SIGNAL_VARIABLE = "SUBMITIT_PREEMPT_SIGNAL"  # submitit's setting of the signal it requeues on


def submitit_signal() -> int | None:
    """The signal on which submitit requeues this process's job, when its handler is the one installed for it
    (this process runs a submitit job); None otherwise - a SLURM job started by hand, a plain run."""
    signum = getattr(signal, f"SIG{os.environ.get(PREEMPT_SIGNAL_VARIABLE, 'USR2')}", None)
    if signum is None or requeuing_job(signal.getsignal(signum)) is None:
        return None
    return signum


def one_stop(first: int, second: int, requeue: int | None) -> bool:
    """Whether ``second``, arriving while a stop on ``first`` is under way, belongs to the same stop: SLURM sends a
    preempted job (and one at its time limit) SIGTERM as well as submitit's signal ``requeue``, in either order -
    one stop, which submitit requeues, not a second signal that ends the process at once."""
    return requeue is not None and {first, second} == {signal.SIGTERM, requeue}


def requeuing_job(handler: Any) -> str | None:
    """The submitit job id of ``handler`` when it is submitit's requeue handler (a bound method of submitit's
    ``SignalHandler``, which holds the job's environment); None for any other handler."""
    owner = getattr(handler, "__self__", None)
    if getattr(handler, "__name__", "") != "checkpoint_and_try_requeue" or owner is None \
            or not type(owner).__module__.startswith("submitit."):
        return None
    try:
        return str(owner.env.job_id)
    except (AttributeError, KeyError):  # an environment without a job id: not one submitit can requeue
        return None


def current_job_id() -> str | None:
    """The id of the submitit job this process runs, as its requeue handler knows it; None outside one."""
    signum = submitit_signal()
    return None if signum is None else requeuing_job(signal.getsignal(signum))


def note_requeue(output_dir: Path, signum: int, checkpoint: Path) -> bool:
    """After a run stopped on ``signum`` and saved ``checkpoint``: when that signal is submitit's, record in the job
    directory that submitit requeues this job (its id, the checkpoint); returns whether it is."""
    if signum != submitit_signal():
        return False
    write_json_atomically(output_dir / REQUEUE_FILE,
                          {"submitit_job_id": current_job_id(), "checkpoint": str(checkpoint),
                           "signal": signal.Signals(signum).name})
    return True


def hand_on_to_submitit(signum: int, output_dir: Path) -> None:
    """Deliver ``signum`` again to the handler installed for it - submitit's, which requeues the job and exits
    (``SystemExit``; on a process of rank > 0 it returns). Past submitit's requeue limit it raises
    ``UncompletedJobError`` instead: the job is not requeued, and the note in ``output_dir`` is removed."""
    if signum != submitit_signal():
        return
    try:
        signal.raise_signal(signum)
    except Exception:  # submitit's UncompletedJobError, re-raised: it ends the job
        forget_requeue(output_dir)
        raise


def requeued_checkpoint(output_dir: Path) -> Path | None:
    """The checkpoint to resume from when this process is the requeued run of the submitit job that stopped in
    ``output_dir`` (its :data:`REQUEUE_FILE` names this job id and a checkpoint that exists); None otherwise."""
    path = output_dir / REQUEUE_FILE
    if not path.is_file():
        return None
    job_id = current_job_id()
    try:
        noted = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        log.warning("%s is unreadable (%s): the job is not resumed from it", path, error)
        return None
    if job_id is None or not isinstance(noted, dict) or noted.get("submitit_job_id") != job_id:
        return None  # another job's note (the sweep run again in this directory): the run is refused as before
    checkpoint = Path(str(noted.get("checkpoint", "")))
    return checkpoint if checkpoint.is_file() else None


def restarted_before_saving(output_dir: Path) -> bool:
    """Whether this submitit job starts again in a directory where an earlier attempt left files but neither a
    ``status.json`` nor a checkpoint: submitit requeued it before training began (its signal during the start-up,
    which its own handler answers), or it was killed before its first save. There is nothing to resume; the earlier
    attempt is set aside (``attempts/<n>/``) and the job trains from the start, instead of being refused."""
    return (current_job_id() is not None and bool(artifacts(output_dir))
            and not (output_dir / STATUS_FILE).exists() and not any((output_dir / "checkpoints").glob("*.ckpt")))


def forget_requeue(output_dir: Path) -> None:
    """The run ended (not interrupted): a later start in this directory is not a requeue of it."""
    (output_dir / REQUEUE_FILE).unlink(missing_ok=True)
