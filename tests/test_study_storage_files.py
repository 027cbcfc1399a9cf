"""A search's study file named relatively (``sqlite:///study.db``, ``journal:study.log``) is the current directory's:
it is named by its absolute path wherever the search names it, and a refused command leaves no file it created
(trainlab/search/storage.py, trainlab/shell_override.py)."""

from __future__ import annotations

import os
import shlex

import pytest
import yaml

from trainlab.search.storage import absolute_storage
from trainlab.shell_override import finish_sweep_command

TINY_SEARCH = ["-m", "hparams_search=random", "hydra.sweeper.n_trials=2", "test=false", "trainer.max_epochs=1",
               "data.train_size=100", "data.val_size=50", "data.batch_size=10", "trainer.enable_progress_bar=false"]


@pytest.mark.parametrize(("written", "absolute"), [
    ("sqlite:///study.db", "sqlite:///{cwd}/study.db"),
    ("sqlite:///runs/study.db?timeout=3", "sqlite:///{cwd}/runs/study.db?timeout=3"),
    ("journal:study.log", "journal:{cwd}/study.log"),
    ("sqlite:////srv/study.db", "sqlite:////srv/study.db"),
    ("journal:/srv/study.log", "journal:/srv/study.log"),
    ("postgresql://user:secret@host/db", "postgresql://user:secret@host/db"),
    ("sqlite:///:memory:", "sqlite:///:memory:"),
])
def test_a_relative_study_file_is_made_absolute_against_the_current_directory(tmp_path, monkeypatch, written,
                                                                             absolute):
    monkeypatch.chdir(tmp_path)
    assert absolute_storage(written) == absolute.format(cwd=tmp_path)


@pytest.mark.parametrize("storage", ["sqlite:///study.db",  # ~10 s each on 2 cores: the journal's in make test-slow
                                     pytest.param("journal:study.log", marks=pytest.mark.slow)])
def test_a_relative_study_file_is_named_absolute_and_a_refused_resume_elsewhere_leaves_no_file(
        train_in_process, tmp_path, monkeypatch, storage):
    """``sqlite:///rel.db`` was recorded and printed as written, and a resume from another directory - which opens
    another rel.db there, without the sweep's study - was refused "nothing was changed" after creating that empty
    database file (a 0-byte journal for journal:)."""
    here, elsewhere, sweep = tmp_path / "here", tmp_path / "elsewhere", tmp_path / "sweep"
    here.mkdir()
    elsewhere.mkdir()
    file_name = storage.rpartition("/")[2].rpartition(":")[2]
    monkeypatch.chdir(here)
    first = train_in_process(*TINY_SEARCH, f"hydra.sweeper.storage={storage}", f"hydra.sweep.dir={sweep}")
    assert first.returncode == 0, first.stderr[-3000:]
    absolute = absolute_storage(storage)
    assert str(here / file_name) in absolute
    assert yaml.safe_load((sweep / "optimization_results.yaml").read_text())["storage"] == absolute
    # the command that continues the search names the file, not the directory it happens to be pasted in
    words = shlex.split(finish_sweep_command(sweep))
    assert f"hydra.sweeper.storage={absolute}" in words and f"hydra.sweeper.storage={storage}" not in words

    monkeypatch.chdir(elsewhere)
    resumed = train_in_process(*TINY_SEARCH, "hydra.sweeper.n_trials=3", f"hydra.sweeper.storage={storage}",
                               "resume_sweep=true", f"hydra.sweep.dir={sweep}")
    assert resumed.returncode == 2
    line = resumed.stderr.strip().splitlines()[-1]
    assert "holds 2 jobs of another sweep" in line and f"in {absolute_storage(storage)}:" in line, line
    assert str(elsewhere / file_name) in line
    assert os.listdir(elsewhere) == []  # nothing was changed: no empty study file, no SQLite side files
    assert (here / file_name).stat().st_size > 0
