"""One DDP rank of a training job: ``python -m trainlab.distributed.rank_process <job.json>``.

Started by :mod:`trainlab.distributed.rank_processes` with the job's resolved config, Hydra context and data source
(the one the job's process resolved for ``data.source=auto``) in ``job.json`` and the rank in ``LOCAL_RANK``. It
runs :func:`trainlab.train.train` as the job would in one process (Lightning finds the rank variables and joins the
other ranks instead of launching any), and records how it ended in ``rank<N>.json`` beside ``job.json``, where the
job's process reads it (and, once its training starts, an empty ``rank<N>.training``):

    {"kind": "completed"}
    {"kind": "user_error", "message": "..."}                                # exit status 2
    {"kind": "diverged", "message": "...", "step": 120}                     # exit status 3
    {"kind": "interrupted", "signum": 15, "checkpoint": "...", "step": 7}   # exit status 128 + signal
    {"kind": "failed", "error": "RuntimeError: ...", "failed_at": <time.time()>}  # exit status 1

Rank 0 logs at INFO to stderr and into the job's log file; the other ranks log warnings and errors only, each line
prefixed with the rank. A failure logs its traceback, but for a rank that lost its peer (another rank ended first -
died, or stopped at once on a second Ctrl-C - and the job names that one): a line, the gloo internals being no
cause to look into.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from trainlab.startup_interrupt import stop_silently_until_training


def note_training_began() -> None:
    """Create this rank's ``rank<N>.training`` beside ``job.json``: its start-up is over
    (:data:`~trainlab.distributed.rank_processes.TRAINING_FILE`)."""
    from trainlab.distributed.rank_processes import TRAINING_FILE

    Path(sys.argv[1]).with_name(TRAINING_FILE.format(rank=os.environ["LOCAL_RANK"])).touch()


if __name__ == "__main__":  # first: a Ctrl-C the job passes on while this rank imports ends it without a traceback
    stop_silently_until_training(on_end=note_training_began)

import json  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

from omegaconf import OmegaConf  # noqa: E402

from trainlab.distributed.rank_processes import (  # noqa: E402
    OUTCOME_FILE,
    PASSED_ON_SIGNAL_VARIABLE,
    says_a_peer_was_lost,
)
from trainlab.job_context import JobContext  # noqa: E402

LOG_FORMAT = "[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"


def configure_logging(rank: int, log_file: str | None) -> None:
    root = logging.getLogger()
    if rank == 0:
        handlers: list[logging.Handler] = [logging.StreamHandler()]
        if log_file is not None:
            handlers.append(logging.FileHandler(log_file))
        for handler in handlers:
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.setLevel(logging.INFO)
    else:
        handlers = [logging.StreamHandler()]
        handlers[0].setFormatter(logging.Formatter(f"[rank {rank}]{LOG_FORMAT}"))
        root.setLevel(logging.WARNING)
    for handler in handlers:
        root.addHandler(handler)


def run(payload_file: Path, rank: int) -> tuple[dict, int]:
    """Train this rank; returns its outcome and exit status."""
    payload = json.loads(payload_file.read_text())
    configure_logging(rank, payload["log_file"])  # before Lightning is imported: its lines then go through it

    from trainlab.callbacks.divergence_guard import RunDiverged
    from trainlab.callbacks.graceful_shutdown import TrainingInterrupted
    from trainlab.errors import UserError
    from trainlab.lightning_noise import route_lightning_logs_through_root
    from trainlab.train import train

    route_lightning_logs_through_root()
    cfg = OmegaConf.create(payload["config"])
    try:
        train(cfg, JobContext(**payload["context"]), data_source=payload.get("data_source"))
    except UserError as error:
        return {"kind": "user_error", "message": str(error)}, 2
    except RunDiverged as diverged:
        return ({"kind": "diverged", "message": str(diverged), "step": diverged.step,
                 "initial_weights": diverged.initial_weights}, RunDiverged.EXIT_STATUS)
    except TrainingInterrupted as stop:
        return ({"kind": "interrupted", "signum": stop.signum, "checkpoint": str(stop.checkpoint), "step": stop.step},
                128 + stop.signum)
    except BaseException as error:  # noqa: BLE001 - logged with its traceback, reported to the job's process
        failed_at = time.time()  # before the logging: when the error happened, to order the ranks' failures
        said = "".join(traceback.format_exception_only(type(error), error)).strip()
        if says_a_peer_was_lost(said):
            logging.getLogger(__name__).warning("DDP rank %d lost its peer (%s): another rank ended first", rank,
                                                said.splitlines()[-1])
        else:
            logging.getLogger(__name__).exception("DDP rank %d failed", rank)
        return {"kind": "failed", "error": said, "failed_at": failed_at}, 1
    return {"kind": "completed"}, 0


def main(argv: list[str]) -> int:
    passed_on = os.environ.get(PASSED_ON_SIGNAL_VARIABLE)
    if passed_on:  # submitit's requeue signal: the job's process passes it on as SIGTERM
        signal.signal(int(passed_on), signal.SIG_IGN)
    payload_file = Path(argv[1])
    rank = int(os.environ["LOCAL_RANK"])
    outcome, status = run(payload_file, rank)
    # training is over (ended, stopped and saved, or failed): a Ctrl-C has nothing left to stop here, and one that
    # came now - a second, close on the first - raised its KeyboardInterrupt in the lines below, a traceback in
    # place of the outcome the job's process reads (its stop line and resume command lost)
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    outcome_file = payload_file.with_name(OUTCOME_FILE.format(rank=rank))
    outcome_file.write_text(json.dumps(outcome))
    signal.signal(signal.SIGINT, before)  # a rank that hangs on its way out still ends on the next one
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
