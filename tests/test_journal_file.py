"""The search's journal file after a crash: no stale lock, a torn last line cut off, clear errors for other files
(trainlab/search/journal_file.py), and which file the default storage picks (trainlab/search/storage.py)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sqlite3
from contextlib import closing

import optuna
import pytest

from trainlab.errors import ConfigError
from trainlab.search.journal_file import FlockLock, cut_torn_tail
from trainlab.search.storage import open_storage

fcntl = pytest.importorskip("fcntl")


def ask_and_tell(storage, trials: int, study_name: str = "s") -> optuna.Study:
    study = optuna.create_study(storage=storage, study_name=study_name, direction="maximize", load_if_exists=True)
    for number in range(trials):
        trial = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
        study.tell(trial, float(number))
    return study


def hold_lock_and_die(path: str) -> None:
    FlockLock(path).acquire()
    os.kill(os.getpid(), signal.SIGKILL)  # killed while holding it, as a search killed mid-append


def test_a_process_killed_holding_the_lock_leaves_no_lock_behind(tmp_path):
    journal = tmp_path / "optuna.journal"
    ask_and_tell(open_storage(None, tmp_path).storage, 1)
    child = multiprocessing.get_context("fork").Process(target=hold_lock_and_die, args=(str(journal),))
    child.start()
    child.join()
    assert child.exitcode == -signal.SIGKILL
    with open(journal, "rb") as handle:  # free at once (Optuna's symlink lock would block the next write 30 s)
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["optuna.journal"]
    assert [t.value for t in ask_and_tell(open_storage(None, tmp_path).storage, 1).trials] == [0.0, 0.0]


def test_a_torn_last_line_is_cut_off_and_the_study_goes_on(tmp_path, caplog):
    journal = tmp_path / "optuna.journal"
    ask_and_tell(open_storage(None, tmp_path).storage, 2)
    whole = journal.read_bytes()
    with open(journal, "ab") as handle:  # an append that a crash or a full disk stopped midway
        handle.write(b'{"op_code":5,"worker_id":"a-killed-process","trial_id":')
    with caplog.at_level(logging.WARNING, logger="trainlab.search.journal_file"):
        study = ask_and_tell(open_storage(None, tmp_path).storage, 1)
    assert f"{journal}: its last line was cut short (55 bytes" in caplog.text
    assert [t.value for t in study.trials] == [0.0, 1.0, 0.0]
    assert journal.read_bytes().startswith(whole) and journal.read_bytes().endswith(b"\n")


def test_cut_torn_tail_keeps_whole_lines_and_empties_a_file_of_one_fragment(tmp_path):
    path = tmp_path / "j"
    path.write_bytes(b"")
    assert cut_torn_tail(path) == 0
    path.write_bytes(b'{"a":1}\n{"b":2}\n')
    assert cut_torn_tail(path) == 0 and path.read_bytes() == b'{"a":1}\n{"b":2}\n'
    path.write_bytes(b"x" * 70000)  # no newline at all, longer than one chunk read backwards
    assert cut_torn_tail(path) == 70000 and path.read_bytes() == b""


def test_files_that_are_not_a_journal_are_refused_in_one_line(tmp_path):
    database = tmp_path / "study.db"
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("CREATE TABLE t (x)")
    with pytest.raises(ConfigError) as error:
        open_storage(f"journal:{database}", tmp_path)
    assert str(error.value).startswith(f"hydra.sweeper.storage=journal:{database}: {database} is an SQLite "
                                       f"database, not a journal file; allowed: sqlite:///{database} for it, or ")
    text = tmp_path / "notes.txt"
    text.write_text("not a journal\n")
    with pytest.raises(ConfigError) as error:
        open_storage(f"journal:{text}", tmp_path)
    assert str(error.value).startswith(f"hydra.sweeper.storage=journal:{text}: {text} is not an Optuna journal "
                                       "file (its first line is not an operation of a study); allowed: ")
    assert text.read_text() == "not a journal\n"  # left as it was


def test_the_default_storage_picks_the_earlier_sqlite_study_unless_a_journal_holds_one(tmp_path):
    earlier = tmp_path / "optuna.db"
    ask_and_tell(f"sqlite:///{earlier}", 1)
    (tmp_path / "optuna.journal").touch()  # an empty journal (made by anything that opened it): not a study
    assert open_storage(None, tmp_path).description == str(earlier)
    ask_and_tell(open_storage(f"journal:{tmp_path / 'optuna.journal'}", tmp_path).storage, 1)
    with pytest.raises(ConfigError) as error:
        open_storage(None, tmp_path)
    assert str(error.value) == (f"hydra.sweeper.storage=null: {tmp_path} holds both optuna.journal and optuna.db (a "
                                "study file of an earlier version); allowed: name the one to use, "
                                f"journal:{tmp_path / 'optuna.journal'} or sqlite:///{earlier}")


def test_flock_falls_back_only_where_the_file_system_lacks_it(tmp_path, monkeypatch, caplog):
    """journal:/proc/x.log said 'flock is not available here (No such file or directory); Optuna's symlink lock is
    used' before its refusal: a lock file that cannot be created is the journal's own error, not a missing flock."""
    import errno

    from trainlab.search import journal_file

    with pytest.raises(FileNotFoundError):
        journal_file.lock_for(tmp_path / "missing" / "optuna.journal")
    assert "flock is not available" not in caplog.text

    def no_flock(fd, operation):
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(journal_file.fcntl, "flock", no_flock)
    with caplog.at_level(logging.INFO, logger="trainlab.search.journal_file"):
        assert journal_file.lock_for(tmp_path / "optuna.journal") is None
    assert "flock is not available here (No locks available); Optuna's symlink lock is used" in caplog.text
