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
        "scheduler.total_steps=2: OneCycleLR cannot be stepped once per epoch of trainer.max_epochs=4 (4 steps): its "
        "step after epoch 3 would raise; allowed: scheduler.total_steps >= 4 (trainlab steps a schedule once per "
        "epoch), or fewer epochs")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("overrides", [[ONE_CYCLE % 4], ["scheduler=cosine"], ["scheduler=step"],
                                       ["scheduler=exponential"], [ONE_CYCLE % 2, "trainer.max_steps=3"]])
def test_a_schedule_as_long_as_the_run_or_a_run_cut_by_max_steps_trains(make_cfg, tmp_path, overrides):
    train(make_cfg(*SMALL, *overrides, output_dir=tmp_path / "run"))  # raises if refused
    assert (tmp_path / "run" / "status.json").is_file()


def test_the_steps_counted_are_the_schedules_own_frequency_and_its_function_is_not_called(make_cfg):
    """A module of one's own may step its schedule every ``frequency`` epochs; and the check stepped a copy of the
    schedule, calling a LambdaLR's function - the run's own object - before the run."""
    import torch
    from torch import nn

    from trainlab.schedule_length import check_schedule_covers_the_run

    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(2))], lr=0.1)
    cycle = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=3, cycle_momentum=False)
    six_epochs = make_cfg("trainer.max_epochs=6")
    check_schedule_covers_the_run({"optimizer": optimizer, "lr_scheduler": {"scheduler": cycle, "frequency": 2}},
                                  six_epochs)  # 3 steps: covered
    with pytest.raises(ConfigError, match=r"cannot be stepped once per epoch of trainer.max_epochs=6 \(6 steps\)"):
        check_schedule_covers_the_run({"optimizer": optimizer, "lr_scheduler": {"scheduler": cycle}}, six_epochs)
    calls = []
    factor = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: calls.append(epoch) or 1.0)
    calls.clear()
    check_schedule_covers_the_run({"optimizer": optimizer, "lr_scheduler": {"scheduler": factor}}, six_epochs)
    assert calls == []
