"""A stack refused at the start of training (a :class:`~trainlab.errors.UserError`: here the Trainer's check that
its budget reaches the first validation, for a ``limit_train_batches`` the config count does not follow) records
each member as a lone run records itself then: ``failed``, objective null (the sweep stops, nothing goes back to
its sweeper), no ``status/diverged`` - before, each member's ``status.json`` held ``objective_on_failure`` (0.0), a
failed training's, and ``status/diverged=0``."""

from __future__ import annotations

import json

import pytest

SHORT_OF_VALIDATION = ["-m", "+trainer.limit_train_batches=2", "trainer.max_epochs=2",
                       "trainer.check_val_every_n_epoch=5", "data.train_size=1000", "seed=0,1"]


def recorded(sweep_dir) -> list[tuple[str, str, object, dict]]:
    rows = []
    for status_file in sorted(sweep_dir.glob("*/status.json")):
        status = json.loads(status_file.read_text())
        rows.append((status_file.parent.name[:1], status["status"], status["objective"], status["metrics"]))
    return rows


@pytest.mark.slow
def test_a_stack_refused_at_the_start_of_training_records_no_objective_as_a_lone_run(train_in_process, tmp_path):
    stacked, basic = tmp_path / "stacked", tmp_path / "basic"
    for launcher, sweep_dir in (("stacked", stacked), ("basic", basic)):
        result = train_in_process(*SHORT_OF_VALIDATION, f"hydra/launcher={launcher}", f"hydra.sweep.dir={sweep_dir}")
        assert result.returncode == 2, result.stderr[-2000:]
        assert "which first runs after 10 steps (the end of epoch 5 of 2 steps" in result.stderr
    assert recorded(basic) == [("0", "failed", None, {})]  # the basic sweep stops at its first job
    assert recorded(stacked) == [("0", "failed", None, {}), ("1", "failed", None, {})]  # a stack trains both at once
