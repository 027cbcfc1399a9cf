"""``python -m trainlab`` is the ``trainlab`` command, for an interpreter whose console scripts are not on PATH."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_python_m_trainlab_runs_the_trainlab_command():
    result = subprocess.run([sys.executable, "-m", "trainlab", "--help"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: trainlab [-h] {report,reproduce,evaluate}")


def test_python_m_trainlab_exits_with_the_commands_status(tmp_path):
    (tmp_path / "a_file").write_text("")
    result = subprocess.run([sys.executable, "-m", "trainlab", "report", str(tmp_path), "--out",
                             str(tmp_path / "a_file")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: --out {tmp_path / 'a_file'} is unusable: ")
