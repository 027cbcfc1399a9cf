"""A learning-rate schedule of a fixed length shorter than the run is refused before anything is written
(trainlab/schedule_length.py): OneCycleLR with ``total_steps=2`` and four epochs raised ``Tried to step 3 times``
after the second epoch, a torch traceback, exit status 1 and a ``failed`` run."""

from __future__ import annotations

import pytest

from trainlab.errors import ConfigError
from trainlab.train import train

ONE_CYCLE = ("+scheduler={_target_:torch.optim.lr_scheduler.OneCycleLR,_partial_:true,max_lr:0.1,total_steps:%d,"
             "cycle_momentum:false}")
SMALL = ["data.train_size=100", "data.val_size=100", "data.batch_size=50", "model.net.hidden_sizes=[16]",
         "trainer.max_epochs=4"]


def test_a_schedule_shorter_than_the_runs_epochs_is_refused_naming_scheduler(make_cfg, tmp_path):
    with pytest.raises(ConfigError) as refusal:
        train(make_cfg(*SMALL, ONE_CYCLE % 2, output_dir=tmp_path / "run"))
    assert str(refusal.value) == (
        "scheduler: OneCycleLR cannot be stepped once per epoch of trainer.max_epochs=4: its step after epoch 3 raised "
        "ValueError: Tried to step 3 times. The specified number of total steps is 2; allowed: a schedule as long as "
        "the run (trainlab steps it once per epoch: 4 steps, e.g. scheduler.total_steps=4 for OneCycleLR), or fewer "
        "epochs")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("overrides", [[ONE_CYCLE % 4], ["scheduler=cosine"], ["scheduler=step"],
                                       ["scheduler=exponential"], [ONE_CYCLE % 2, "trainer.max_steps=3"]])
def test_a_schedule_as_long_as_the_run_or_a_run_cut_by_max_steps_trains(make_cfg, tmp_path, overrides):
    train(make_cfg(*SMALL, *overrides, output_dir=tmp_path / "run"))  # raises if refused
    assert (tmp_path / "run" / "status.json").is_file()
