"""``status.json``: what became of one training job, written atomically into its output directory.

    {"status": "completed" | "diverged" | "failed" | "interrupted",
     "overrides": ["optimizer=adam", ...],       # the job's Hydra task overrides
     "metrics": {"val/acc": 0.93, ...},          # final value of every logged scalar
     "objective": 0.93,                          # what was returned to the sweeper
     "wall_time_s": 12.3,                        # null where unknown (a killed job whose logs hold no times)
     "data_source": "bundled",                   # the data it trained on (data.source=auto resolved)
     "drawn_seed": 2718281828,                   # seed=null runs only: the seed drawn (trainlab/run_seed.py)
     "validated_at_step": 31,                    # completed runs whose val/* were measured before their last
     "trained_steps": 60,                        # step only (trainlab/validation_lag.py)
     "error": "ValueError: ...",                 # failed jobs only
     "versions": {"trainlab": "0.1.0", "python": "3.11.7", "torch": "2.14.1", ...}}
                                                 # of the process that wrote it (trainlab/versions.py)

Sweep summaries (:mod:`trainlab.sweep.summary`) and sweep resume read it back.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from trainlab.atomic_files import write_json_atomically
from trainlab.errors import RecordedFileError
from trainlab.recorded_yaml import DAMAGED
from trainlab.typed_values import typed
from trainlab.versions import run_versions

STATUS_FILE = "status.json"
STATUSES = ("completed", "diverged", "failed", "interrupted")


def _json_number(value: float) -> float | str:
    """JSON has no NaN/Infinity: those are stored as the strings "nan", "inf", "-inf"."""
    return value if math.isfinite(value) else str(value)


def write_status(
    output_dir: str | os.PathLike,
    status: str,
    overrides: list[str],
    metrics: dict[str, float],
    objective: float | None,
    wall_time_s: float | None,
    error: str | None = None,
    data_source: str | None = None,
    drawn_seed: int | None = None,
    data_digest: str | None = None,
    validated: dict[str, int] | None = None,
) -> Path:
    """Write the run's ``status.json``. ``validated``: where its validation metrics were measured before its last
    step (:meth:`trainlab.validation_lag.ValidationLag.status_fields`)."""
    if status not in STATUSES:
        raise ValueError(f"status={status!r}; allowed: {', '.join(STATUSES)}")
    payload: dict[str, Any] = {
        "status": status,
        "overrides": list(overrides),
        "metrics": {name: _json_number(value) for name, value in sorted(metrics.items())},
        "objective": None if objective is None else _json_number(objective),
        "wall_time_s": None if wall_time_s is None else round(wall_time_s, 3),
    }
    if data_source is not None:
        payload["data_source"] = data_source
    if data_digest is not None:  # the images and labels the run loaded (trainlab.data.data_digest)
        payload["data_digest"] = data_digest
    if drawn_seed is not None:
        payload["drawn_seed"] = drawn_seed
    if validated:
        payload.update(validated)
    if error is not None:
        payload["error"] = error
    payload["versions"] = run_versions()
    path = Path(output_dir) / STATUS_FILE
    write_json_atomically(path, payload)
    return path


def status_line(status: str, metrics: dict[str, float], note: str | None = None) -> str:
    """The log line a job ends with: ``completed; final metrics: test/acc=0.868, ...``, then ``; <note>`` (when
    its validation metrics were measured: :meth:`trainlab.validation_lag.ValidationLag.clause`)."""
    line = f"{status}; final metrics: " + ", ".join(f"{k}={v:.4g}" for k, v in sorted(metrics.items()))
    return f"{line}; {note}" if note else line


def read_status(job_dir: str | os.PathLike, damaged: str = DAMAGED) -> dict[str, Any] | None:
    """The job's status, or None when it has none (never started, or still running); a damaged file's error ends
    with the advice ``damaged`` (:mod:`trainlab.recorded_yaml`)."""
    path = Path(job_dir) / STATUS_FILE
    if not path.is_file():
        return None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RecordedFileError(f"{path} is unreadable ({error}): {damaged}") from error
    if not isinstance(payload, dict) or payload.get("status") not in STATUSES:
        found = payload.get("status") if isinstance(payload, dict) else type(payload).__name__
        raise RecordedFileError(f"{path} holds no run status (status={typed(found)}; a run's is one of "
                                f"{', '.join(STATUSES)}): {damaged}")
    try:
        payload["metrics"] = {k: float(v) for k, v in (payload.get("metrics") or {}).items()}
        if isinstance(payload.get("objective"), str):
            payload["objective"] = float(payload["objective"])
    except (AttributeError, TypeError, ValueError) as error:
        raise RecordedFileError(f"{path} holds metrics that are not numbers ({error}): {damaged}") from error
    return payload
