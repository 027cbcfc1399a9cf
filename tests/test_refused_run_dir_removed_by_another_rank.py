"""The ranks of a DDP job that torchrun or SLURM starts share one run directory, and each made it (Hydra makes the
directory in every rank's process). When the job is refused once its data is known (exit status 2), every rank
removes the directory it made (trainlab/preflight.py, ``remove_refused_output_dir``) - at the same moment. A rank
that found the directory gone while it looked at it, or while it removed it, ended with a FileNotFoundError
traceback and exit status 1 instead of its one-line error and status 2 (seen in a CI run of
tests/test_ddp_ranks_agree_on_data.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from trainlab import preflight


@pytest.fixture
def made_run_dir(tmp_path):
    """A run directory this command made that holds only what Hydra writes before training."""
    run_dir = tmp_path / "run"
    (run_dir / ".hydra").mkdir(parents=True)
    for name in ("config.yaml", "hydra.yaml", "overrides.yaml"):
        (run_dir / ".hydra" / name).write_text("{}\n")
    (run_dir / "train.log").write_text("")
    preflight.NEW_RUN_DIR[:] = [run_dir]
    yield run_dir
    preflight.forget_new_output_dirs()


def test_a_run_dir_another_rank_removes_once_this_one_found_it_is_left_to_that_rank(made_run_dir, monkeypatch, capsys):
    """The CI run's race: the directory was there when this rank checked it, gone when it listed its files."""
    is_dir = Path.is_dir

    def other_rank_removes_it_right_after(path):
        if path != made_run_dir:
            return is_dir(path)
        shutil.rmtree(made_run_dir, ignore_errors=True)
        return True  # as this rank saw it, an instant before

    monkeypatch.setattr(Path, "is_dir", other_rank_removes_it_right_after)
    preflight.remove_refused_output_dir()
    assert not made_run_dir.exists()
    assert capsys.readouterr().err == ""  # nothing to warn of: the directory is gone, as the refusal wants


def test_a_run_dir_another_rank_removes_while_this_one_removes_it_is_gone_without_a_warning(made_run_dir,
                                                                                          monkeypatch, capsys):
    remove = shutil.rmtree
    calls = []

    def other_rank_removed_part_of_it(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 1:  # the other rank took the .hydra folder first: this walk finds a file gone
            remove(made_run_dir / ".hydra")
            raise FileNotFoundError(2, "No such file or directory", str(made_run_dir / ".hydra" / "config.yaml"))
        return remove(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", other_rank_removed_part_of_it)
    preflight.remove_refused_output_dir()
    assert not made_run_dir.exists()
    assert capsys.readouterr().err == ""


def test_a_run_dir_that_cannot_be_removed_is_still_named_in_a_warning(made_run_dir, monkeypatch, capsys):
    def refused(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(shutil, "rmtree", refused)
    preflight.remove_refused_output_dir()
    assert made_run_dir.exists()
    assert (f"warning: the refused command left {made_run_dir}, which it could not remove: [Errno 13] Permission "
            "denied") in capsys.readouterr().err
