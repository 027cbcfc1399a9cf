"""The versions of trainlab, Python and the run's packages: ``trainlab --version`` prints them (read without importing
the packages), every ``status.json`` records them."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from importlib.metadata import version

import pytest
from conftest import ROOT

from trainlab.cli import main
from trainlab.run_status import write_status
from trainlab.train import train
from trainlab.versions import RUN_PACKAGES, installed_version

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
