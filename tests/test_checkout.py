"""Where the ``trainlab`` console script finds the checkout (train.py, conf/) and the runs' root: an editable
install, ``TRAINLAB_ROOT``, or the current directory and those above it - not the directory two levels above the
package, which for ``pip install .`` is the virtualenv's lib/python3.X (reproduce wrote there, then failed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from trainlab import checkout
from trainlab.cli import main
from trainlab.evaluate import run_config


@pytest.fixture
def installed_from_a_wheel(tmp_path, monkeypatch):
    """This package as ``pip install .`` leaves it: two levels above its files is no checkout; no TRAINLAB_ROOT."""
    site = tmp_path / "venv" / "lib" / "python3.11"
    site.mkdir(parents=True)
    monkeypatch.setattr(checkout, "EDITABLE_ROOT", site)
    monkeypatch.delenv("TRAINLAB_ROOT", raising=False)
    elsewhere = tmp_path / "work"
    elsewhere.mkdir()
    inside = next((directory for directory in elsewhere.parents if checkout.is_checkout(directory)), None)
    if inside is not None:  # TMPDIR (pytest's tmp_path) below a checkout: from there the walk up finds it, rightly
        pytest.skip(f"needs a directory outside any checkout, and the temporary directory {tmp_path} is inside "
                    f"{inside} (set TMPDIR elsewhere)")
    monkeypatch.chdir(elsewhere)
    return site


def test_the_editable_install_is_its_checkout():
    assert checkout.checkout_dir() == ROOT


def test_a_wheel_install_finds_the_checkout_from_inside_it_or_from_trainlab_root(installed_from_a_wheel,
                                                                                 monkeypatch):
    assert checkout.checkout_dir() is None
    monkeypatch.chdir(ROOT / "conf" / "optimizer")  # a directory below the checkout
    assert checkout.checkout_dir() == ROOT
    monkeypatch.chdir(installed_from_a_wheel)
    monkeypatch.setenv("TRAINLAB_ROOT", str(ROOT))
    assert checkout.checkout_dir() == ROOT


def test_reproduce_outside_any_checkout_is_one_line_and_writes_nothing(installed_from_a_wheel, capsys):
    assert main(["reproduce", "--quick", "--only", "B"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: trainlab reproduce runs the project's train.py and conf/, and found no directory "
                            f"holding both (this package is installed without them, at {installed_from_a_wheel}; ")
    assert error.endswith("run it inside the checkout, or set TRAINLAB_ROOT=<the checkout>")
    assert list(installed_from_a_wheel.iterdir()) == [] and list(Path.cwd().iterdir()) == []


def test_evaluate_reads_the_data_the_run_trained_on_wherever_it_starts(installed_from_a_wheel, tmp_path):
    """It looked for the data under the virtualenv (and cached the bundled sample there)."""
    run_dir = tmp_path / "run"
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "config.yaml").write_text(
        "paths:\n  root_dir: ${oc.env:TRAINLAB_ROOT,.}\n  data_dir: ${paths.root_dir}/data\n"
        "data:\n  data_dir: ${paths.data_dir}\nmodel: {}\n")
    trained_on = tmp_path / "shared data"
    trained_on.mkdir()
    (run_dir / "hparams.yaml").write_text(f"data:\n  data_dir: {trained_on}\n")
    assert run_config(run_dir).data.data_dir == str(trained_on)
    (run_dir / "hparams.yaml").write_text(f"data:\n  data_dir: {tmp_path / 'gone'}\n")  # moved away: the config's
    assert Path(run_config(run_dir).data.data_dir).resolve() == Path.cwd() / "data"


def test_a_single_run_names_its_directory_at_its_end(train_in_process, tmp_path):
    """Started from elsewhere, a run wrote into the checkout's outputs/ and said nowhere where."""
    result = train_in_process("trainer.max_steps=2", "trainer.max_epochs=-1", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 0, result.stderr[-2000:]
    log = (result.stdout + result.stderr).splitlines()
    assert any(line.endswith(f"[trainlab.train][INFO] - run directory: {tmp_path / 'run'}") for line in log), log[-5:]
