"""``trainlab report`` reads a leading ``~`` of its sweep directory and of ``--out`` as the home directory, as the
shell does for a word of its own: ``--out=~/figs`` (which bash leaves as it is after ``=``) wrote the report into a
new directory ``./~/figs`` of the current directory, and ``'~/outputs/...'`` (quoted, or from a script) said
"sweep directory <cwd>/~/outputs/... does not exist" (trainlab/report/build.py build_report)."""

from __future__ import annotations

from tests.test_report_output_dir import make_sweep
from trainlab.cli import main


def test_report_reads_a_leading_tilde_of_the_sweep_and_of_out_as_the_home_directory(tmp_path, monkeypatch, capsys):
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    cwd.mkdir()
    sweep = make_sweep(home / "sweeps" / "B")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    assert main(["report", "~/sweeps/B", "--out=~/figs"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"overlay_train_loss: {home / 'figs' / 'overlay_train_loss.png'}",
        f"overlay_val_acc: {home / 'figs' / 'overlay_val_acc.png'}",
        f"summary: {home / 'figs' / 'summary.md'}"]
    assert list(cwd.iterdir()) == []  # no ./~ directory
    assert "| 1 | adam | completed |" in (home / "figs" / "summary.md").read_text()
    assert not (sweep / "report").exists()

    assert main(["report", "~/sweeps/B"]) == 0  # without --out: into the sweep, found from the home directory
    assert capsys.readouterr().out.splitlines()[-1] == f"summary: {sweep / 'report' / 'summary.md'}"
    assert list(cwd.iterdir()) == []


def test_the_commands_check_and_name_out_and_their_paths_with_the_home_directory(tmp_path, monkeypatch, capsys):
    """The check of ``--out`` before anything runs sees the directory the command will write: ``--out=~/figs`` where
    ``~/figs`` is a file is refused naming that file (it was checked as ``./~/figs``, which was free); ``evaluate``
    and ``--ckpt`` read ``~`` too."""
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    cwd.mkdir()
    make_sweep(home / "sweeps" / "B")
    (home / "figs").write_text("notes\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    assert main(["report", "~/sweeps/B", "--out=~/figs"]) == 2
    assert capsys.readouterr().err.startswith(f"error: --out {home / 'figs'} is unusable: ")
    assert (home / "figs").read_text() == "notes\n" and list(cwd.iterdir()) == []

    assert main(["evaluate", "~/runs/r1"]) == 2  # no such run: named where it was looked for
    assert str(home / "runs" / "r1") in capsys.readouterr().err
