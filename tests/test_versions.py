"""``trainlab --version``: trainlab's version, then Python's and the run's packages', read without importing them."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib.metadata import version

import pytest
from conftest import ROOT

from trainlab.cli import main
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
