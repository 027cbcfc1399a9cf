"""A sweep whose ``summary.csv`` / ``ranking.csv`` or HPARAMS experiment cannot be written ends with exit status 1 and
an ``error:`` line naming what is missing, after the other end-of-sweep files were written - where Hydra turned the
failure into a ``UserWarning: Callback SweepSummary.on_multirun_end raised ...`` and exited 0
(``trainlab/sweep/sweep_end_failures.py``)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import trainlab.sweep.hparams_experiment
import trainlab.sweep.summary_callback
from trainlab.output_locations import OutputLocationError
from trainlab.sweep import sweep_end_failures

SWEEP = ["-m", "optimizer=sgd,adam", "debug=limit"]
KEPT = ("the jobs ran and their outputs are kept; once the cause is mended, the same command with resume_sweep=true "
        "writes the sweep's files again")


def full_disk(*args, **kwargs):
    raise OutputLocationError("cannot write /sweep/summary.csv (No space left on device)")


def hparams_bug(*args, **kwargs):
    raise RuntimeError("an HPARAMS writer's own bug")


def run_sweep(train_in_process, out: Path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = train_in_process(*SWEEP, f"hydra.sweep.dir={out}")
    assert not [w for w in caught if "Callback Sweep" in str(w.message)]  # said as an error, not as Hydra's warning
    return result


def hparams_files(sweep_dir: Path) -> list[Path]:
    return list(sweep_dir.glob("events.out.tfevents.*.hparams"))


@pytest.mark.slow  # ~3 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_a_summary_the_disk_refuses_is_one_error_line_and_exit_status_1_with_the_jobs_kept(train_in_process, tmp_path,
                                                                                        monkeypatch):
    monkeypatch.setattr(trainlab.sweep.summary_callback, "write_summary", full_disk)
    out = tmp_path / "sweep"
    result = run_sweep(train_in_process, out)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr  # a refusal, not a bug
    assert (f"error: cannot write /sweep/summary.csv (No space left on device): the sweep's summary.csv and "
            f"ranking.csv not written; {KEPT}") in result.stderr.splitlines()
    jobs = sorted(p for p in out.iterdir() if p.is_dir())
    assert len(jobs) == 2 and all((job / "status.json").is_file() for job in jobs)  # the jobs' own outputs
    assert len(hparams_files(out)) == 1  # the other end-of-sweep file is written all the same
    assert not (out / "summary.csv").exists()
    assert sweep_end_failures.FAILED == []

    monkeypatch.undo()  # the disk has room again: what the error line advises
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        again = train_in_process(*SWEEP, f"hydra.sweep.dir={out}", "resume_sweep=true")
    assert again.returncode == 0, again.stderr[-2000:]
    assert (again.stdout + again.stderr).count("completed before; skipping it") == 2
    assert len((out / "summary.csv").read_text().splitlines()) == 3  # header and both jobs


def test_an_hparams_experiment_that_fails_unexpectedly_shows_its_traceback_and_the_summary_is_still_written(
        train_in_process, tmp_path, monkeypatch):
    monkeypatch.setattr(trainlab.sweep.hparams_experiment, "write_sweep_experiment", hparams_bug)
    out = tmp_path / "sweep"
    result = run_sweep(train_in_process, out)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback (most recent call last)" in result.stderr
    assert ("error: writing the sweep's HPARAMS experiment failed unexpectedly (RuntimeError: an HPARAMS writer's own "
            f"bug) - a bug to report, with the traceback above; {KEPT}") in result.stderr.splitlines()
    summary = (out / "summary.csv").read_text().splitlines()
    assert summary[0].startswith("job,optimizer,status,") and len(summary) == 3
    assert hparams_files(out) == []


def test_a_sweep_whose_files_are_written_still_exits_0(train_in_process, tmp_path):
    out = tmp_path / "sweep"
    result = run_sweep(train_in_process, out)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (out / "summary.csv").is_file() and len(hparams_files(out)) == 1


@pytest.mark.parametrize("failure", [full_disk, hparams_bug], ids=["refusal", "bug"])
def test_each_failure_is_recorded_once_and_the_exit_check_forgets_it(failure, capsys):
    guarded = sweep_end_failures.ends_the_command_on_failure("the sweep's files")(lambda self, config: failure())
    guarded(None, None)
    guarded(None, None)
    assert sweep_end_failures.FAILED == ["the sweep's files", "the sweep's files"]
    assert capsys.readouterr().err.count("error: ") == 2
    with pytest.raises(SystemExit) as stop:
        sweep_end_failures.exit_if_the_sweep_end_failed()
    assert stop.value.code == 1
    assert sweep_end_failures.FAILED == []
    sweep_end_failures.exit_if_the_sweep_end_failed()  # nothing left: no exit


def test_an_exit_raised_by_the_callback_itself_passes_through():
    def no_job_completed(self, config):
        raise SystemExit(3)

    guarded = sweep_end_failures.ends_the_command_on_failure("the sweep's files")(no_job_completed)
    with pytest.raises(SystemExit) as stop:
        guarded(None, None)
    assert stop.value.code == 3 and sweep_end_failures.FAILED == []
