"""Where a search's study lives: ``hydra.sweeper.storage``.

* ``null`` (default): Optuna's journal file ``<hydra.sweep.dir>/optuna.journal`` (``JournalStorage`` over a
  ``JournalFileBackend``: an append-only log of the study's operations, each appended under a file lock and synced
  to disk), so every trial is on disk as soon as it is asked and told, and ``resume_sweep=true
  hydra.sweep.dir=<dir>`` continues the study. A sweep dir that holds ``optuna.db`` (the SQLite file earlier
  versions of trainlab wrote) and no journal that holds a study keeps using its ``optuna.db`` (both: refused). A
  crash leaves no stale lock and at worst a torn last line, cut off when the file is next opened
  (:mod:`trainlab.search.journal_file`).
  Why a journal rather than SQLite: Optuna's cached SQLite storage re-reads every RUNNING trial at each ask, so
  asking a batch (``n_jobs`` trials, one stack) costs time quadratic in the batch, and every ask and tell is a few
  database transactions. The journal keeps the study in memory and reads only what other processes appended: the
  asks and tells of a batch of 100 trials take 0.45 s against 3.6 s (SQLite in WAL mode), 300 trials 1.1 s against
  16.9 s (``bench/study_storage.py``); experiment I ran 33.6-34.9 s against 40.3-44.3 s (BENCHMARKS.md).
* an RDB URL that SQLAlchemy understands: ``sqlite:///path/to/study.db``, ``postgresql://user:pass@host/db``,
  ``mysql+pymysql://user:pass@host/db`` (the driver package must be installed) - for studies shared through a
  database server. An ``sqlite:///`` file on a local file system is in SQLite's WAL mode while the search runs
  (cheaper commits; :mod:`trainlab.search.sqlite_wal`).
* ``journal:<file>``: a journal file of your choice, e.g. one on a cluster's shared file system for workers on
  several nodes (Optuna's recommended store where there is no database server, and where SQLite's locking is
  unreliable, e.g. NFS).

A storage that cannot be opened (no such directory, unknown scheme, no server, missing driver) is a
:class:`~trainlab.errors.ConfigError` naming the key and the forms above, raised before any trial starts. So is an
SQLite file that holds tables but no Optuna study database (:func:`foreign_database_problem`), before Optuna opens
it: Optuna added its tables to a database of one's own, or failed on a ``studies`` table of its own after adding them.
Passwords never appear in messages or results files.

A relative file (``sqlite:///study.db``, ``journal:study.log``) is the current directory's, as SQLAlchemy and Optuna
read it: it is named by its absolute path in the log, the results file and the command that continues a search
(:func:`absolute_storage`), so that the command finds the same study from another directory. A file the search
created for a command that is then refused (a resume that names another storage than the sweep's, a settings
mismatch) is removed again where it holds no trial: "nothing was changed" stays true.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy.exc
from optuna.storages import BaseStorage, RDBStorage
from sqlalchemy.engine import make_url

from trainlab.errors import ConfigError, UserError
from trainlab.search.journal_file import open_journal_file
from trainlab.search.sqlite_wal import restore_default_mode, use_wal_where_safe
from trainlab.typed_values import typed

KEY = "hydra.sweeper.storage"
DEFAULT_FILE = "optuna.journal"
EARLIER_DEFAULT_FILE = "optuna.db"  # the SQLite file of a sweep dir that earlier versions wrote
JOURNAL_PREFIX = "journal:"
ALLOWED = (f"null (<hydra.sweep.dir>/{DEFAULT_FILE}), an RDB URL (sqlite:///file.db, postgresql://user:pass@host/db, "
           "mysql+pymysql://user:pass@host/db) or journal:<file>")
# two processes on one SQLite file wait for each other's writes instead of failing with "database is locked"
SQLITE_BUSY_TIMEOUT_S = 60

log = logging.getLogger(__name__)


@dataclass
class StudyStorage:
    """An opened storage, how to name it to a user (no password), whether it is the sweep dir's own, and the file
    opening it created (None: it was there, or the storage is no file)."""

    storage: BaseStorage
    description: str
    in_sweep_dir: bool
    created_file: Path | None = None

    def close(self) -> None:
        """Close the storage's database connections; an SQLite file the search used in WAL mode is put back in the
        default mode, one file again (:func:`~trainlab.search.sqlite_wal.restore_default_mode`). Optuna reconnects
        if the storage is used again."""
        if isinstance(self.storage, RDBStorage):
            restore_default_mode(self.storage.engine)
            self.storage.engine.dispose()

    def holds_trials(self) -> bool:
        """Whether a study in the storage holds a trial (an unreadable storage counts as holding some)."""
        try:
            return any(summary.n_trials for summary in self.storage.get_all_studies())
        except Exception:  # noqa: BLE001 - kept, not removed, when it cannot be read
            return True

    def __enter__(self) -> StudyStorage:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        refused = exc_type is not None and issubclass(exc_type, UserError)
        remove = refused and self.created_file is not None and not self.holds_trials()
        self.close()
        if remove:  # the refused command's own file: nothing is left behind
            for leftover in (self.created_file, *(self.created_file.with_name(self.created_file.name + suffix)
                                                  for suffix in ("-wal", "-shm", "-journal"))):
                leftover.unlink(missing_ok=True)


def hide_password(url: str) -> str:
    """``url`` with its password as ``***`` (unchanged when it has none, or does not parse)."""
    try:
        parsed = make_url(url)
    except sqlalchemy.exc.ArgumentError:
        return url
    return url if parsed.password is None else parsed.render_as_string(hide_password=True)


def open_storage(spec: str | None, sweep_dir: Path) -> StudyStorage:
    """The storage ``spec`` names (see the module docstring); ``sweep_dir`` must exist for the default."""
    if spec is None or spec == "":
        path, earlier = sweep_dir / DEFAULT_FILE, sweep_dir / EARLIER_DEFAULT_FILE
        journal_used = path.is_file() and path.stat().st_size > 0
        if earlier.is_file() and journal_used:
            raise ConfigError(f"{KEY}=null: {sweep_dir} holds both {DEFAULT_FILE} and {EARLIER_DEFAULT_FILE} (a study "
                              f"file of an earlier version); allowed: name the one to use, journal:{path} or "
                              f"sqlite:///{earlier.resolve()}")
        if earlier.is_file():
            log.info("%s holds a study file of an earlier version (%s): the search keeps using it", sweep_dir,
                     EARLIER_DEFAULT_FILE)
            return StudyStorage(open_rdb(f"sqlite:///{earlier.resolve()}", spec), str(earlier), in_sweep_dir=True)
        return StudyStorage(open_journal_file(path, KEY, "null", ALLOWED), str(path), in_sweep_dir=True)
    if not isinstance(spec, str):
        raise ConfigError(f"{KEY}={typed(spec)} is invalid; allowed: {ALLOWED}")
    if spec.startswith(JOURNAL_PREFIX):
        path = journal_path(spec)
        if not str(path) or str(path) == ".":
            raise ConfigError(f"{KEY}={spec}: no file after 'journal:'; allowed: {ALLOWED}")
        path = path.absolute()
        if not path.parent.is_dir():  # as for an SQLite file: Optuna's OSError named the file, not the directory
            raise ConfigError(f"{KEY}={spec}: no directory {path.parent} for the journal file (the search does not "
                              f"make one); allowed: an existing directory (mkdir -p {path.parent}), or {ALLOWED}")
        existed = path.exists()
        return StudyStorage(open_journal_file(path, KEY, spec, ALLOWED), f"{JOURNAL_PREFIX}{path}", in_sweep_dir=False,
                            created_file=None if existed else path)
    if "://" not in spec:  # a file name where a URL goes: optuna.journal, study.db
        form = meant_storage(spec)
        meant = f"; did you mean {KEY}={form}?" if form is not None else ";"
        raise ConfigError(f"{KEY}={spec} is no database URL (<dialect>://...) and no journal (journal:<file>)"
                          f"{meant} allowed: {ALLOWED}")
    check_sqlite_names_a_file(spec)
    url, path = absolute_storage(spec), sqlite_file(spec)
    if path is not None and not path.parent.is_dir():
        raise ConfigError(f"{KEY}={spec}: no directory {path.parent} for the database file (SQLite does not make "
                          f"one); allowed: an existing directory (mkdir -p {path.parent}), or {ALLOWED}")
    existed = path is not None and path.exists()
    return StudyStorage(open_rdb(url, spec), hide_password(url), in_sweep_dir=False,
                        created_file=path if path is not None and not existed else None)


SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def meant_storage(spec: str) -> str | None:
    """What a storage value without ``://`` most likely meant: ``sqlite:///study.db`` for a database file name,
    ``sqlite:///<file>`` for ``sqlite:<file>`` (``sqlite:////tmp/x.db`` for ``sqlite:/tmp/x.db``), ``journal:<file>``
    for a journal's file name or ``journal/<path>``; None where a dialect is named without ``//``
    (``postgresql:/host/db``): its host and database are not guessed."""
    dialect, colon, rest = spec.partition(":")
    if colon and dialect.replace("+", "").isalnum():  # <dialect>:<rest>, the // left out
        return f"sqlite:///{rest}" if dialect == "sqlite" and rest else None
    if spec.startswith("journal/"):  # journal/tmp/j.log: the colon left out (journal.log is a file's name)
        return f"{JOURNAL_PREFIX}{spec[len('journal'):]}"
    return f"sqlite:///{spec}" if spec.endswith(SQLITE_SUFFIXES) else f"{JOURNAL_PREFIX}{spec}"


def check_sqlite_names_a_file(spec: str) -> None:
    """Refuse an ``sqlite:`` URL that keeps the study in memory (``sqlite://``, ``sqlite:///:memory:``): it is gone
    when the search's process ends, so the search could neither be continued (``resume_sweep=true`` was refused,
    "no study in sqlite://", after the stopped search had printed it as the way to go on) nor read by
    ``optuna-dashboard``; and one with a host (``sqlite://tmp/x.db``, two slashes), which SQLite takes for a
    relative path under a directory named after the "host" (``/tmp/s42/search/s42/search``)."""
    try:
        url = make_url(spec)
    except sqlalchemy.exc.ArgumentError:
        return  # Optuna's own error names the URL
    if url.get_backend_name() != "sqlite":
        return
    if not url.database or url.database == ":memory:" or "mode=memory" in spec:
        raise ConfigError(f"{KEY}={spec} keeps the study in memory: it is lost when the search ends, so the search "
                          "cannot be continued (resume_sweep=true) or looked at; allowed: a database file "
                          "(sqlite:///study.db, sqlite:////abs/path/study.db), a journal (journal:<file>), or null "
                          f"(<hydra.sweep.dir>/{DEFAULT_FILE})")
    if url.host:
        meant = f"sqlite:////{url.host}/{url.database}"
        raise ConfigError(f"{KEY}={spec}: an sqlite URL takes no host ({url.host!r} here: two slashes); did you mean "
                          f"{KEY}={meant}? allowed: sqlite:///<file> (relative to the current directory) or "
                          "sqlite:////<absolute path> (four slashes)")


def journal_path(spec: str) -> Path:
    """The file of ``journal:<file>`` (``journal://<file>`` too), as written."""
    return Path(spec[len(JOURNAL_PREFIX):].removeprefix("//"))


def sqlite_file(spec: str) -> Path | None:
    """The absolute path of an ``sqlite:`` URL's database file (relative: the current directory's, as SQLAlchemy
    opens it); None for another dialect, an in-memory database or a URL that does not parse."""
    try:
        url = make_url(spec)
    except sqlalchemy.exc.ArgumentError:
        return None
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:" \
            or url.database.startswith("file:"):
        return None
    return Path(url.database).absolute()


def absolute_storage(spec: str, base: Path | None = None) -> str:
    """``spec`` with a relative file made absolute against ``base`` (the current directory by default) -
    ``sqlite:///study.db`` -> ``sqlite:////home/me/study.db``, ``journal:study.log`` -> ``journal:/home/me/study.log`` -
    so that it names the same file from another directory; any other storage unchanged."""
    base = Path.cwd() if base is None else base
    if spec.startswith(JOURNAL_PREFIX):
        path = journal_path(spec)
        return spec if not str(path) or str(path) == "." else f"{JOURNAL_PREFIX}{base / path}"
    if sqlite_file(spec) is None:
        return spec
    url = make_url(spec)
    return url.set(database=str(base / url.database)).render_as_string(hide_password=False)


def sqlite_file_problem(url: str) -> str | None:
    """Why the database file of the ``sqlite:`` URL ``url`` cannot be opened, where the file system tells it - SQLite
    says ``unable to open database file`` of a directory, as of anything else - or None."""
    file = sqlite_file(url)
    if file is None:
        return None
    if file.is_dir():
        return f"{file} is a directory, not a database file"
    if not file.exists() and file.parent.is_dir() and not os.access(file.parent, os.W_OK | os.X_OK):
        return f"the database file {file} cannot be made: its directory is not writable"
    if file.exists() and not os.access(file, os.R_OK | os.W_OK):
        return f"{file} cannot be read and written (its permissions)"
    return None


#: the tables of Optuna's study database (alembic's, which records the schema's version, included); a file holding
#: some of them only is one Optuna is creating (another worker of a shared study)
OPTUNA_TABLES = frozenset({"studies", "version_info", "study_directions", "study_user_attributes",
                           "study_system_attributes", "trials", "trial_user_attributes", "trial_system_attributes",
                           "trial_params", "trial_values", "trial_intermediate_values", "trial_heartbeats",
                           "alembic_version"})
#: the columns every version of Optuna's schema gives its ``studies`` table
STUDY_COLUMNS = frozenset({"study_id", "study_name"})


def foreign_database_problem(file: Path) -> str | None:
    """Why the SQLite file ``file`` holds no Optuna study database while it holds tables - Optuna would add its own
    tables to the database (a ``notes`` table: the search ran, and the file was changed), or fail on a ``studies``
    table of another schema after adding them (``no such column: studies.study_id``, three tracebacks) - or None.
    Read in SQLite's read-only mode, which changes nothing; a file that does not exist, is empty, holds no table,
    holds Optuna's ``studies`` (tables of one's own beside it are left alone, as Optuna leaves them) or only some of
    Optuna's tables (another worker creating the study database) is None, and so is one SQLite cannot read: Optuna's
    own error names it."""
    if not file.is_file() or file.stat().st_size == 0:
        return None
    try:
        connection = sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True, timeout=SQLITE_BUSY_TIMEOUT_S)
        try:
            tables = sorted(name for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
            columns = {row[1] for row in connection.execute("PRAGMA table_info(studies)")}
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    if "studies" in tables and not STUDY_COLUMNS <= columns:
        return (f"{file} is a database whose studies table is not Optuna's (its columns: "
                f"{', '.join(sorted(columns))}; Optuna's has study_id and study_name)")
    if "studies" not in tables and not set(tables) <= OPTUNA_TABLES:
        from trainlab.report.sweep_runs import first_named  # on this refusal's way only: the report's imports

        return f"{file} is a database of something else (its tables: {first_named(tables)}), not an Optuna study's"
    return None


# Workers that open a new database at the same moment race to create Optuna's schema: the loser sees the
# winner's tables ("table studies already exists", a UNIQUE constraint on alembic_version) and opens it again.
SCHEMA_RACE_ATTEMPTS = 5


def open_rdb(url: str, spec: str | None) -> RDBStorage:
    file = sqlite_file(url)
    if file is not None and (problem := foreign_database_problem(file)) is not None:
        named = "null" if spec is None else hide_password(spec)
        raise ConfigError(f"{KEY}={named}: {problem}; the search would add Optuna's tables to it, so it is left as "
                          "it is. allowed: a database file that does not exist yet or is empty (sqlite:///study.db), "
                          f"one that holds an Optuna study, or null (<hydra.sweep.dir>/{DEFAULT_FILE}) or "
                          "journal:<file>")
    engine_kwargs = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}} if url.startswith("sqlite") else {}
    try:
        for attempt in range(SCHEMA_RACE_ATTEMPTS):
            try:
                storage = RDBStorage(url, engine_kwargs=engine_kwargs)
                break
            except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.OperationalError) as error:
                creating_schema = "already exists" in str(error) or "UNIQUE constraint failed" in str(error)
                if not creating_schema or attempt == SCHEMA_RACE_ATTEMPTS - 1:
                    raise
                log.info("%s: another worker was creating the study database; opening it again", url)
                time.sleep(0.2 * (attempt + 1))
        use_wal_where_safe(storage.engine)
        return storage
    except (sqlalchemy.exc.SQLAlchemyError, ImportError, ValueError, RuntimeError, OSError) as error:
        cause = sqlite_file_problem(url) or str(getattr(error, "orig", None) or error).splitlines()[0]
        named = f"null: cannot open the study storage {url}" if spec is None else (
            f"{hide_password(spec)}: cannot open the study storage")
        raise ConfigError(f"{KEY}={named} ({type(error).__name__}: {cause}); allowed: {ALLOWED}") from None

