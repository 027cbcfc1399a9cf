"""The versions of trainlab, Python and the run's packages: ``trainlab --version`` prints them (read without importing
the packages), every ``status.json`` records them, a sweep's summary.md says them - or which differ between jobs."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from conftest import ROOT

from tests.test_report_output_dir import make_sweep
from trainlab.cli import main
from trainlab.report.build import build_report, summary_markdown, versions_line
from trainlab.report.sweep_runs import JobRun, recorded_versions
from trainlab.run_status import write_status
from trainlab.train import train
from trainlab.versions import RUN_PACKAGES, installed_version, version_lines

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, published as tomli (a dev dependency there)
    import tomli as tomllib


def test_version_prints_trainlabs_and_the_run_packages_versions_and_exits_0(capsys):
    with pytest.raises(SystemExit) as end:
        main(["--version"])
    assert end.value.code == 0
    first, second = capsys.readouterr().out.splitlines()
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert first == f"trainlab {declared}"
    assert second == f"Python {platform.python_version()}, " + ", ".join(
        f"{name} {version(name)}" for name in ("torch", "lightning", "hydra-core", "omegaconf", "optuna"))
    assert RUN_PACKAGES == ("torch", "lightning", "hydra-core", "omegaconf", "optuna")


def test_a_package_that_is_not_installed_reads_so():
    assert installed_version("trainlab-no-such-distribution") == "not installed"


def test_version_answers_without_importing_torch_or_lightning():
    probe = ("import sys; from trainlab.cli import main\n"
             "try:\n    main(['--version'])\nexcept SystemExit as end:\n    code = end.code\n"
             "print(code, [name for name in ('torch', 'lightning', 'hydra', 'optuna') if name in sys.modules])")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.splitlines()[-1] == "0 []"


def expected_versions() -> dict[str, str]:
    return {"trainlab": version("trainlab"), "python": platform.python_version(), "torch": version("torch"),
            "lightning": version("lightning"), "hydra-core": version("hydra-core"), "omegaconf": version("omegaconf"),
            "optuna": version("optuna")}


def test_a_runs_status_records_the_versions_it_ran_with(make_cfg, tmp_path):
    train(make_cfg("debug=limit", "logger=none", "callbacks=none"))
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert status["status"] == "completed"
    assert status["versions"] == expected_versions()


@pytest.mark.parametrize("status", ["failed", "interrupted"])
def test_every_status_written_records_the_versions_of_the_process_that_wrote_it(tmp_path, status):
    """The one writer of status.json (a lone run, a stack's members, a DDP job's parent, a search's stale trial)."""
    write_status(tmp_path, status, ["seed=1"], {"train/loss": 0.5}, None, 1.0, error="ValueError: x")
    assert json.loads((tmp_path / "status.json").read_text())["versions"] == expected_versions()


def job(number: int, versions: dict[str, str] | None) -> JobRun:
    return JobRun(name=f"{number}_seed={number}", path=Path("."), params={"seed": str(number)}, status="completed",
                  metrics={"val/acc": 0.5}, objective=None, versions=versions)


def test_a_sweeps_summary_says_what_its_jobs_ran_with(tmp_path):
    sweep = make_sweep(tmp_path / "sweep")  # two jobs, their status.json written by write_status
    build_report(sweep)
    lines = (sweep / "report" / "summary.md").read_text().splitlines()
    assert lines[2].startswith("2 jobs: 2 completed")
    header = next(number for number, line in enumerate(lines) if line.startswith("| job |"))
    assert lines[header].startswith("| job | optimizer | status |")
    versions = ", ".join(f"{name} {value}" for name, value in expected_versions().items())
    assert lines[header + 4:] == ["", f"Ran with {versions}."]  # below the table's two rows


def test_the_summary_names_each_package_whose_version_differs_between_jobs_and_their_jobs():
    older = {"trainlab": "0.1.0", "python": "3.11.7", "torch": "2.13.0", "lightning": "2.6.6"}
    newer = {**older, "torch": "2.14.1", "lightning": "2.6.7"}
    jobs = [job(0, older), job(1, older), job(2, None), job(3, newer)]  # job 2 ran before status.json held them
    assert versions_line(jobs) == ("Versions differ between jobs: torch 2.13.0 (jobs 0, 1), 2.14.1 (job 3); "
                                   "lightning 2.6.6 (jobs 0, 1), 2.6.7 (job 3). Job 2 recorded none.")
    assert versions_line([job(0, older), job(1, dict(older))]) == (
        "Ran with trainlab 0.1.0, python 3.11.7, torch 2.13.0, lightning 2.6.6.")
    assert versions_line([job(0, None), job(1, older), job(2, None)]) == (
        "Ran with trainlab 0.1.0, python 3.11.7, torch 2.13.0, lightning 2.6.6. Jobs 0, 2 recorded none.")
    assert versions_line([job(0, None), job(1, None)]) is None
    assert "Ran with" not in summary_markdown([job(0, None)], ["seed"], None)


@pytest.mark.parametrize("recorded", [None, "2.14.1", [], {}])
def test_a_status_without_a_mapping_of_versions_records_none(recorded):
    assert recorded_versions({"status": "completed", "versions": recorded}) is None
    assert recorded_versions({"status": "completed"}) is None
    assert recorded_versions({"versions": {"torch": "2.14.1"}}) == {"torch": "2.14.1"}


def test_train_py_version_prints_the_same_lines_without_importing_torch():
    """It printed Hydra's version alone (``Hydra 1.3.8``)."""
    probe = ("import runpy, sys\nsys.argv = ['train.py', 'optimizer=adam', '--version']\n"
             "try:\n    runpy.run_path('train.py', run_name='__main__')\nexcept SystemExit as end:\n"
             "    print('exit status', end.code)\n"
             "print('imported:', [name for name in ('torch', 'lightning') if name in sys.modules])")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == [*version_lines().splitlines(), "exit status 0", "imported: []"]
