"""``trainlab evaluate`` of a run without a ``status.json`` (still training, or killed) says so in a ``note:`` line.

Its table looked like a finished run's, where diverged and interrupted runs got a note saying what their
``last.ckpt`` holds. Another process holding the run directory's lock (:mod:`trainlab.dir_lock`) is a run still
training; otherwise the note cannot tell a killed run from a training one whose directory is not locked.
"""

from __future__ import annotations

import fcntl
import json
import os

from trainlab.dir_lock import locked_by_another
from trainlab.evaluate import run_end_note


def test_a_run_without_a_status_json_is_noted_as_still_training_or_killed(tmp_path):
    assert run_end_note(tmp_path, "last") == (
        f"note: {tmp_path} has not recorded its end in a status.json (still training, or killed): last.ckpt holds "
        "the weights of its last saved epoch")
    assert run_end_note(tmp_path, "best") is None  # another checkpoint than the run's last


def test_a_run_whose_directory_another_process_locks_is_noted_as_still_training(tmp_path):
    holder = os.open(tmp_path, os.O_RDONLY)  # another open file description: flock sees another holder
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert locked_by_another(tmp_path)
        assert run_end_note(tmp_path, "last") == (
            f"note: {tmp_path} is still training (another process holds its directory's lock) and has not recorded "
            "its end in a status.json yet: last.ckpt holds the weights of its last saved epoch so far")
    finally:
        os.close(holder)
    assert not locked_by_another(tmp_path)  # the probe let go of nothing it kept
    fcntl.flock(probe := os.open(tmp_path, os.O_RDONLY), fcntl.LOCK_EX | fcntl.LOCK_NB)  # free for a run to take
    os.close(probe)


def test_a_completed_run_gets_no_note(tmp_path):
    (tmp_path / "status.json").write_text(json.dumps({"status": "completed", "overrides": [], "metrics": {},
                                                      "objective": None, "wall_time_s": 1.0}))
    assert run_end_note(tmp_path, "last") is None


def test_a_relative_run_directory_is_named_by_its_absolute_path(tmp_path, monkeypatch):
    """The table's heading named the run absolute, its note as typed (``note: run has not recorded ...``)."""
    (tmp_path / "run").mkdir()
    monkeypatch.chdir(tmp_path)
    assert run_end_note("run", "last").startswith(f"note: {tmp_path / 'run'} has not recorded its end in a status.json")


def test_a_failed_run_is_noted_with_what_its_last_ckpt_holds(tmp_path):
    """A failed run (a DDP rank killed, an exception while it trained) got a table that looked like a finished run's,
    where diverged and interrupted runs got a note."""
    (tmp_path / "status.json").write_text(json.dumps({"status": "failed", "overrides": [], "metrics": {},
                                                      "objective": None, "wall_time_s": 1.0, "error": "RankFailed"}))
    assert run_end_note(tmp_path, "last") == (
        f"note: {tmp_path} is recorded failed in its status.json: it failed before the end of its budget (its "
        "status.json records the error), and last.ckpt holds the weights of its last saved epoch")
