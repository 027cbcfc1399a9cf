"""A single run that fails names the directory it keeps, as a run that ends does (trainlab/failed_run_dir.py).

A failed run ended with a traceback or an ``error:`` line alone, while its timestamped directory kept its
``status.json``, ``train.log`` and ``.hydra/``; a refused run whose directory the command removes names none.
"""

from __future__ import annotations

from pathlib import Path

CRASH = "+callbacks.crash={_target_:failing_callback.FailAtStep,step:1}"  # tests/ is on sys.path


def only_run_dir(tmp_path: Path) -> Path:
    runs = sorted((tmp_path / "outputs" / "runs").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def test_a_run_that_crashes_in_training_names_its_directory(train_in_process, tmp_path):
    result = train_in_process("debug=limit", CRASH)
    assert result.returncode == 1, result.stderr
    assert "RuntimeError: simulated crash at step 1" in result.stderr
    run_dir = only_run_dir(tmp_path)
    assert f"run directory: {run_dir} (failed: its status.json records the error)" in result.stdout, result.stdout
    assert (run_dir / "status.json").is_file()


REFUSE = "+callbacks.refuse={_target_:failing_callback.RefuseWhen,value:1,refused:1}"


def test_a_run_refused_once_its_files_are_written_names_the_directory_it_keeps(train_in_process, tmp_path):
    """A refusal the run finds once it has written its status.json (a data module of one's own refusing its data as
    it loads; the project's refuses its own before anything is written): the refusal keeps the directory (a
    corrected command may take it over), and the error line stays the last."""
    result = train_in_process("debug=limit", REFUSE)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith("error: value=1 is refused by the job's own data"), result.stderr
    run_dir = only_run_dir(tmp_path)
    assert f"run directory: {run_dir} (failed: its status.json records the error)" in result.stdout, result.stdout


def test_a_refused_run_whose_directory_is_removed_names_no_directory(train_in_process, tmp_path):
    """A value the Trainer refuses: the run directory holds only Hydra's files, and the refusal removes it."""
    result = train_in_process("debug=limit", "trainer.limit_train_batches=-3")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith("error: trainer.limit_train_batches=-3 is invalid"), result.stderr
    assert "run directory:" not in result.stdout
    assert not (tmp_path / "outputs").exists()  # the run directory and the parents the command made for it


def test_a_failed_job_of_a_multirun_names_no_run_directory(train_in_process, tmp_path):
    """A sweep's failed job is recorded and the sweep goes on; the sweep names its directory when it ends."""
    result = train_in_process("-m", "seed=1", "hydra/launcher=basic", "debug=limit", CRASH)
    assert result.returncode == 1, result.stderr
    assert "run directory:" not in result.stdout
