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


def test_a_workers_job_sees_the_sweep_stopped_by_the_signal_the_mark_names_at_most_every_interval(tmp_path,
                                                                                                   monkeypatch):
    """The command marks the stop with its signal's name; a job whose process got no signal stops as on it."""
    from trainlab.sweep import worker_stop
    from trainlab.sweep.worker_stop import SweepStopWatch, mark_stop

    clock = [100.0]
    monkeypatch.setattr(worker_stop.time, "monotonic", lambda: clock[0])
    watch = SweepStopWatch(tmp_path, interval_s=0.5)
    assert watch.stopped() is None  # no mark
    mark_stop(tmp_path, signal.SIGTERM)
    clock[0] += 0.4
    assert watch.stopped() is None  # not looked at again yet: a step costs a clock reading, not a stat
    clock[0] += 0.2
    assert watch.stopped() == signal.SIGTERM
    (tmp_path / STOP_MARK).write_text("")  # a mark that names nothing: the command's stop all the same
    clock[0] += 1.0
    assert watch.stopped() == signal.SIGINT


def test_a_mark_a_worker_wrote_on_its_own_signal_stops_no_other_jobs_training(tmp_path, restored_stop_handlers):
    """A signal to one worker alone in its job's start-up marks the stop (no queued job starts), but the command and
    the other workers got none: their training goes on, as before the watch."""
    from trainlab.sweep.worker_stop import SweepStopWatch, stop_marked

    with WorkerJobSignals(tmp_path) as signals, pytest.raises(StartupStop):
        signals.handle(signal.SIGTERM, None)
    assert stop_marked(tmp_path)  # queued jobs do not start
    assert SweepStopWatch(tmp_path).stopped() is None  # another worker's training job goes on
