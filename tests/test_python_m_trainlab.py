"""``python -m trainlab`` is the ``trainlab`` command, for an interpreter whose console scripts are not on PATH."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trainlab.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def eighty_columns(monkeypatch):
    """argparse wraps usage and help at the terminal's width (``COLUMNS``, else stdout's terminal, else 80): the
    expected lines are its 80-column ones, here and in the interpreters these tests start, whatever ran pytest."""
    monkeypatch.setenv("COLUMNS", "80")


def test_python_m_trainlab_runs_the_trainlab_command():
    result = subprocess.run([sys.executable, "-m", "trainlab", "--help"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: trainlab [-h] [--version] {report,reproduce,evaluate}")


def test_python_m_trainlab_exits_with_the_commands_status(tmp_path):
    (tmp_path / "a_file").write_text("")
    result = subprocess.run([sys.executable, "-m", "trainlab", "report", str(tmp_path), "--out",
                             str(tmp_path / "a_file")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: --out {tmp_path / 'a_file'} is unusable: ")


def python_m(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.slow  # over 4 s on 2 cores: the default run stays near 4 min
def test_python_m_trainlab_evaluate_is_trainlab_evaluate():
    """``python -m trainlab.evaluate ...`` printed nothing and exited 0: the module had no ``__main__`` code."""
    result = python_m("trainlab.evaluate", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: trainlab evaluate [-h] [--ckpt CKPT] [--split SPLIT [SPLIT ...]]")
    assert "--ckpt CKPT           last (default), best, or a checkpoint file" in result.stdout


@pytest.mark.slow  # over 4 s on 2 cores: the default run stays near 4 min
def test_python_m_trainlab_evaluate_of_a_missing_run_is_its_error_line(tmp_path):
    result = python_m("trainlab.evaluate", str(tmp_path / "no_run"), "--split", "test")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: run directory {tmp_path / 'no_run'} does not exist"]
    assert result.stdout == ""


@pytest.mark.slow  # ~3-4 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_python_m_trainlab_reproduce_is_trainlab_reproduce(tmp_path):
    """``python -m trainlab.reproduce --only E --out DIR`` printed nothing, exited 0 and wrote nothing."""
    out = tmp_path / "reproduced"
    result = python_m("trainlab.reproduce", "--only", "E", "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines()[0] == "[1/1] E batchnorm_gradcheck: BatchNorm gradient check ..."
    assert result.stdout.splitlines()[-1].endswith(f": {out / 'index.md'}")
    assert sorted(p.name for p in out.iterdir()) == ["E_batchnorm_gradcheck", "index.md"]
    assert "E_batchnorm_gradcheck" in (out / "index.md").read_text()


def test_python_m_trainlab_reproduce_help_names_its_prog():
    result = python_m("trainlab.reproduce", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: trainlab reproduce [-h] [--out OUT] [--quick] [--only ID [ID ...]]")


@pytest.mark.parametrize("module", [["trainlab", "report"], ["trainlab.report"]])
def test_an_unknown_option_of_a_command_is_refused_with_that_commands_usage(tmp_path, module):
    """``trainlab report <sweep> --outt x`` printed the top-level usage (the command names, none of report's
    options) and ``trainlab: error: ...``."""
    result = python_m(*module, str(tmp_path), "--outt", "x")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["usage: trainlab report [-h] [--out OUT] sweep_dir",
                                          "trainlab report: error: unrecognized arguments: --outt x"]
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_an_unknown_option_before_the_command_is_the_top_level_parsers(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--outt", "report", "sweep"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.splitlines() == ["usage: trainlab [-h] [--version] {report,reproduce,evaluate} ...",
                                                    "trainlab: error: unrecognized arguments: --outt"]


def test_an_unknown_option_of_evaluate_names_evaluates_usage(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["evaluate", "run", "--splitt", "val"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "trainlab evaluate: error: unrecognized arguments: --splitt val")
