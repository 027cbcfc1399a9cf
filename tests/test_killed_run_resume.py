"""A run killed outright (SIGKILL, out of memory) after its budget was trained - during its test - leaves no
``status.json``; resumed with ``ckpt_path=last`` it only tests. Its validation metrics and objective were lost:
the status recorded ``test/*`` alone, ``objective: null``, and a sweep's ``resume_sweep=true`` stopped at that job
("optimized_metric='val/acc' was not logged"). They come from what its loggers wrote (train.py,
``killed_sessions_record``)."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("logger", ["tensorboard", "csv"])
def test_a_run_killed_in_its_test_resumes_with_its_validation_metrics_and_objective(train_in_process, tmp_path,
                                                                                     logger):
    run = tmp_path / "run"
    args = ["debug=limit", f"logger={logger}", f"hydra.run.dir={run}"]
    assert train_in_process(*args).returncode == 0
    whole = json.loads((run / "status.json").read_text())
    (run / "status.json").unlink()  # as the kill left it: no status.json
    resumed = train_in_process(*args, "ckpt_path=last")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    status = json.loads((run / "status.json").read_text())
    assert status["status"] == "completed"
    assert status["objective"] == pytest.approx(whole["objective"])
    for name in ("val/acc", "val/loss", "train/loss", "test/acc"):
        assert status["metrics"][name] == pytest.approx(whole["metrics"][name], rel=1e-6), name
    assert "was not logged" not in resumed.stdout + resumed.stderr
