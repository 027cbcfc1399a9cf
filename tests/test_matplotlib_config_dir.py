"""matplotlib gets a directory of this user's where its default one is unusable (trainlab/matplotlib_config_dir.py).

With ``HOME`` unwritable (``/nonexistent``, a read-only home on a cluster node or in a container) every process that
imported matplotlib - every training run through torchmetrics, each joblib worker, ``trainlab report`` - printed
two warnings and rebuilt its font cache. A ``HOME`` that is a file stands in for it here: no directory can be made
under it, whoever runs the tests (root may write into any directory).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from trainlab.matplotlib_config_dir import PREFIX, give_matplotlib_a_writable_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def unusable_home(tmp_path, monkeypatch):
    """HOME a file, no XDG directories, MPLCONFIGDIR unset, and the temporary directory in ``tmp_path/tmp``."""
    home = tmp_path / "home-is-a-file"
    home.write_text("")
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "MPLCONFIGDIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    yield temp
    # the directory given to matplotlib is this process's from then on (MPLCONFIGDIR): gone with the test's HOME.
    # (monkeypatch puts back only what it changed, and MPLCONFIGDIR was not set)
    os.environ.pop("MPLCONFIGDIR", None)


def test_matplotlib_imported_under_an_unusable_home_says_nothing(tmp_path):
    """What a user saw: two lines from matplotlib before anything of the command's own."""
    home = tmp_path / "home-is-a-file"
    home.write_text("")
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "MPLCONFIGDIR")
    }
    env.update(HOME=str(home), TMPDIR=str(tmp_path), PYTHONPATH=str(ROOT / "src"))
    code = (
        "import trainlab, matplotlib, matplotlib.font_manager, os; "
        "print(matplotlib.get_configdir(), matplotlib.get_cachedir(), os.environ['MPLCONFIGDIR'])"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    mine = str(tmp_path / f"{PREFIX}{os.getuid()}")
    assert result.stdout.split() == [mine, mine, mine]
    assert (Path(mine).stat().st_mode & 0o777) == 0o700


def test_an_unusable_home_gets_a_private_directory_kept_for_the_next_process(unusable_home):
    give_matplotlib_a_writable_dir()
    directory = unusable_home / f"{PREFIX}{os.getuid()}"
    assert os.environ["MPLCONFIGDIR"] == str(directory)
    assert directory.is_dir() and (directory.stat().st_mode & 0o777) == 0o700
    (directory / "fontlist.json").write_text("{}")  # the font cache a first process built
    os.environ.pop("MPLCONFIGDIR")
    give_matplotlib_a_writable_dir()  # the next process: the same directory, as it was
    assert os.environ["MPLCONFIGDIR"] == str(directory)
    assert (directory / "fontlist.json").read_text() == "{}"


def test_a_set_mplconfigdir_or_a_usable_home_is_left_alone(unusable_home, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mine"))
    give_matplotlib_a_writable_dir()
    assert os.environ["MPLCONFIGDIR"] == str(tmp_path / "mine")
    monkeypatch.delenv("MPLCONFIGDIR")
    home = tmp_path / "home"
    home.mkdir()  # ~/.config and ~/.cache can be made there
    monkeypatch.setenv("HOME", str(home))
    give_matplotlib_a_writable_dir()
    assert "MPLCONFIGDIR" not in os.environ
    assert list(home.iterdir()) == [] and list(unusable_home.iterdir()) == []  # nothing made to find out


def test_a_directory_in_its_place_that_is_not_this_users_own_is_not_used(unusable_home, tmp_path):
    """matplotlib reads its matplotlibrc from the directory: a link someone put there, or a directory others may
    write, is left alone, and matplotlib's own fallback (and its warning) stays."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (unusable_home / f"{PREFIX}{os.getuid()}").symlink_to(elsewhere)
    give_matplotlib_a_writable_dir()
    assert "MPLCONFIGDIR" not in os.environ
    (unusable_home / f"{PREFIX}{os.getuid()}").unlink()
    shared = unusable_home / f"{PREFIX}{os.getuid()}"
    shared.mkdir()
    shared.chmod(0o777)
    give_matplotlib_a_writable_dir()
    assert "MPLCONFIGDIR" not in os.environ
