"""A stop signal that meets a worker's job outside its training's handler: start-up, or after training began.

A joblib worker's job is told "not run (resume_sweep=true runs it)" (:class:`StartupStop`) only when the signal came
before its training began; the worker's handler took every job without a ``status.json`` for one in its start-up, so
a job stopped after its training had saved its checkpoint was reported "not run" and recorded nothing.
"""

from __future__ import annotations

import signal

import pytest

from trainlab.startup_interrupt import end_startup
from trainlab.sweep.worker_stop import STOP_MARK, StartupStop, WorkerJobSignals


@pytest.fixture
def restored_stop_handlers():
    """The job's exit leaves the stop signals ignored (an idle worker's): this process's handlers are put back."""
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in before.items():
        signal.signal(signum, handler)


def test_a_stop_signal_before_training_began_is_a_startup_stop(tmp_path, restored_stop_handlers):
    with WorkerJobSignals(tmp_path) as signals, pytest.raises(StartupStop) as stop:
        signals.handle(signal.SIGINT, None)
    assert stop.value.signum == signal.SIGINT
    assert (tmp_path / STOP_MARK).is_file()  # no further job starts


def test_a_stop_signal_after_training_began_marks_the_stop_and_leaves_the_job_to_end(tmp_path,
                                                                                       restored_stop_handlers):
    with WorkerJobSignals(tmp_path) as signals:
        end_startup()  # fit starts: the job's own handler takes over (trainlab.callbacks.startup_end)
        assert signals.training_began()
        signals.handle(signal.SIGINT, None)  # no StartupStop: the job records its outcome (no status.json yet)
    assert (tmp_path / STOP_MARK).is_file()
    with WorkerJobSignals(tmp_path) as next_job:  # the worker's next job: in its start-up again
        assert not next_job.training_began()
