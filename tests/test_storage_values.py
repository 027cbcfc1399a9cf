"""``hydra.sweeper.storage`` values that cannot hold a search's study are refused in one line, with the form that
was most likely meant (trainlab/search/storage.py). Before: a value without ``//`` was taken for a file name
(``sqlite:/tmp/x.db`` -> "did you mean sqlite:///sqlite:/tmp/x.db?"); ``sqlite://`` kept the study in memory, the
search ran, and the continue line it printed was refused ("no study in sqlite://"); ``sqlite://tmp/x.db`` (two
slashes) was read as host ``tmp``, the file looked for under ``s42/...`` of the current directory. An SQLite file
of another database got Optuna's tables added (the whole command: test_optuna_search.py); the files Optuna may open
still open."""

from __future__ import annotations

import sqlite3

import optuna
import pytest

from trainlab.errors import ConfigError
from trainlab.search.storage import open_storage

KEY = "hydra.sweeper.storage"


@pytest.mark.parametrize("spec, meant", [
    ("sqlite:/tmp/x.db", "sqlite:////tmp/x.db"),
    ("sqlite:x.db", "sqlite:///x.db"),
    ("journal/tmp/j.log", "journal:/tmp/j.log"),
    ("study.db", "sqlite:///study.db"),
    ("optuna.journal", "journal:optuna.journal"),
    ("journal.log", "journal:journal.log"),  # a file named journal..., not journal: without its colon
    ("journals/optuna.journal", "journal:journals/optuna.journal"),
    ("journal.db", "sqlite:///journal.db"),
])
def test_a_storage_without_its_slashes_is_told_the_form_it_meant(tmp_path, spec, meant):
    with pytest.raises(ConfigError) as refused:
        open_storage(spec, tmp_path)
    assert str(refused.value).startswith(f"{KEY}={spec} is no database URL (<dialect>://...) and no journal "
                                         f"(journal:<file>); did you mean {KEY}={meant}? allowed: null")


def test_a_dialect_without_slashes_is_refused_without_a_guess(tmp_path):
    with pytest.raises(ConfigError) as refused:
        open_storage("postgresql:/host/db", tmp_path)
    assert str(refused.value).startswith(f"{KEY}=postgresql:/host/db is no database URL (<dialect>://...) and no "
                                         "journal (journal:<file>); allowed: null")


@pytest.mark.parametrize("spec", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_study_is_refused(tmp_path, spec):
    with pytest.raises(ConfigError) as refused:
        open_storage(spec, tmp_path)
    assert str(refused.value) == (
        f"{KEY}={spec} keeps the study in memory: it is lost when the search ends, so the search cannot be continued "
        "(resume_sweep=true) or looked at; allowed: a database file (sqlite:///study.db, "
        "sqlite:////abs/path/study.db), a journal (journal:<file>), or null (<hydra.sweep.dir>/optuna.journal)")


def test_an_sqlite_url_with_a_host_is_told_the_four_slashes(tmp_path):
    with pytest.raises(ConfigError) as refused:
        open_storage("sqlite://tmp/s42/x.db", tmp_path)
    assert str(refused.value).startswith(f"{KEY}=sqlite://tmp/s42/x.db: an sqlite URL takes no host ('tmp' here: two "
                                         f"slashes); did you mean {KEY}=sqlite:////tmp/s42/x.db? allowed:")
    assert list(tmp_path.iterdir()) == []


def test_a_database_file_still_opens(tmp_path):
    storage = open_storage(f"sqlite:///{tmp_path / 'study.db'}", tmp_path)
    assert storage.created_file == tmp_path / "study.db"


def sqlite_database(path, *statements):
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)
    connection.close()
    return path


def test_a_database_of_tables_of_its_own_is_refused_before_optuna_opens_it(tmp_path):
    database = sqlite_database(tmp_path / "mine.db", "CREATE TABLE notes (text TEXT)")
    before = database.read_bytes()
    with pytest.raises(ConfigError) as refused:
        open_storage(f"sqlite:///{database}", tmp_path)
    assert str(refused.value).startswith(f"{KEY}=sqlite:///{database}: {database} is a database of something else "
                                         "(its tables: notes), not an Optuna study's;")
    assert database.read_bytes() == before
    assert [path.name for path in tmp_path.iterdir()] == ["mine.db"]


@pytest.mark.parametrize("statements", [
    (),  # a 0-byte file
    ("CREATE TABLE studies (study_id INTEGER PRIMARY KEY, study_name VARCHAR(512))",),  # Optuna creating its schema
    ("CREATE TABLE notes (text TEXT)", "DROP TABLE notes"),  # a database without tables
])
def test_an_empty_database_or_one_optuna_is_creating_still_opens(tmp_path, statements):
    database = tmp_path / "study.db"
    database.touch()
    sqlite_database(database, *statements)
    storage = open_storage(f"sqlite:///{database}", tmp_path)
    storage.close()
    assert "alembic_version" in {name for (name,) in sqlite3.connect(database).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_an_optuna_study_with_tables_of_ones_own_beside_it_still_opens(tmp_path):
    database = tmp_path / "study.db"
    optuna.create_study(study_name="mine", storage=f"sqlite:///{database}")
    sqlite_database(database, "CREATE TABLE notes (text TEXT)")
    storage = open_storage(f"sqlite:///{database}", tmp_path)
    assert [summary.study_name for summary in storage.storage.get_all_studies()] == ["mine"]
    storage.close()
