"""``trainlab evaluate RUN_DIR`` of a run whose ``.hydra/config.yaml`` or ``status.json`` is damaged: one error line
naming the file by its absolute path, with advice for a single run - restore the file, or train the run again.

The advice was ``trainlab report``'s for a sweep's job, "... or move that job aside": a run evaluated alone has no
sweep to move it aside from (:data:`trainlab.recorded_yaml.RUN_FILE_DAMAGED`). The report keeps its own wording.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from trainlab.cli import main

RUN_ADVICE = "not as trainlab wrote it; allowed: the file as the run wrote it (restore it), or train the run again"


def recorded_run(run: Path, make_cfg) -> Path:
    """A run directory as far as evaluate reads it before the checkpoint's weights: its composed config (Hydra's
    interpolations kept), a ``last.ckpt`` file and a completed ``status.json``."""
    (run / ".hydra").mkdir(parents=True)
    OmegaConf.save(make_cfg(output_dir=run), run / ".hydra" / "config.yaml")
    (run / "checkpoints").mkdir()
    (run / "checkpoints" / "last.ckpt").write_bytes(b"")
    (run / "status.json").write_text('{"status": "completed", "overrides": [], "metrics": {}}')
    return run


@pytest.mark.parametrize(("damage", "problem"), [
    ("model: [cut off\n", "is unreadable (while parsing a flow sequence)"),
    ("- a\n- b\n", "holds a list, not a mapping"),
    ("seed: 0\n", "is not a trainlab run's config (no paths, data or model)"),
])
def test_a_damaged_config_is_named_by_its_absolute_path_with_a_single_runs_advice(damage, problem, tmp_path,
                                                                                 monkeypatch, make_cfg, capsys):
    run = recorded_run(tmp_path / "run", make_cfg)
    config = run / ".hydra" / "config.yaml"
    config.write_text(damage)
    before = config.read_bytes()
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", "run", "--split", "val"]) == 2  # a relative run directory, as typed
    assert capsys.readouterr().err == f"error: {config} {problem}: {RUN_ADVICE}\n"
    assert config.read_bytes() == before  # nothing rewritten


def test_a_damaged_status_json_is_named_with_a_single_runs_advice(tmp_path, monkeypatch, make_cfg, capsys):
    run = recorded_run(tmp_path / "run", make_cfg)
    (run / "status.json").write_text('{"status": "done"}')
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", "run", "--split", "val"]) == 2
    assert capsys.readouterr().err == (
        f"error: {run / 'status.json'} holds no run status (status='done'; a run's is one of completed, diverged, "
        f"failed, interrupted): {RUN_ADVICE}\n")

