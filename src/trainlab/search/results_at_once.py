"""The results files of a search stopped at once, written by a fresh program on the way out.

A first Ctrl-C lets a search's trials stop, then writes ``optimization_results.yaml`` and ``summary.csv`` /
``ranking.csv`` (:meth:`~trainlab.search.optuna_search.OptunaSearch.record_stop`). A second one ends the command at
once from a signal handler (:mod:`trainlab.signal_exit`, :mod:`trainlab.sweep.stop_at_once`): the handler closes
the trials still running (:func:`~trainlab.search.stale_trials.close_trials_at_once`), and nothing more - reading the
whole study and writing files there, where the interrupted code may hold a lock or a half-updated object, is not
safe. So a search that stopped after 60 of 100 trials had no results file of those 60 until it was resumed.

The search registers this program as its :func:`~trainlab.signal_exit.way_out`: once the handler has closed the
trials and flushed the streams, the process replaces itself with ``python -c <BOOTSTRAP> <settings> <signal>``,
which opens the study afresh and writes the files the first stop writes, in the same format, from the trials that
finished - the closed ones count as ``interrupted`` - with a note that they are a snapshot
(:func:`~trainlab.search.results.stopped_at_once_note`). It says where they are in a line, then the command that
continues the search (the command's last line, as for every stop), and ends by the signal: exit status 130 for
SIGINT. Its signals have their default action: a further Ctrl-C ends it at once, and every file is written to a
temporary and renamed (:mod:`trainlab.atomic_files`), so an interrupted write leaves the earlier complete file.
A failure to write is said in a line (a resume writes the files); the continue line and the exit status stay.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import trainlab

#: run by ``python -c``: the default signal actions before anything else, then :func:`main` with the arguments
BOOTSTRAP = ("import signal, sys\n"
             "for signum in (signal.SIGINT, signal.SIGTERM):\n"
             "    signal.signal(signum, signal.SIG_DFL)\n"
             "if hasattr(signal, 'pthread_sigmask'):\n"
             "    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT, signal.SIGTERM])\n"
             "sys.path.insert(0, sys.argv[1])\n"
             "from trainlab.search.results_at_once import main\n"
             "main(sys.argv[2:])\n")


def program(settings: dict[str, Any]) -> list[str]:
    """The arguments after ``python`` of the program that writes the results of ``settings`` - ``sweep_dir``,
    ``storage`` (the ``hydra.sweeper.storage`` spec), ``study_name``, ``summary`` (:func:`~trainlab.sweep.
    summary_callback.summary_settings`) and ``continue_line`` - less the signal number, which the way out adds. The
    directory this ``trainlab`` was imported from comes first on its path: the same sources, however the command
    found them."""
    return ["-c", BOOTSTRAP, str(Path(trainlab.__file__).resolve().parents[1]), json.dumps(settings)]


def main(arguments: list[str]) -> None:
    """``arguments``: :func:`program`'s settings as JSON, the signal number. Ends the process by the signal."""
    settings, signum = json.loads(arguments[0]), int(arguments[1])
    try:
        print(write_results_at_once(settings), file=sys.stderr, flush=True)
    except Exception as error:  # noqa: BLE001 - said; the stop keeps its continue line and exit status
        print(f"while stopping at once: the search's optimization_results.yaml / summary.csv were not written "
              f"({type(error).__name__}: {error}); resume_sweep=true writes them", file=sys.stderr, flush=True)
    print(settings["continue_line"], file=sys.stderr, flush=True)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)  # not reached: the default action ends the process


def write_results_at_once(settings: dict[str, Any]) -> str:
    """Write ``optimization_results.yaml`` and ``summary.csv`` / ``ranking.csv`` of the study that ``settings``
    name (:func:`program`); returns the line that says where they are."""
    import optuna

    from trainlab.search.results import RESULTS_FILE, write_results
    from trainlab.search.storage import open_storage
    from trainlab.sweep.summary import SUMMARY_FILE, write_summary

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sweep_dir = Path(settings["sweep_dir"])
    with open_storage(settings["storage"], sweep_dir) as storage:
        study = optuna.load_study(study_name=settings["study_name"], storage=storage.storage)
        payload = write_results(sweep_dir, study, storage.description, stopped_at_once=True)
    write_summary(sweep_dir, **settings["summary"])
    counts = ", ".join(f"{count} {outcome}" for outcome, count in payload["trials"].items() if count)
    best = "no trial completed" if payload["best_trial"] is None else (
        f"best: trial {payload['best_trial']} with {payload['best_value']}")
    return (f"the search's results so far ({counts or 'no trial'}; {best}): "
            f"{sweep_dir / RESULTS_FILE}, {sweep_dir / SUMMARY_FILE} - a snapshot, which resume_sweep=true rewrites")
