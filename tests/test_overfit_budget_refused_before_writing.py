"""``debug=overfit`` (``trainer.overfit_batches: 1``, validation every 50 epochs) with a budget shorter than its
first validation: both launchers refuse the sweep before anything is written, in the same words.

Lightning trains ``overfit_batches`` batches an epoch (an integer: that many; a fraction of the epoch), so the
count on the config (:func:`trainlab.objective_budget.check_objective_reached`) follows it: before, such a job was
refused by the Trainer's check at the start of training, after its directory was written - a basic sweep left its
first job's directory (``status.json`` ``failed``, objective null), a stacked sweep every member's (objective 0.0).
"""

from __future__ import annotations

import pytest
from test_objective_budget import refused_before_anything_is_written

from trainlab.errors import ConfigError
from trainlab.objective_budget import check_objective_reached, overfit_batches_per_epoch

OVERFIT_SHORT = ["debug=overfit", "trainer.max_epochs=2", "data.train_size=1000"]
OVERFIT_REFUSAL = (
    "optimized_metric='val/acc' is computed by validation, which first runs after 50 steps (the end of epoch 50 of 1 "
    "steps: trainer.check_val_every_n_epoch=50), and trainer.max_epochs=2 stops the run after 2 steps: the sweep "
    "would get no objective from it; nothing was trained. allowed: a budget of at least 50 steps "
    "(trainer.max_epochs=50), or optimized_metric=null for jobs that return no objective")


def test_overfit_batches_count_an_epoch_as_lightning_does():
    assert [overfit_batches_per_epoch(value, 10) for value in (0, 0.0, None, 1, 3, 50, 0.5, 1.0)] == [
        10, 10, 10, 1, 3, 10, 5, 10]
    assert overfit_batches_per_epoch(0.05, 10) is None  # Lightning refuses it (under one batch): its words
    assert overfit_batches_per_epoch(-1, 10) is None


def test_an_overfit_job_short_of_its_first_validation_is_refused_on_its_config(make_cfg):
    with pytest.raises(ConfigError) as refused:
        check_objective_reached(make_cfg(*OVERFIT_SHORT))
    assert str(refused.value) == OVERFIT_REFUSAL
    check_objective_reached(make_cfg("debug=overfit", "trainer.max_epochs=50", "data.train_size=1000"))


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["basic", "stacked"])
def test_an_overfit_sweep_short_of_its_first_validation_leaves_no_sweep_directory(train_in_process, tmp_path,
                                                                                   launcher):
    sweep_dir = tmp_path / "overfit"
    result = train_in_process("-m", *OVERFIT_SHORT, "seed=0,1", f"hydra/launcher={launcher}",
                              f"hydra.sweep.dir={sweep_dir}")
    refused_before_anything_is_written(result, OVERFIT_REFUSAL)
    assert not sweep_dir.exists()  # no job directory, status.json or event file
