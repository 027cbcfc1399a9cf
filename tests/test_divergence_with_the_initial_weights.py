"""A loss that is NaN/Inf with the initial weights, before any optimizer step, blames the initializer, not the
learning rate.

``init=normal init.std=1e30`` ended ``diverged: the training loss became NaN/Inf at step 1 ... (try a smaller
optimizer.lr)``: the first loss is computed before any update, so no learning rate would have helped.
"""

from __future__ import annotations

import pytest

from trainlab.callbacks.divergence_guard import RunDiverged
from trainlab.run_status import read_status


@pytest.mark.parametrize("every", ["1", "3"])  # checked at step 1, or only at step 3: the first loss is kept
def test_a_loss_already_nan_with_the_initial_weights_names_the_init_and_its_settings(train_in_process, tmp_path,
                                                                                     every):
    run = tmp_path / "run"
    result = train_in_process("init=normal", "init.std=1e30", "debug=limit", f"trainer.log_every_n_steps={every}",
                              f"hydra.run.dir={run}")
    assert result.returncode == RunDiverged.EXIT_STATUS
    assert result.stderr.strip().splitlines()[-1] == (
        "diverged: the training loss was NaN/Inf with the initial weights, before any optimizer step (init=normal "
        f"init.std=1e+30), so optimizer.lr played no part; the run stopped at step {every} and is recorded as "
        f"diverged in {run}/status.json (try another init, or other values of its settings)")
    assert read_status(run)["status"] == "diverged"

