"""The study's SQLite file in WAL mode on a local file system, and SQLite's default mode elsewhere
(trainlab.search.sqlite_wal, used by trainlab.search.storage)."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from pathlib import Path

import optuna
import pytest
from optuna.distributions import FloatDistribution

from trainlab.search import sqlite_wal
from trainlab.search.sqlite_wal import _use_wal, file_system_type, restore_default_mode, wal_is_safe
from trainlab.search.storage import open_storage

MOUNTINFO = """\
22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
29 22 0:39 /export/home /home/shared rw,relatime - nfs server:/export rw
30 22 0:40 / /mnt/shared rw,relatime shared:2 - nfs4 server:/export rw,vers=4.2
31 30 253:1 / /mnt/shared/local\\040scratch rw,relatime shared:3 - xfs /dev/vdb rw
32 22 0:41 / /scratch rw,relatime shared:4 - lustre 10.0.0.1@tcp:/fs rw
"""


def journal_mode(database: Path) -> str:
    with closing(sqlite3.connect(database)) as connection:
        return connection.execute("PRAGMA journal_mode").fetchone()[0]


def ask_and_tell(storage, trials: int) -> optuna.Study:
    study = optuna.create_study(storage=storage, study_name="s", sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(trials):
        trial = study.ask({"lr": FloatDistribution(1e-6, 1e-2, log=True)})
        study.tell(trial, trial.params["lr"])
    return study


@pytest.fixture
def mountinfo(tmp_path):
    path = tmp_path / "mountinfo"
    path.write_text(MOUNTINFO)
    return path


def test_the_file_system_of_a_path_is_that_of_the_longest_mount_point_above_it(mountinfo):
    assert file_system_type(Path("/home/user/outputs"), mountinfo) == "ext4"
    assert file_system_type(Path("/home/shared/sweep"), mountinfo) == "nfs"  # a bind of a subtree, no optional field
    assert file_system_type(Path("/mnt/shared/project/multiruns"), mountinfo) == "nfs4"
    assert file_system_type(Path("/mnt/shared"), mountinfo) == "nfs4"
    assert file_system_type(Path("/mnt/shared/local scratch/sweep"), mountinfo) == "xfs"  # \040 is a space
    assert file_system_type(Path("/mnt/sharedother/sweep"), mountinfo) == "ext4"  # not below /mnt/shared
    assert file_system_type(Path("/scratch/sweep"), mountinfo) == "lustre"
    assert file_system_type(Path("/anything"), mountinfo.parent / "missing") is None  # no mountinfo: unknown


def test_wal_is_safe_only_on_a_local_file_system(monkeypatch, mountinfo):
    monkeypatch.setattr(sqlite_wal, "MOUNTINFO", mountinfo)
    assert wal_is_safe(Path("/home/user/sweep/optuna.db"))
    assert wal_is_safe(Path("/mnt/shared/local scratch/optuna.db"))
    assert not wal_is_safe(Path("/mnt/shared/sweep/optuna.db"))
    assert not wal_is_safe(Path("/scratch/sweep/optuna.db"))


local_tmp = pytest.mark.skipif(not wal_is_safe(Path(__file__)), reason="WAL is set on a local file system only")


@local_tmp
def test_an_sqlite_study_file_is_in_wal_mode_and_is_whole_again_once_closed(tmp_path):
    database = tmp_path / "optuna.db"
    opened = open_storage(f"sqlite:///{database}", tmp_path)
    study = ask_and_tell(opened.storage, 3)
    assert journal_mode(database) == "wal"
    with opened.storage.engine.connect() as connection:  # each connection of the study commits without a sync
        assert connection.exec_driver_sql("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert (tmp_path / "optuna.db-wal").exists()
    opened.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["optuna.db"]  # the log folded back in, files removed
    assert journal_mode(database) == "delete"  # a closed study is in SQLite's default mode: movable, readable
    reloaded = optuna.load_study(study_name="s", storage=f"sqlite:///{database}")
    assert [t.value for t in reloaded.trials] == [t.value for t in study.trials]
    assert len(reloaded.trials) == 3


def test_an_sqlite_url_on_a_network_file_system_keeps_sqlites_default_mode(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_wal, "file_system_type", lambda path: "nfs4")
    database = tmp_path / "study.db"
    opened = open_storage(f"sqlite:///{database}", tmp_path)
    ask_and_tell(opened.storage, 2)
    assert journal_mode(database) == "delete"
    with opened.storage.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL, SQLite's default
    opened.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.db"]


def test_a_study_left_in_wal_mode_is_put_back_in_the_default_mode_on_a_network_file_system(tmp_path, monkeypatch):
    database = tmp_path / "study.db"
    with closing(sqlite3.connect(database)) as connection:  # as a killed search on a local disk leaves it
        connection.execute("PRAGMA journal_mode=WAL")
    monkeypatch.setattr(sqlite_wal, "file_system_type", lambda path: "lustre")
    opened = open_storage(f"sqlite:///{database}", tmp_path)
    ask_and_tell(opened.storage, 1)
    assert journal_mode(database) == "delete"
    opened.close()


@local_tmp
def test_a_file_busy_elsewhere_keeps_its_mode_and_neither_opening_nor_closing_fails(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="trainlab.search.sqlite_wal")
    database = tmp_path / "optuna.db"
    optuna.storages.RDBStorage(f"sqlite:///{database}").engine.dispose()  # a study database, in its default mode
    reader = sqlite3.connect(database, isolation_level=None)  # another process in a read transaction
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM studies").fetchall()
    connection = sqlite3.connect(database)
    _use_wal(connection, None)  # what a new connection of the study runs: waits 0.5 s, then gives up
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # not NORMAL without WAL
    assert "journal_mode=WAL not set, the file is in use elsewhere" in caplog.text
    connection.close()
    reader.execute("COMMIT")

    opened = open_storage(f"sqlite:///{database}", tmp_path)  # now in WAL mode; the reader reads again meanwhile
    ask_and_tell(opened.storage, 1)
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM trials").fetchall()
    opened.close()
    assert journal_mode(database) == "wal"  # still open elsewhere: it stays in WAL mode
    reader.execute("COMMIT")
    reader.close()
    restore_default_mode(opened.storage.engine)  # the next search to close it last puts it back
    assert journal_mode(database) == "delete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["optuna.db"]


def test_a_worker_that_loses_the_race_to_create_the_schema_opens_the_database_again(tmp_path, monkeypatch, caplog):
    import sqlalchemy.exc

    from trainlab.search import storage as storage_module

    real, calls = storage_module.RDBStorage, []

    def racing(url, **kwargs):  # the first open finds the other worker's half-made schema
        calls.append(url)
        if len(calls) == 1:
            raise sqlalchemy.exc.IntegrityError("INSERT INTO alembic_version", {}, Exception(
                "UNIQUE constraint failed: alembic_version.version_num"))
        return real(url, **kwargs)

    monkeypatch.setattr(storage_module, "RDBStorage", racing)
    monkeypatch.setattr(storage_module.time, "sleep", lambda seconds: None)
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    caplog.set_level("INFO", logger=storage_module.log.name)
    opened = storage_module.open_rdb(url, url)
    assert isinstance(opened, real) and len(calls) == 2
    assert "another worker was creating the study database; opening it again" in caplog.text
