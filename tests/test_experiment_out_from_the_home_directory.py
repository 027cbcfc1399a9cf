"""The stand-alone experiments A and C read a leading ``~`` of ``--out`` as the home directory, as ``trainlab
report`` does: ``--out=~/figs`` (which bash leaves as it is after ``=``) wrote into a new directory ``./~/figs`` of
the current directory (trainlab/experiments/output_dir.py)."""

from __future__ import annotations

import pytest

from trainlab.experiments import activations, optimizer_paths


def test_optimizer_paths_writes_into_the_home_directory_for_a_leading_tilde(tmp_path, monkeypatch, capsys):
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    assert optimizer_paths.main(["--out=~/figs", "--steps", "3"]) == home / "figs"
    assert sorted(path.name for path in (home / "figs").iterdir()) == ["optimizer_paths.csv", "optimizer_paths.png"]
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"wrote {home / 'figs' / 'optimizer_paths.png'} and {home / 'figs' / 'optimizer_paths.csv'}")
    assert list(cwd.iterdir()) == []  # no ./~ directory


def test_a_tilde_out_that_is_a_file_is_refused_naming_the_file_in_the_home_directory(tmp_path, monkeypatch, capsys):
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    cwd.mkdir()
    home.mkdir()
    (home / "figs").write_text("notes\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    with pytest.raises(SystemExit) as stop:
        activations.main(["--out=~/figs"])
    assert stop.value.code == 2
    assert f"--out {home / 'figs'} is unusable: " in capsys.readouterr().err
    assert (home / "figs").read_text() == "notes\n" and list(cwd.iterdir()) == []
