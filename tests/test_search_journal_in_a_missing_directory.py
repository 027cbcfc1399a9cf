"""``hydra.sweeper.storage=journal:<dir>/<file>`` with ``<dir>`` missing is refused as the SQLite form is: naming the
missing directory and the ``mkdir -p`` that makes it, before any study or sweep dir exists.

Before: ``cannot open the journal file (No such file or directory: .../jj/my.log)``, which named the file as if it
should exist, not the directory that was missing.
"""

from __future__ import annotations

import pytest

from trainlab.errors import ConfigError
from trainlab.search.storage import ALLOWED, open_storage


@pytest.mark.parametrize("written", ["journal:{dir}/my.log", "journal://{dir}/my.log"])
def test_a_journal_in_a_missing_directory_names_the_directory_and_mkdir(tmp_path, written):
    missing = tmp_path / "jj"
    spec = written.format(dir=missing)
    with pytest.raises(ConfigError) as refused:
        open_storage(spec, tmp_path / "sweep")
    assert str(refused.value) == (
        f"hydra.sweeper.storage={spec}: no directory {missing} for the journal file (the search does not make one); "
        f"allowed: an existing directory (mkdir -p {missing}), or {ALLOWED}")
    assert not missing.exists() and not (tmp_path / "sweep").exists()
    missing.mkdir()
    opened = open_storage(spec, tmp_path / "sweep")  # what the message says to do is enough
    opened.close()
    assert (missing / "my.log").is_file()
