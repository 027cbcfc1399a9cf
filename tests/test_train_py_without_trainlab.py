"""``python train.py`` with an interpreter that has no trainlab installed (the system's python, the venv not
activated - the README's commands typed as shown) is one line saying how to get it, exit status 2: it was a
traceback ending in ``ModuleNotFoundError: No module named 'trainlab'``."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT, TRAIN_PY


def test_train_py_without_trainlab_says_how_to_install_it(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    # -S: no site-packages, where the editable install of trainlab lives (the checkout keeps it under src/)
    result = subprocess.run([sys.executable, "-S", str(TRAIN_PY), "optimizer=adam"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (f"error: trainlab is not installed for {sys.executable}; run `make install` in {ROOT}, "
                             f"then `source .venv/bin/activate` or use {ROOT / '.venv' / 'bin' / 'python'}\n")
