"""Where a stand-alone experiment writes: ``--out`` if given, else ``outputs/experiments/<name>/<date>_<time>/``."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path


def experiment_output_dir(name: str, out: str | None) -> Path:
    """Create and return the output directory of experiment ``name``; an existing ``--out`` is reused."""
    if out is not None:
        path = Path(out)
    else:
        root = Path(os.environ.get("TRAINLAB_ROOT", "."))
        path = root / "outputs" / "experiments" / name / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    path.mkdir(parents=True, exist_ok=True)
    return path
