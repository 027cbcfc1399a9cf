"""Ctrl-C (SIGINT) or SIGTERM while a multirun's jobs train under ``hydra/launcher=submitit_local``.

submitit's local executor starts, for each job, a controller process of its own (``python -m
submitit.local._local``), which starts the job's process and waits for it. Both are in the command's process group,
so a terminal's Ctrl-C reached the controllers too: Python's KeyboardInterrupt ended each of them with a traceback,
and their clean-up sent the job SIGINT again - a second Ctrl-C, on which the job stops at once, without its
checkpoint and status - and SIGKILL a second later. A SIGTERM to the group reached a job twice as well (the
controller passes its SIGTERM on). Where the command's SIGINT was ignored (a script's background job) the jobs
saved, but each then ended its process (exit status 130) without submitit's result file: the command waited for it
~15 s (submitit's grace for a slow file system) and ended with submitit's ``UncompletedJobError`` and a traceback.

The controllers are submitit's code; what they inherit is not: the command blocks the stop signals while the
multirun's processes start, and each job's process lets them in once its handlers are installed
(:mod:`trainlab.sweep.blocked_stop_signals`). From there on the job is a worker like joblib's
(:mod:`trainlab.sweep.worker_stop`): it saves, records ``interrupted`` and returns, so that submitit writes its result
and the launch ends at once. The command, which deferred the signal meanwhile, ends the sweep with the jobs' own
lines - their output goes to ``<sweep>/.submitit/``, not to the terminal - read back from their ``status.json``
(:func:`stopped_jobs`), the command that finishes the sweep once, and exit status 128 + signal. A second signal while
it waits for the jobs ends it at once, as with joblib (:mod:`trainlab.sweep.stop_at_once`; the jobs stop at once, as a
second Ctrl-C stops a run), also where both came before the command's handler ran.

What is not an interrupt still ends the sweep as submitit ends it: a job that crashed without writing a result, or
one submitit did not requeue (``UncompletedJobError``, :mod:`trainlab.submitit_requeue`). A job that refuses its
config hands the refusal to the command, which says it in one line (:mod:`trainlab.sweep.submitit_refusal`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from trainlab.run_status import STATUS_FILE, read_status

LOCAL_LAUNCHER = "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher"
#: how a job records its stop in ``status.json`` (``TrainingInterrupted``): ``SIGINT at step 40; saved <file>``
RECORDED_STOP = re.compile(r"(?P<signal>SIG\w+) at step (?P<step>\d+); saved (?P<checkpoint>.+)")


def is_submitit_local(launcher: Any) -> bool:
    """Whether ``launcher`` (a config's ``hydra.launcher`` node) is submitit's local launcher."""
    return launcher is not None and hasattr(launcher, "get") and launcher.get("_target_") == LOCAL_LAUNCHER


def stopped_jobs(job_dirs: list[Path], since: float) -> list[str]:
    """What each job of ``job_dirs`` that a signal stopped after ``since`` (a time stamp) said - ``SIGINT: stopped
    at step 40, saved <its last.ckpt>``, as a job in the command's own process says it -, read from its
    ``status.json``; a job that wrote none (it was not run) says nothing."""
    lines = []
    for job_dir in job_dirs:
        path = job_dir / STATUS_FILE
        try:
            if path.stat().st_mtime < since:  # an earlier command's
                continue
            status = read_status(job_dir)
        except (OSError, ValueError):  # none, or damaged (RecordedFileError): the summary says so
            continue
        if status is None or status.get("status") != "interrupted":
            continue
        recorded = str(status.get("error") or "")
        stop = RECORDED_STOP.fullmatch(recorded)
        lines.append(f"{stop['signal']}: stopped at step {stop['step']}, saved {stop['checkpoint']}" if stop
                     else f"{os.path.basename(job_dir)}: interrupted ({recorded or 'no checkpoint'})")
    return lines
